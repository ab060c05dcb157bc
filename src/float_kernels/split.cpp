// Split (any dtype) along `axis` (default 0) into the node's outputs. The part sizes come from `split`
// (attribute before opset 13, input from 13); without it, opset 18's `num_outputs` gives parts of
// ceil(dim / n) with a smaller last part, and otherwise the dimension must divide evenly among the outputs.
#include "exec/axis_parts.hpp"
#include "float_kernels/op_helpers.hpp"

namespace espq::float_kernels {
namespace {

std::vector<int64_t> split_sizes(const Node& node, const Graph& graph) {
    const Shape& x = graph.value(node.inputs.at(0)).shape;
    const int axis = normalize_axis(node, node.attr_int("axis", 0), static_cast<int64_t>(x.size()), "axis");
    const int64_t dim = x[axis];
    const int64_t parts = static_cast<int64_t>(node.outputs.size());
    if (auto split = ints_from_attr_or_input(node, graph, "split", 1)) {
        if (node.has_attr("num_outputs")) throw_node_error(node, "has both 'split' and 'num_outputs'; give one");
        int64_t total = 0;
        for (int64_t s : *split) {
            if (s < 0) throw_node_error(node, "split sizes must be >= 0, got " + shape_str(*split, ","));
            total += s;
        }
        if (static_cast<int64_t>(split->size()) != parts || total != dim)
            throw_node_error(node, "split sizes [" + shape_str(*split, ",") + "] must give one size per output (" +
                                       std::to_string(parts) + ") summing to the axis size " + std::to_string(dim));
        return *split;
    }
    if (node.has_attr("num_outputs")) {
        const int64_t n = node.attr_int("num_outputs", 0);
        if (n != parts)
            throw_node_error(node, "num_outputs is " + std::to_string(n) + " but the node has " +
                                       std::to_string(parts) + " outputs");
        const int64_t chunk = (dim + n - 1) / n;
        if (n > 1 && dim - chunk * (n - 1) <= 0)
            throw_node_error(node, "cannot split an axis of size " + std::to_string(dim) + " into " +
                                       std::to_string(n) + " parts of ceil(" + std::to_string(dim) + "/" +
                                       std::to_string(n) + ") with a non-empty last part");
        std::vector<int64_t> sizes(static_cast<size_t>(n), chunk);
        sizes.back() = dim - chunk * (n - 1);
        return sizes;
    }
    if (dim % parts != 0)
        throw_node_error(node, "axis " + std::to_string(axis) + " of size " + std::to_string(dim) +
                                   " does not split evenly into " + std::to_string(parts) +
                                   " outputs; give 'split' sizes");
    return std::vector<int64_t>(static_cast<size_t>(parts), dim / parts);
}

void infer_split(InferContext& ctx) {
    check_arity(ctx, 1, 2, 1, kUnbounded);
    const Value& x = require_input(ctx, 0, "input");
    if (x.shape.empty()) ctx.error("cannot split a scalar");
    for (int o : ctx.node.outputs)
        if (o < 0) ctx.error("every output must be present");
    const int axis = normalize_axis(ctx, ctx.node.attr_int("axis", 0), static_cast<int64_t>(x.shape.size()), "axis");
    const std::vector<int64_t> sizes = split_sizes(ctx.node, ctx.graph);
    for (size_t i = 0; i < sizes.size(); ++i) {
        Shape s = x.shape;
        s[axis] = sizes[i];
        set_output(ctx, static_cast<int>(i), x.dtype, s);
    }
}

std::unique_ptr<FloatKernel> prepare_split(const Node& node, const Graph& graph) {
    const Value& x = graph.value(node.inputs.at(0));
    const int axis = normalize_axis(node, node.attr_int("axis", 0), static_cast<int64_t>(x.shape.size()), "axis");
    const exec::AxisParts parts(x.shape, axis, split_sizes(node, graph), dtype_size(x.dtype));
    return make_kernel([parts, shape = x.shape, node](const std::vector<const Tensor*>& in,
                                                      const std::vector<Tensor*>& out, KernelScratch&) {
        expect_shape(*in[0], shape, node);
        parts.split(*in[0], out);
    });
}

ESPQ_REGISTER_FLOAT_OP(FloatOpDef{"Split", infer_split, prepare_split});

}  // namespace
}  // namespace espq::float_kernels
