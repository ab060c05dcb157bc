// ConstantOfShape: a tensor of the shape given by the (constant, 1-D int64) input, every element equal to the
// one-element `value` attribute tensor (default float32 0); the output has value's dtype.
#include <cstring>

#include "float_kernels/dtype_dispatch.hpp"
#include "float_kernels/op_helpers.hpp"

namespace espq::float_kernels {
namespace {

Tensor fill_value(const Node& node) {
    if (const Tensor* v = node.attr_tensor("value")) return *v;
    if (node.has_attr("value")) throw_node_error(node, "attribute 'value' must be a one-element tensor");
    return Tensor::scalar<float>(0.f);
}

void infer_constant_of_shape(InferContext& ctx) {
    check_arity(ctx, 1, 1, 1, 1);
    const std::vector<int64_t> shape = constant_ints(ctx, 0, "shape");
    for (int64_t d : shape)
        if (d < 0) ctx.error("shape [" + shape_str(shape, ",") + "] has a negative dimension");
    const Tensor value = fill_value(ctx.node);
    if (value.numel() != 1)
        ctx.error("attribute 'value' must hold exactly one element, got shape " + shape_str(value.shape()));
    if (!is_numeric_dtype(value.dtype()))
        ctx.error(std::string("attribute 'value' has unsupported dtype ") + dtype_name(value.dtype()));
    set_output(ctx, 0, value.dtype(), shape);
}

std::unique_ptr<FloatKernel> prepare_constant_of_shape(const Node& node, const Graph&) {
    return make_kernel(
        [value = fill_value(node)](const std::vector<const Tensor*>&, const std::vector<Tensor*>& out, KernelScratch&) {
            const size_t es = value.nbytes();
            uint8_t* dst = out[0]->raw();
            for (int64_t i = 0; i < out[0]->numel(); ++i) std::memcpy(dst + i * es, value.raw(), es);
        });
}

ESPQ_REGISTER_FLOAT_OP(FloatOpDef{"ConstantOfShape", infer_constant_of_shape, prepare_constant_of_shape});

}  // namespace
}  // namespace espq::float_kernels
