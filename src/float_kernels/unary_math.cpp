// Unary math: Exp, Log, Sqrt (float32) and Neg (float32 and the signed integer types; integer negation
// wraps, so the type minimum stays itself as in two's complement).
#include <cmath>
#include <type_traits>

#include "float_kernels/dtype_dispatch.hpp"
#include "float_kernels/pointwise.hpp"

namespace espq::float_kernels {
namespace {

ESPQ_REGISTER_FLOAT_OP(pointwise_float_op("Exp", [](const Node&) { return [](float x) { return std::exp(x); }; }));
ESPQ_REGISTER_FLOAT_OP(pointwise_float_op("Log", [](const Node&) { return [](float x) { return std::log(x); }; }));
ESPQ_REGISTER_FLOAT_OP(pointwise_float_op("Sqrt", [](const Node&) { return [](float x) { return std::sqrt(x); }; }));

void infer_neg(InferContext& ctx) {
    check_arity(ctx, 1, 1, 1, 1);
    require_dtype(ctx, 0, "X", {DType::Float32, DType::Float64, DType::Int32, DType::Int64});
    set_output(ctx, 0, ctx.in(0)->dtype, ctx.in(0)->shape);
}

std::unique_ptr<FloatKernel> prepare_neg(const Node& node, const Graph& graph) {
    const DType dtype = graph.value(node.inputs.at(0)).dtype;
    return make_kernel([dtype](const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out, KernelScratch&) {
        dispatch_arith(dtype, [&](auto tag) {
            using T = decltype(tag);
            const T* x = in[0]->data<T>();
            T* y = out[0]->data<T>();
            const int64_t n = in[0]->numel();
            for (int64_t i = 0; i < n; ++i) {
                if constexpr (std::is_floating_point_v<T>)
                    y[i] = -x[i];
                else
                    y[i] = static_cast<T>(std::make_unsigned_t<T>{0} - static_cast<std::make_unsigned_t<T>>(x[i]));
            }
        });
    });
}

ESPQ_REGISTER_FLOAT_OP(FloatOpDef{"Neg", infer_neg, prepare_neg});

}  // namespace
}  // namespace espq::float_kernels
