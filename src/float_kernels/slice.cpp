// Slice (any dtype). starts / ends / axes / steps are inputs 1-4 from opset 10 (they must be constants:
// espq needs static shapes) and attributes starts / ends / axes before. Per sliced axis, ONNX's rules:
// negative starts/ends count from the end; then, for step > 0, both clamp to [0, dim]; for step < 0, start
// clamps to [0, dim-1] and end to [-1, dim-1]; the output has ceil((end - start) / step) elements (>= 0).
#include "float_kernels/op_helpers.hpp"

namespace espq::float_kernels {
namespace {

struct SliceSpec {
    Shape out;
    std::vector<exec::SliceRange> ranges;  // per input dimension
};

// Validates the node (errors only matter at infer time; prepare re-derives the same result).
SliceSpec slice_spec(const Node& node, const Graph& graph) {
    const Value& x = graph.value(node.inputs.at(0));
    const int64_t rank = static_cast<int64_t>(x.shape.size());
    const auto starts = ints_from_attr_or_input(node, graph, "starts", 1);
    const auto ends = ints_from_attr_or_input(node, graph, "ends", 2);
    if (!starts || !ends) throw_node_error(node, "needs 'starts' and 'ends' (inputs 1 and 2)");
    const size_t n = starts->size();
    std::vector<int64_t> axes_list(n);
    for (size_t i = 0; i < n; ++i) axes_list[i] = static_cast<int64_t>(i);
    if (auto a = ints_from_attr_or_input(node, graph, "axes", 3)) axes_list = *a;
    std::vector<int64_t> steps(n, 1);
    if (node.input(4) >= 0) steps = constant_ints(node, graph, 4, "steps");
    if (ends->size() != n || axes_list.size() != n || steps.size() != n)
        throw_node_error(node, "starts, ends, axes and steps must have equal lengths (got " + std::to_string(n) + ", " +
                                   std::to_string(ends->size()) + ", " + std::to_string(axes_list.size()) + ", " +
                                   std::to_string(steps.size()) + ")");
    const std::vector<int> axes = normalize_axes(node, axes_list, rank, "axes");

    SliceSpec s{x.shape, std::vector<exec::SliceRange>(rank, exec::SliceRange{0, 0, 1})};
    for (int64_t k = 0; k < rank; ++k) s.ranges[k].count = x.shape[k];
    for (size_t i = 0; i < n; ++i) {
        const int a = axes[i];
        if (steps[i] == 0) throw_node_error(node, "steps[" + std::to_string(i) + "] is 0; steps must be non-zero");
        s.ranges[a] = exec::slice_range(x.shape[a], (*starts)[i], (*ends)[i], steps[i]);
        s.out[a] = s.ranges[a].count;
    }
    return s;
}

void infer_slice(InferContext& ctx) {
    check_arity(ctx, 1, 5, 1, 1);
    const Value& x = require_input(ctx, 0, "data");
    if (x.shape.empty()) ctx.error("cannot slice a scalar");
    set_output(ctx, 0, x.dtype, slice_spec(ctx.node, ctx.graph).out);
}

std::unique_ptr<FloatKernel> prepare_slice(const Node& node, const Graph& graph) {
    const Value& x = graph.value(node.inputs.at(0));
    const SliceSpec s = slice_spec(node, graph);
    return make_strided_copy_kernel(exec::slice_copy(x.shape, s.ranges, dtype_size(x.dtype)), x.shape, node);
}

ESPQ_REGISTER_FLOAT_OP(FloatOpDef{"Slice", infer_slice, prepare_slice});

}  // namespace
}  // namespace espq::float_kernels
