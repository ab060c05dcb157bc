// Constant: a node with no inputs whose output is the tensor held by exactly one of its attributes: value
// (a tensor), value_float / value_int (scalars), value_floats / value_ints (1-D). The loader folds these
// nodes into constants; passes may still create them, and then the kernel emits the tensor.
#include <cstring>

#include "float_kernels/dtype_dispatch.hpp"
#include "float_kernels/op_helpers.hpp"

namespace espq::float_kernels {
namespace {

const char* const kValueAttrs[] = {"value", "value_float", "value_floats", "value_int", "value_ints"};
const char* const kUnsupportedAttrs[] = {"sparse_value", "value_string", "value_strings"};

Tensor constant_value(const Node& node) {
    for (const char* a : kUnsupportedAttrs)
        if (node.has_attr(a))
            throw_node_error(
                node, std::string("attribute '") + a + "' is not supported; espq handles numeric dense constants");
    int given = 0;
    for (const char* a : kValueAttrs) given += node.has_attr(a) ? 1 : 0;
    if (given != 1)
        throw_node_error(node, "needs exactly one of value, value_float, value_floats, value_int, value_ints (got " +
                                   std::to_string(given) + ")");
    if (node.has_attr("value")) {
        const Tensor* t = node.attr_tensor("value");
        if (!t) throw_node_error(node, "attribute 'value' must be a tensor");
        return *t;
    }
    if (node.has_attr("value_float")) return Tensor::scalar<float>(node.attr_float("value_float", 0.f));
    if (node.has_attr("value_int")) return Tensor::scalar<int64_t>(node.attr_int("value_int", 0));
    if (node.has_attr("value_floats")) {
        const std::vector<float> v = node.attr_floats("value_floats");
        return Tensor::from<float>({static_cast<int64_t>(v.size())}, v);
    }
    const std::vector<int64_t> v = node.attr_ints("value_ints");
    return Tensor::from<int64_t>({static_cast<int64_t>(v.size())}, v);
}

void infer_constant(InferContext& ctx) {
    check_arity(ctx, 0, 0, 1, 1);
    const Tensor t = constant_value(ctx.node);
    if (!is_numeric_dtype(t.dtype())) ctx.error(std::string("dtype ") + dtype_name(t.dtype()) + " is not supported");
    set_output(ctx, 0, t.dtype(), t.shape());
}

std::unique_ptr<FloatKernel> prepare_constant(const Node& node, const Graph&) {
    return make_kernel([value = constant_value(node)](const std::vector<const Tensor*>&,
                                                      const std::vector<Tensor*>& out, KernelScratch&) {
        invariant(out[0]->nbytes() == value.nbytes(), "Constant: output size differs from the attribute");
        if (value.nbytes()) std::memcpy(out[0]->raw(), value.raw(), value.nbytes());
    });
}

ESPQ_REGISTER_FLOAT_OP(FloatOpDef{"Constant", infer_constant, prepare_constant});

}  // namespace
}  // namespace espq::float_kernels
