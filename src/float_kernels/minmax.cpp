// Max and Min: variadic (1..N inputs) elementwise maximum / minimum with multidirectional broadcasting.
// A NaN in any input gives NaN, as numpy's maximum/minimum (ONNX's reference) do.
#include <cmath>
#include <type_traits>

#include "exec/broadcast.hpp"
#include "float_kernels/dtype_dispatch.hpp"
#include "float_kernels/op_helpers.hpp"

namespace espq::float_kernels {
namespace {

template <bool kMax, typename T>
T pick(T a, T b) {
    if constexpr (std::is_floating_point_v<T>) {
        if (std::isnan(a) || std::isnan(b)) return a + b;  // NaN either way
    }
    if constexpr (kMax) return a < b ? b : a;
    return b < a ? b : a;
}

void infer_minmax(InferContext& ctx) {
    check_arity(ctx, 1, kUnbounded, 1, 1);
    for (int i = 0; i < ctx.num_inputs(); ++i) require_input(ctx, i, "data_0..N");
    require_dtype(ctx, 0, "data_0", {DType::Float32, DType::Float64, DType::Int32, DType::Int64});
    const DType dtype = ctx.in(0)->dtype;
    Shape out = ctx.in(0)->shape;
    for (int i = 1; i < ctx.num_inputs(); ++i) {
        if (ctx.in(i)->dtype != dtype)
            ctx.error("input " + std::to_string(i) + " is " + dtype_name(ctx.in(i)->dtype) + " but input 0 is " +
                      dtype_name(dtype) + "; all inputs must have one type (insert a Cast)");
        out = broadcast_shapes(out, ctx.in(i)->shape, ctx);
    }
    set_output(ctx, 0, dtype, out);
}

template <bool kMax>
std::unique_ptr<FloatKernel> prepare_minmax(const Node& node, const Graph& graph) {
    const Shape& out = graph.value(node.outputs.at(0)).shape;
    const int n = node.num_inputs();
    // Step 0 combines inputs 0 and 1 (or broadcasts input 0 alone); each later step folds input k into the
    // output in place.
    std::vector<exec::BroadcastPlan> steps;
    const Shape& first = graph.value(node.inputs[0]).shape;
    steps.emplace_back(first, n > 1 ? graph.value(node.inputs[1]).shape : first, out);
    for (int k = 2; k < n; ++k) steps.emplace_back(out, graph.value(node.inputs[k]).shape, out);
    const DType dtype = graph.value(node.inputs[0]).dtype;
    return make_kernel(
        [steps, dtype, n, node](const std::vector<const Tensor*>& in, const std::vector<Tensor*>& o, KernelScratch&) {
            expect_shape(*in[0], steps[0].a_shape(), node);
            for (int k = 1; k < n; ++k)
                expect_shape(*in[k], k == 1 ? steps[0].b_shape() : steps[k - 1].b_shape(), node);
            dispatch_arith(dtype, [&](auto tag) {
                using T = decltype(tag);
                auto op = [](T a, T b) { return pick<kMax, T>(a, b); };
                T* y = o[0]->data<T>();
                steps[0].apply(in[0]->data<T>(), in[n > 1 ? 1 : 0]->data<T>(), y, op);
                for (int k = 2; k < n; ++k) steps[k - 1].apply(y, in[k]->data<T>(), y, op);
            });
        });
}

ESPQ_REGISTER_FLOAT_OP(FloatOpDef{"Max", infer_minmax, prepare_minmax<true>});
ESPQ_REGISTER_FLOAT_OP(FloatOpDef{"Min", infer_minmax, prepare_minmax<false>});

}  // namespace
}  // namespace espq::float_kernels
