// Slice (any dtype). starts / ends / axes / steps are inputs 1-4 from opset 10 (they must be constants:
// espq needs static shapes) and attributes starts / ends / axes before. Per sliced axis, ONNX's rules:
// negative starts/ends count from the end; then, for step > 0, both clamp to [0, dim]; for step < 0, start
// clamps to [0, dim-1] and end to [-1, dim-1]; the output has ceil((end - start) / step) elements (>= 0).
#include <algorithm>
#include <limits>

#include "float_kernels/op_helpers.hpp"
#include "float_kernels/strided_copy.hpp"

namespace espq::kernels {
namespace {

struct SliceSpec {
    Shape out;
    std::vector<int64_t> start;  // per input dimension
    std::vector<int64_t> step;
};

// Validates the node (errors only matter at infer time; prepare re-derives the same result).
SliceSpec slice_spec(const Node& node, const Graph& graph) {
    const Value& x = graph.value(node.inputs.at(0));
    const int64_t rank = static_cast<int64_t>(x.shape.size());
    const auto starts = ints_from_attr_or_input(node, graph, "starts", 1);
    const auto ends = ints_from_attr_or_input(node, graph, "ends", 2);
    if (!starts || !ends) node_fail(node, "needs 'starts' and 'ends' (inputs 1 and 2)");
    const size_t n = starts->size();
    std::vector<int64_t> axes_list(n);
    for (size_t i = 0; i < n; ++i) axes_list[i] = static_cast<int64_t>(i);
    if (auto a = ints_from_attr_or_input(node, graph, "axes", 3)) axes_list = *a;
    std::vector<int64_t> steps(n, 1);
    if (node.input(4) >= 0) steps = constant_ints(node, graph, 4, "steps");
    if (ends->size() != n || axes_list.size() != n || steps.size() != n)
        node_fail(node, "starts, ends, axes and steps must have equal lengths (got " + std::to_string(n) + ", " +
                            std::to_string(ends->size()) + ", " + std::to_string(axes_list.size()) + ", " +
                            std::to_string(steps.size()) + ")");
    const std::vector<int> axes = normalize_axes(node, axes_list, rank, "axes");

    SliceSpec s{x.shape, std::vector<int64_t>(rank, 0), std::vector<int64_t>(rank, 1)};
    for (size_t i = 0; i < n; ++i) {
        const int a = axes[i];
        const int64_t dim = x.shape[a], step = steps[i];
        if (step == 0) node_fail(node, "steps[" + std::to_string(i) + "] is 0; steps must be non-zero");
        int64_t start = (*starts)[i], end = (*ends)[i];
        if (start < 0) start += dim;
        if (end < 0) end += dim;
        int64_t span;
        if (step > 0) {
            start = std::clamp<int64_t>(start, 0, dim);
            end = std::clamp<int64_t>(end, 0, dim);
            span = end - start;
        } else {
            start = std::clamp<int64_t>(start, 0, std::max<int64_t>(dim - 1, 0));
            end = std::clamp<int64_t>(end, -1, dim - 1);
            span = start - end;
        }
        // |step| without overflowing on INT64_MIN; count = ceil(span / |step|).
        const int64_t magnitude =
            step > 0 ? step
                     : (step == std::numeric_limits<int64_t>::min() ? std::numeric_limits<int64_t>::max() : -step);
        const int64_t count = (span <= 0 || dim == 0) ? 0 : 1 + (span - 1) / magnitude;
        s.out[a] = count;
        s.start[a] = count > 0 ? start : 0;
        s.step[a] = count > 1 ? step : 1;  // a single element needs no step (and huge steps would overflow)
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
    const std::vector<int64_t> in_strides = contiguous_strides(x.shape);
    std::vector<int64_t> strides(x.shape.size());
    int64_t offset = 0;
    for (size_t k = 0; k < x.shape.size(); ++k) {
        offset += s.start[k] * in_strides[k];
        strides[k] = s.step[k] * in_strides[k];
    }
    return make_strided_copy_kernel(StridedCopy(s.out, strides, offset, dtype_size(x.dtype)), x.shape, node);
}

ESPQ_REGISTER_FLOAT_OP(FloatOpDef{"Slice", infer_slice, prepare_slice});

}  // namespace
}  // namespace espq::kernels
