#include "float_kernels/pool_common.hpp"

#include <algorithm>

namespace espq::float_kernels {

PoolShape pool_shape(const Node& node, const Shape& x, PoolKind kind) {
    if (x.size() != 3 && x.size() != 4)
        throw_node_error(node, "input X has shape " + shape_str(x) +
                                   "; only 1-D (N,C,W) and 2-D (N,C,H,W) pooling is "
                                   "supported");
    if (!node.has_attr("kernel_shape")) throw_node_error(node, "attribute 'kernel_shape' is required");
    const Dims kernel = node.attr_ints("kernel_shape");
    const Dims in = spatial_dims(x);
    if (kernel.size() != in.size())
        throw_node_error(node, "attribute kernel_shape=" + shape_str(kernel) + " has " + std::to_string(kernel.size()) +
                                   " values; expected one per spatial dimension (" + std::to_string(in.size()) + ")");
    const int64_t ceil_mode = node.attr_int("ceil_mode", 0);
    if (ceil_mode != 0 && ceil_mode != 1) throw_node_error(node, "attribute ceil_mode must be 0 or 1");
    if (kind == PoolKind::Average) {
        const int64_t include = node.attr_int("count_include_pad", 0);
        if (include != 0 && include != 1) throw_node_error(node, "attribute count_include_pad must be 0 or 1");
    }
    // AveragePool gained dilations in opset 19; accepting them here costs nothing.
    const Window win = forward_window(node, in, kernel, ceil_mode ? CeilMode::Ceil : CeilMode::Floor, true);
    for (size_t i = 0; i < in.size(); ++i)
        if (win.pad_begin[i] >= kernel[i] || win.pad_end[i] >= kernel[i])
            throw_node_error(node, "pads " + std::to_string(win.pad_begin[i]) + "/" + std::to_string(win.pad_end[i]) +
                                       " along spatial axis " + std::to_string(i) +
                                       " must be smaller than the kernel (" + std::to_string(kernel[i]) +
                                       "), or some windows would see only padding");
    PoolShape s;
    s.batch = x[0];
    s.channels = x[1];
    s.one_d = x.size() == 3;
    s.win = plane_window(win);
    return s;
}

void infer_pool(InferContext& ctx, PoolKind kind) {
    const Shape& x = require_float_input(ctx, 0, "X", 3, 4);
    const PoolShape s = pool_shape(ctx.node, x, kind);
    reject_outputs_from(ctx, 1, "only the pooled values are computed, not the Indices output");
    Value& y = ctx.out(0);
    y.dtype = DType::Float32;
    y.shape = s.one_d ? Shape{s.batch, s.channels, s.win.out_w} : Shape{s.batch, s.channels, s.win.out_h, s.win.out_w};
}

void infer_global_pool(InferContext& ctx) {
    const Shape& x = require_float_input(ctx, 0, "X", 3);
    reject_outputs_from(ctx, 1, "the operator has one output");
    Value& y = ctx.out(0);
    y.dtype = DType::Float32;
    y.shape = x;
    std::fill(y.shape.begin() + 2, y.shape.end(), 1);
}

std::vector<TapRange> tap_ranges(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t dilation,
                                 int64_t pad_begin, int64_t pad_end) {
    std::vector<TapRange> r(static_cast<size_t>(out));
    for (int64_t o = 0; o < out; ++o) {
        const int64_t start = o * stride - pad_begin;
        TapRange& t = r[o];
        t.begin = kernel;
        t.end = 0;
        for (int64_t k = 0; k < kernel; ++k) {
            const int64_t i = start + k * dilation;
            if (i < in + pad_end) ++t.with_pad;  // i >= -pad_begin always holds
            if (i >= 0 && i < in) {
                t.begin = std::min(t.begin, k);
                t.end = k + 1;
            }
        }
        if (t.end <= t.begin) t.begin = t.end = 0;
    }
    return r;
}

PoolPlan::PoolPlan(const PoolShape& s)
    : shape(s),
      rows(tap_ranges(s.win.in_h, s.win.out_h, s.win.kernel_h, s.win.stride_h, s.win.dilation_h, s.win.pad_top,
                      s.win.pad_bottom)),
      cols(tap_ranges(s.win.in_w, s.win.out_w, s.win.kernel_w, s.win.stride_w, s.win.dilation_w, s.win.pad_left,
                      s.win.pad_right)) {}

}  // namespace espq::float_kernels
