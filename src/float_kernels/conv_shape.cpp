#include "float_kernels/conv_shape.hpp"

namespace espq::float_kernels {

ConvShape conv_shape(const Node& node, const Shape& x, const Shape& w, ConvKind kind) {
    const bool forward = kind == ConvKind::Forward;
    const char* w_layout = forward ? "(M, C/group, kernel...)" : "(C, M/group, kernel...)";
    if (x.size() != 3 && x.size() != 4)
        throw_node_error(node, "input X has shape " + shape_str(x) +
                                   "; only 1-D (N,C,W) and 2-D (N,C,H,W) inputs are "
                                   "supported");
    if (w.size() != x.size())
        throw_node_error(node, "weight W has shape " + shape_str(w) + " but X has rank " + std::to_string(x.size()) +
                                   "; W must be " + w_layout);
    ConvShape s;
    s.batch = x[0];
    s.in_channels = x[1];
    s.group = node.attr_int("group", 1);
    if (s.group < 1) throw_node_error(node, "attribute group=" + std::to_string(s.group) + " must be >= 1");
    if (s.in_channels % s.group != 0)
        throw_node_error(node, "group=" + std::to_string(s.group) + " must divide the input channels (" +
                                   std::to_string(s.in_channels) + ")");
    if (forward) {
        s.out_channels = w[0];
        if (s.out_channels % s.group != 0)
            throw_node_error(node, "group=" + std::to_string(s.group) + " must divide the output channels (" +
                                       std::to_string(s.out_channels) + ")");
        if (w[1] != s.in_channels / s.group)
            throw_node_error(node, "weight W has shape " + shape_str(w) +
                                       ": dimension 1 must be C/group = " + std::to_string(s.in_channels / s.group));
    } else {
        if (w[0] != s.in_channels)
            throw_node_error(node, "weight W has shape " + shape_str(w) + ": dimension 0 must be the input channels (" +
                                       std::to_string(s.in_channels) + ")");
        s.out_channels = w[1] * s.group;
    }
    const Dims kernel = spatial_dims(w);
    if (node.has_attr("kernel_shape") && node.attr_ints("kernel_shape") != kernel)
        throw_node_error(node, "attribute kernel_shape=" + shape_str(node.attr_ints("kernel_shape")) +
                                   " does not match the weight's spatial shape " + shape_str(kernel));
    s.win = plane_window(forward ? forward_window(node, spatial_dims(x), kernel, CeilMode::Floor, true)
                                 : transposed_window(node, spatial_dims(x), kernel));
    return s;
}

void infer_conv_like(InferContext& ctx, ConvKind kind) {
    const Shape& x = require_float_input(ctx, 0, "X", 3, 4);
    const Shape& w = require_float_input(ctx, 1, "W", 3, 4);
    const ConvShape s = conv_shape(ctx.node, x, w, kind);
    if (ctx.in(2)) {
        const Shape& b = require_float_input(ctx, 2, "B", 1, 1);
        if (b[0] != s.out_channels)
            ctx.error("bias B has shape " + shape_str(b) + "; expected (" + std::to_string(s.out_channels) + ")");
    }
    reject_outputs_from(ctx, 1, "the operator has one output");
    Value& y = ctx.out(0);
    y.dtype = DType::Float32;
    y.shape = x.size() == 4 ? Shape{s.batch, s.out_channels, s.win.out_h, s.win.out_w}
                            : Shape{s.batch, s.out_channels, s.win.out_w};
}

ConvShape prepared_conv_shape(const Node& node, const Graph& graph, ConvKind kind) {
    return conv_shape(node, graph.value(node.input(0)).shape, graph.value(node.input(1)).shape, kind);
}

}  // namespace espq::float_kernels
