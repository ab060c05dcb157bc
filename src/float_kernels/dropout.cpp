// Dropout at inference: the output is the input; the optional mask output is all ones (keep everything).
// Opset 12+ may ask for training through the `training_mode` input; espq only runs inference, so a
// training_mode that is true, or not a constant, is refused.
#include <cstring>

#include "float_kernels/dtype_dispatch.hpp"
#include "float_kernels/op_helpers.hpp"

namespace espq::float_kernels {
namespace {

// The mask is bool since opset 10; opsets 7-9 gave it the data's type.
DType mask_dtype(const Graph& graph, DType data) {
    return graph.opset() >= 10 ? DType::Bool : data;
}

void infer_dropout(InferContext& ctx) {
    check_arity(ctx, 1, 3, 1, 2);
    const Value& x = require_input(ctx, 0, "data");
    if (ctx.in(2)) {
        const Tensor* t = ctx.constant(2);
        if (!t || t->numel() != 1)
            ctx.error("input 'training_mode' must be a constant scalar; espq runs Dropout in inference mode only");
        if (t->as_int64s()[0] != 0) ctx.error("training_mode is true; export the model in inference (eval) mode");
    }
    set_output(ctx, 0, x.dtype, x.shape);
    if (has_output(ctx, 1)) {
        const DType m = mask_dtype(ctx.graph, x.dtype);
        if (!is_numeric_dtype(m)) ctx.error(std::string("cannot build a ") + dtype_name(m) + " mask");
        set_output(ctx, 1, m, x.shape);
    }
}

std::unique_ptr<FloatKernel> prepare_dropout(const Node& node, const Graph& graph) {
    const DType mask = node.outputs.size() > 1 ? graph.value(node.outputs[1]).dtype : DType::Undefined;
    return make_kernel([mask](const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out, KernelScratch&) {
        if (in[0]->nbytes()) std::memcpy(out[0]->raw(), in[0]->raw(), in[0]->nbytes());
        if (out.size() > 1 && out[1]) {
            dispatch_numeric(mask, [&](auto tag) {
                using T = decltype(tag);
                T* m = out[1]->data<T>();
                for (int64_t i = 0; i < out[1]->numel(); ++i) m[i] = T(1);
            });
        }
    });
}

ESPQ_REGISTER_FLOAT_OP(FloatOpDef{"Dropout", infer_dropout, prepare_dropout});

}  // namespace
}  // namespace espq::float_kernels
