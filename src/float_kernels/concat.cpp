// Concat (any dtype): joins the inputs along `axis` (required; negative from opset 11). All inputs share the
// dtype, the rank and every other dimension; inputs that are empty along the axis contribute nothing.
#include "exec/axis_parts.hpp"
#include "float_kernels/op_helpers.hpp"

namespace espq::float_kernels {
namespace {

void infer_concat(InferContext& ctx) {
    check_arity(ctx, 1, kUnbounded, 1, 1);
    if (!ctx.node.has_attr("axis")) ctx.error("attribute 'axis' is required");
    const Value& first = require_input(ctx, 0, "inputs");
    const int64_t rank = static_cast<int64_t>(first.shape.size());
    if (rank == 0) ctx.error("cannot concatenate scalars (input 0 has rank 0); Unsqueeze them first");
    const int axis = normalize_axis(ctx, ctx.node.attr_int("axis", 0), rank, "axis");
    Shape out = first.shape;
    out[axis] = 0;
    for (int i = 0; i < ctx.num_inputs(); ++i) {
        const Value& v = require_input(ctx, i, "inputs");
        if (v.dtype != first.dtype)
            ctx.error("input " + std::to_string(i) + " is " + dtype_name(v.dtype) + " but input 0 is " +
                      dtype_name(first.dtype) + "; all inputs must have one type");
        bool compatible = v.shape.size() == first.shape.size();
        for (size_t k = 0; compatible && k < v.shape.size(); ++k)
            compatible = (static_cast<int>(k) == axis || v.shape[k] == first.shape[k]);
        if (!compatible)
            ctx.error("input " + std::to_string(i) + " has shape " + shape_str(v.shape) + ", input 0 " +
                      shape_str(first.shape) + "; they may differ only along axis " + std::to_string(axis));
        out[axis] += v.shape[axis];
    }
    set_output(ctx, 0, first.dtype, out);
}

std::unique_ptr<FloatKernel> prepare_concat(const Node& node, const Graph& graph) {
    const Value& first = graph.value(node.inputs.at(0));
    const int axis = normalize_axis(node, node.attr_int("axis", 0), static_cast<int64_t>(first.shape.size()), "axis");
    std::vector<Shape> shapes;
    std::vector<int64_t> extents;
    for (int v : node.inputs) {
        shapes.push_back(graph.value(v).shape);
        extents.push_back(shapes.back()[axis]);
    }
    const exec::AxisParts parts(graph.value(node.outputs.at(0)).shape, axis, extents, dtype_size(first.dtype));
    return make_kernel([parts, shapes, node](const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out,
                                             KernelScratch&) {
        for (size_t i = 0; i < in.size(); ++i) expect_shape(*in[i], shapes[i], node);
        parts.concat(in, *out[0]);
    });
}

ESPQ_REGISTER_FLOAT_OP(FloatOpDef{"Concat", infer_concat, prepare_concat});

}  // namespace
}  // namespace espq::float_kernels
