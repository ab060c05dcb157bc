#include "kernels/fused_activation.hpp"
// Conv (ONNX opsets 11-18): 1-D and 2-D convolution with groups, strides, dilations, pads / auto_pad and an
// optional bias, NCHW float32.
//
// Three code paths, chosen once in prepare():
//   - depthwise (group == C_in == C_out): a direct loop per channel over a zero-padded copy of the plane, whose
//     innermost loop runs along an output row and vectorises;
//   - pointwise (1x1, stride 1, no padding): the input plane already is the GEMM operand, Y_g = W_g * X_g;
//   - general: im2col into per-thread scratch, one tile of output positions at a time so the column buffer
//     stays in cache, then Eigen GEMM into the output (Y_g[:, tile] += W_g * col).
// A 1-D convolution runs as a 2-D one with H = 1.
#include <algorithm>
#include <cstring>

#include "kernels/conv_shape.hpp"
#include "kernels/fused_activation.hpp"
#include "kernels/eigen_maps.hpp"

namespace espq::kernels {
namespace {

// Column buffers of about this many floats (128 KiB) keep im2col output in L2 while the GEMM reads it.
constexpr int64_t kColumnTileFloats = 32 * 1024;

class ConvKernel : public FloatKernel {
public:
    explicit ConvKernel(const ConvShape& s) : s_(s), p_(s.win) {
        depthwise_ = s.group == s.in_channels && s.group == s.out_channels;
        pointwise_ = p_.taps() == 1 && p_.stride_h == 1 && p_.stride_w == 1 && !p_.padded();
        padded_h_ = p_.in_h + p_.pad_top + p_.pad_bottom;
        padded_w_ = p_.in_w + p_.pad_left + p_.pad_right;
        const int64_t rows = s.group_in() * p_.taps();
        tile_ = std::min(p_.out_plane(), std::max<int64_t>(p_.out_w, kColumnTileFloats / std::max<int64_t>(rows, 1)));
        tile_ = std::max<int64_t>(tile_, 1);
    }

    void run(const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out, Scratch& scratch) const override {
        const float* x = in[0]->data<float>();
        const float* w = in[1]->data<float>();
        const float* bias = (in.size() > 2 && in[2]) ? in[2]->data<float>() : nullptr;
        float* y = out[0]->data<float>();
        for (int64_t n = 0; n < s_.batch; ++n) {
            const float* xn = x + n * s_.in_channels * p_.in_plane();
            float* yn = y + n * s_.out_channels * p_.out_plane();
            if (depthwise_) {
                depthwise(xn, w, bias, yn, scratch);
                continue;
            }
            for (int64_t grp = 0; grp < s_.group; ++grp) {
                const float* xg = xn + grp * s_.group_in() * p_.in_plane();
                const float* wg = w + grp * s_.group_out() * s_.group_in() * p_.taps();
                const float* bg = bias ? bias + grp * s_.group_out() : nullptr;
                float* yg = yn + grp * s_.group_out() * p_.out_plane();
                fill_bias(yg, bg, s_.group_out());
                if (pointwise_)
                    pointwise(xg, wg, yg);
                else
                    im2col_gemm(xg, wg, yg, scratch);
            }
        }
    }

private:
    void fill_bias(float* y, const float* bias, int64_t channels) const {
        const int64_t plane = p_.out_plane();
        for (int64_t c = 0; c < channels; ++c) std::fill(y + c * plane, y + (c + 1) * plane, bias ? bias[c] : 0.f);
    }

    void pointwise(const float* xg, const float* wg, float* yg) const {
        ConstRowMap wm(wg, s_.group_out(), s_.group_in());
        ConstRowMap xm(xg, s_.group_in(), p_.in_plane());
        RowMap ym(yg, s_.group_out(), p_.out_plane());
        ym.noalias() += wm * xm;
    }

