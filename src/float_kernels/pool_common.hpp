// Shared by MaxPool and AveragePool: attribute checks, output shape, and the loop over pooling windows.
#pragma once

#include <vector>

#include "float_kernels/window.hpp"

namespace espq::float_kernels {

enum class PoolKind { Max, Average };

struct PoolShape {
    int64_t batch = 0, channels = 0;
    bool one_d = false;
    PlaneWindow win;
};

// Validates kernel_shape, strides, pads, dilations, ceil_mode and auto_pad against X's shape.
PoolShape pool_shape(const Node& node, const Shape& x, PoolKind kind);

// The whole `infer` of MaxPool / AveragePool (one FLOAT output; MaxPool's Indices output is rejected).
void infer_pool(InferContext& ctx, PoolKind kind);

// GlobalAveragePool / GlobalMaxPool: X (N, C, spatial...) of rank >= 3 -> (N, C, 1, ...).
void infer_global_pool(InferContext& ctx);

// Kernel of a global pool: y[n, c] = reduce_plane(pointer to plane (n, c), plane size).
template <typename ReducePlane>
std::unique_ptr<FloatKernel> make_global_pool_kernel(ReducePlane reduce_plane) {
    return make_kernel(
        [reduce_plane](const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out, KernelScratch&) {
            const Tensor& x = *in[0];
            const int64_t planes = x.dim(0) * x.dim(1);
            const int64_t size = planes ? x.numel() / planes : 0;
            const float* xp = x.data<float>();
            float* y = out[0]->data<float>();
            for (int64_t p = 0; p < planes; ++p) y[p] = reduce_plane(xp + p * size, size);
        });
}

// For one output position along one axis: the taps [begin, end) that land inside the input, and how many taps
// land inside the input or its explicit padding (the divisor of count_include_pad=1).
struct TapRange {
    int64_t begin = 0, end = 0, with_pad = 0;
};
std::vector<TapRange> tap_ranges(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t dilation,
                                 int64_t pad_begin, int64_t pad_end);

// A prepared pooling node: its shape and the tap ranges of every output row and column.
struct PoolPlan {
    PoolShape shape;
    std::vector<TapRange> rows, cols;

    explicit PoolPlan(const PoolShape& s);

    // Pools every window of the N*C planes of x into y: for each output position acc = r.start(), then
    // r.step(acc, v) over the window's inputs inside the image, then y = r.finish(acc, taps inside the image,
    // taps inside the image or its padding).
    template <typename Reducer>
    void run(const float* x, float* y, const Reducer& r) const {
        const PlaneWindow& w = shape.win;
        for (int64_t p = 0; p < shape.batch * shape.channels; ++p) {
            const float* xp = x + p * w.in_plane();
            float* yp = y + p * w.out_plane();
            for (int64_t oy = 0; oy < w.out_h; ++oy) {
                const TapRange& ry = rows[oy];
                const int64_t iy0 = oy * w.stride_h - w.pad_top;
                for (int64_t ox = 0; ox < w.out_w; ++ox) {
                    const TapRange& rx = cols[ox];
                    const int64_t ix0 = ox * w.stride_w - w.pad_left;
                    float acc = r.start();
                    for (int64_t ky = ry.begin; ky < ry.end; ++ky) {
                        const float* row = xp + (iy0 + ky * w.dilation_h) * w.in_w;
                        for (int64_t kx = rx.begin; kx < rx.end; ++kx) r.step(acc, row[ix0 + kx * w.dilation_w]);
                    }
                    yp[oy * w.out_w + ox] =
                        r.finish(acc, (ry.end - ry.begin) * (rx.end - rx.begin), ry.with_pad * rx.with_pad);
                }
            }
        }
    }
};

}  // namespace espq::float_kernels
