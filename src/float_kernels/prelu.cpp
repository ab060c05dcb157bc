// PRelu: y = x < 0 ? slope * x : x, with the slope broadcast to X's shape (unidirectional broadcasting:
// typically [C,1,1] or [1,C,1,1] per channel, or a single value).
#include "exec/broadcast.hpp"
#include "float_kernels/op_helpers.hpp"

namespace espq::float_kernels {
namespace {

void infer_prelu(InferContext& ctx) {
    check_arity(ctx, 2, 2, 1, 1);
    require_dtype(ctx, 0, "X", {DType::Float32});
    require_dtype(ctx, 1, "slope", {DType::Float32});
    const Shape& x = ctx.in(0)->shape;
    const Shape& slope = ctx.in(1)->shape;
    if (broadcast_shapes(x, slope, ctx) != x)
        ctx.error("slope of shape " + shape_str(slope) + " does not broadcast to X of shape " + shape_str(x) +
                  " (PRelu broadcasts the slope to X only)");
    set_output(ctx, 0, DType::Float32, x);
}

std::unique_ptr<FloatKernel> prepare_prelu(const Node& node, const Graph& graph) {
    const Shape& x = graph.value(node.inputs.at(0)).shape;
    exec::BroadcastPlan plan(x, graph.value(node.inputs.at(1)).shape, x);
    return make_kernel([plan, node](const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out,
                                    KernelScratch&) {
        expect_shape(*in[0], plan.a_shape(), node);
        expect_shape(*in[1], plan.b_shape(), node);
        plan.apply(in[0]->data<float>(), in[1]->data<float>(), out[0]->data<float>(),
                   [](float v, float slope) { return v < 0.f ? slope * v : v; });
    });
}

ESPQ_REGISTER_FLOAT_OP(FloatOpDef{"PRelu", infer_prelu, prepare_prelu});

}  // namespace
}  // namespace espq::float_kernels