    // Column matrix for output positions [p0, p0 + count): row (c, ky, kx), column p holds the input value the
    // tap (ky, kx) of channel c sees at output position p (0 in the padding).
    void im2col(const float* xg, int64_t p0, int64_t count, float* col) const {
        int64_t row = 0;
        for (int64_t c = 0; c < s_.group_in(); ++c) {
            const float* xc = xg + c * p_.in_plane();
            for (int64_t ky = 0; ky < p_.kernel_h; ++ky) {
                for (int64_t kx = 0; kx < p_.kernel_w; ++kx, ++row) {
                    float* dst = col + row * count;
                    // Output columns ox whose input column ix = ox*stride + kx*dilation - pad is in [0, in_w).
                    const int64_t offset = kx * p_.dilation_w - p_.pad_left;
                    const int64_t lo = offset >= 0 ? 0 : (-offset + p_.stride_w - 1) / p_.stride_w;
                    const int64_t hi_raw = p_.in_w - offset <= 0 ? 0 : (p_.in_w - offset - 1) / p_.stride_w + 1;
                    const int64_t hi = std::min(hi_raw, p_.out_w);
                    int64_t p = p0;
                    const int64_t end = p0 + count;
                    while (p < end) {
                        const int64_t oy = p / p_.out_w;
                        const int64_t ox0 = p % p_.out_w;
                        const int64_t ox1 = std::min(p_.out_w, ox0 + (end - p));
                        float* d = dst + (p - p0);
                        const int64_t iy = oy * p_.stride_h + ky * p_.dilation_h - p_.pad_top;
                        if (iy < 0 || iy >= p_.in_h) {
                            std::fill(d, d + (ox1 - ox0), 0.f);
                        } else {
                            const float* src = xc + iy * p_.in_w;
                            const int64_t a = std::clamp(lo, ox0, ox1), b = std::clamp(hi, a, ox1);
                            std::fill(d, d + (a - ox0), 0.f);
                            if (p_.stride_w == 1) {
                                if (b > a) std::memcpy(d + (a - ox0), src + a + offset, sizeof(float) * (b - a));
                            } else {
                                for (int64_t ox = a; ox < b; ++ox) d[ox - ox0] = src[ox * p_.stride_w + offset];
                            }
                            std::fill(d + (b - ox0), d + (ox1 - ox0), 0.f);
                        }
                        p += ox1 - ox0;
                    }
                }
            }
        }
    }

    void im2col_gemm(const float* xg, const float* wg, float* yg, Scratch& scratch) const {
        const int64_t rows = s_.group_in() * p_.taps();
        const int64_t plane = p_.out_plane();
        float* col = scratch.floats(static_cast<size_t>(rows * tile_));
        ConstRowMap wm(wg, s_.group_out(), rows);
        for (int64_t p0 = 0; p0 < plane; p0 += tile_) {
            const int64_t count = std::min(tile_, plane - p0);
            im2col(xg, p0, count, col);
            ConstRowMap cm(col, rows, count);
            StridedRowMap ym(yg + p0, s_.group_out(), count, Eigen::OuterStride<>(plane));
            ym.noalias() += wm * cm;
        }
    }

    void depthwise(const float* xn, const float* w, const float* bias, float* yn, Scratch& scratch) const {
        const bool padded = p_.padded();
        float* buffer = padded ? scratch.floats(static_cast<size_t>(padded_h_ * padded_w_)) : nullptr;
        if (padded) std::fill(buffer, buffer + padded_h_ * padded_w_, 0.f);  // borders stay zero for every channel
        for (int64_t c = 0; c < s_.in_channels; ++c) {
            const float* xc = xn + c * p_.in_plane();
            const float* src = xc;
            int64_t src_w = p_.in_w;
            if (padded) {
                for (int64_t iy = 0; iy < p_.in_h; ++iy)
                    std::memcpy(buffer + (iy + p_.pad_top) * padded_w_ + p_.pad_left, xc + iy * p_.in_w,
                                sizeof(float) * p_.in_w);
                src = buffer;
                src_w = padded_w_;
            }
            const float* wc = w + c * p_.taps();
            float* yc = yn + c * p_.out_plane();
            const float b = bias ? bias[c] : 0.f;
            for (int64_t oy = 0; oy < p_.out_h; ++oy) {
                float* yrow = yc + oy * p_.out_w;
                std::fill(yrow, yrow + p_.out_w, b);
                for (int64_t ky = 0; ky < p_.kernel_h; ++ky) {
                    const float* xrow = src + (oy * p_.stride_h + ky * p_.dilation_h) * src_w;
                    for (int64_t kx = 0; kx < p_.kernel_w; ++kx) {
                        const float tap = wc[ky * p_.kernel_w + kx];
                        const float* xs = xrow + kx * p_.dilation_w;
                        if (p_.stride_w == 1) {
                            for (int64_t ox = 0; ox < p_.out_w; ++ox) yrow[ox] += tap * xs[ox];
                        } else {
                            const int64_t s = p_.stride_w;
                            for (int64_t ox = 0; ox < p_.out_w; ++ox) yrow[ox] += tap * xs[ox * s];
                        }
                    }
                }
            }
        }
    }

    ConvShape s_;
    PlaneWindow p_;
    bool depthwise_ = false;
    bool pointwise_ = false;
    int64_t padded_h_ = 0, padded_w_ = 0;
    int64_t tile_ = 1;  // output positions per im2col tile
};

void infer_conv(InferContext& ctx) { infer_conv_like(ctx, ConvKind::Forward); }

std::unique_ptr<FloatKernel> prepare_conv(const Node& node, const Graph& graph) {
    return with_fused_activation(node, std::make_unique<ConvKernel>(prepared_conv_shape(node, graph, ConvKind::Forward)));
}

}  // namespace

ESPQ_REGISTER_FLOAT_OP(FloatOpDef{"Conv", infer_conv, prepare_conv});

}  // namespace espq::kernels
