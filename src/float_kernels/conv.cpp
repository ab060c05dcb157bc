// Conv (ONNX opsets 11-18): 1-D and 2-D convolution with groups, strides, dilations, pads / auto_pad and an
// optional bias, NCHW float32.
//
// Three code paths, chosen once in prepare():
//   - depthwise (group == C_in == C_out): a direct loop per channel over a zero-padded, stride-phase-split copy
//     of the plane; each output row is computed in one vectorised pass over up to 9 taps;
//   - pointwise (1x1, stride 1, no padding): the input plane already is the GEMM operand, Y_g = W_g * X_g;
//   - general: im2col into per-thread scratch, one tile of output positions at a time so the column buffer
//     stays in cache, then Eigen GEMM into the output (Y_g[:, tile] += W_g * col).
// A 1-D convolution runs as a 2-D one with H = 1.
#include <algorithm>
#include <cstring>

#include "float_kernels/conv_shape.hpp"
#include "float_kernels/eigen_maps.hpp"
#include "float_kernels/fused_activation.hpp"

namespace espq::float_kernels {
namespace {

// Column buffers of about this many floats (128 KiB) keep im2col output in L2 while the GEMM reads it.
constexpr int64_t kColumnTileFloats = 32 * 1024;

// Taps of one depthwise output row summed per pass over the row (9 covers a 3x3 kernel in a single pass).
constexpr int64_t kMaxTapsPerPass = 9;

// y[i] (= bias if first) += sum_k w[k] * rows[k][i] for i < n, for a compile-time number of taps N so that the
// compiler unrolls the tap loop and vectorises along i.
template <int N, bool First>
void taps_pass(float* __restrict y, const float* const* rows, const float* w, int64_t n, float bias) {
    const float* __restrict r[N];
    float c[N];
    for (int k = 0; k < N; ++k) {
        r[k] = rows[k];
        c[k] = w[k];
    }
    for (int64_t i = 0; i < n; ++i) {
        float acc = First ? bias : y[i];
        for (int k = 0; k < N; ++k) acc += c[k] * r[k][i];
        y[i] = acc;
    }
}

template <bool First>
void taps_pass_n(float* y, const float* const* rows, const float* w, int64_t count, int64_t n, float bias) {
    switch (count) {
        case 1: taps_pass<1, First>(y, rows, w, n, bias); break;
        case 2: taps_pass<2, First>(y, rows, w, n, bias); break;
        case 3: taps_pass<3, First>(y, rows, w, n, bias); break;
        case 4: taps_pass<4, First>(y, rows, w, n, bias); break;
        case 5: taps_pass<5, First>(y, rows, w, n, bias); break;
        case 6: taps_pass<6, First>(y, rows, w, n, bias); break;
        case 7: taps_pass<7, First>(y, rows, w, n, bias); break;
        case 8: taps_pass<8, First>(y, rows, w, n, bias); break;
        default: taps_pass<kMaxTapsPerPass, First>(y, rows, w, n, bias); break;
    }
}

void accumulate_taps(float* y, const float* const* rows, const float* w, int64_t count, int64_t n, bool first,
                     float bias) {
    if (first)
        taps_pass_n<true>(y, rows, w, count, n, bias);
    else
        taps_pass_n<false>(y, rows, w, count, n, bias);
}

class ConvKernel : public FloatKernel {
public:
    explicit ConvKernel(const ConvShape& s) : s_(s), p_(s.win) {
        depthwise_ = s.group == s.in_channels && s.group == s.out_channels;
        pointwise_ = p_.taps() == 1 && p_.stride_h == 1 && p_.stride_w == 1 && !p_.padded();
        if (depthwise_) {
            staged_ = p_.padded() || p_.stride_w > 1;
            const int64_t padded_w = p_.in_w + p_.pad_left + p_.pad_right;
            // Only rows some window reads are staged (floor-mode output can leave bottom padding unread).
            staged_rows_ = (p_.out_h - 1) * p_.stride_h + (p_.kernel_h - 1) * p_.dilation_h + 1;
            phase_w_ = staged_ ? (padded_w + p_.stride_w - 1) / p_.stride_w : p_.in_w;
            row_len_ = staged_ ? phase_w_ * p_.stride_w : p_.in_w;
            for (int64_t ky = 0; ky < p_.kernel_h; ++ky)
                for (int64_t kx = 0; kx < p_.kernel_w; ++kx) {
                    const int64_t col = kx * p_.dilation_w;
                    tap_offsets_.push_back(ky * p_.dilation_h * row_len_ + (col % p_.stride_w) * phase_w_ +
                                           col / p_.stride_w);
                }
        }
        const int64_t rows = s.group_in() * p_.taps();
        tile_ = std::min(p_.out_plane(), std::max<int64_t>(p_.out_w, kColumnTileFloats / std::max<int64_t>(rows, 1)));
        tile_ = std::max<int64_t>(tile_, 1);
    }

    void run(const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out,
             KernelScratch& scratch) const override {
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

    void im2col_gemm(const float* xg, const float* wg, float* yg, KernelScratch& scratch) const {
        const int64_t rows = s_.group_in() * p_.taps();
        const int64_t plane = p_.out_plane();
        float* col = scratch.get<float>(0, static_cast<size_t>(rows * tile_));
        ConstRowMap wm(wg, s_.group_out(), rows);
        for (int64_t p0 = 0; p0 < plane; p0 += tile_) {
            const int64_t count = std::min(tile_, plane - p0);
            im2col(xg, p0, count, col);
            ConstRowMap cm(col, rows, count);
            StridedRowMap ym(yg + p0, s_.group_out(), count, Eigen::OuterStride<>(plane));
            ym.noalias() += wm * cm;
        }
    }

    // Depthwise: each channel is staged once into a zero-padded plane whose rows are split into stride_w
    // phases (column ix goes to phase ix % stride_w, slot ix / stride_w), so that every tap reads a contiguous
    // run of the staged row for a whole output row, whatever the stride. Without padding and with stride 1
    // the input plane is read in place.
    void depthwise(const float* xn, const float* w, const float* bias, float* yn, KernelScratch& scratch) const {
        float* staged = staged_ ? scratch.get<float>(0, static_cast<size_t>(staged_rows_ * row_len_)) : nullptr;
        if (staged) std::fill(staged, staged + staged_rows_ * row_len_, 0.f);  // padding stays zero for all channels
        const int64_t s = p_.stride_w;
        const int64_t taps = p_.taps();
        const float* rows[kMaxTapsPerPass];
        for (int64_t c = 0; c < s_.in_channels; ++c) {
            const float* xc = xn + c * p_.in_plane();
            const float* src = xc;
            if (staged) {
                for (int64_t iy = 0; iy < p_.in_h && iy + p_.pad_top < staged_rows_; ++iy) {
                    float* row = staged + (iy + p_.pad_top) * row_len_;
                    const float* in = xc + iy * p_.in_w;
                    if (s == 1) {
                        std::memcpy(row + p_.pad_left, in, sizeof(float) * p_.in_w);
                    } else {
                        // Phase ph holds padded columns ph, ph + s, ...; input column = padded column - pad_left.
                        for (int64_t ph = 0; ph < s; ++ph) {
                            float* dst = row + ph * phase_w_;
                            const int64_t first = ph - p_.pad_left;  // input column of slot 0
                            const int64_t j0 = first >= 0 ? 0 : (-first + s - 1) / s;
                            const int64_t j1 = std::min(phase_w_, first >= p_.in_w ? 0 : (p_.in_w - first + s - 1) / s);
                            for (int64_t j = j0; j < j1; ++j) dst[j] = in[first + j * s];
                        }
                    }
                }
                src = staged;
            }
            const float* wc = w + c * taps;
            float* yc = yn + c * p_.out_plane();
            const float b = bias ? bias[c] : 0.f;
            for (int64_t oy = 0; oy < p_.out_h; ++oy) {
                float* yrow = yc + oy * p_.out_w;
                const float* base = src + oy * p_.stride_h * row_len_;
                for (int64_t t0 = 0; t0 < taps; t0 += kMaxTapsPerPass) {
                    const int64_t count = std::min(kMaxTapsPerPass, taps - t0);
                    for (int64_t t = 0; t < count; ++t) rows[t] = base + tap_offsets_[t0 + t];
                    accumulate_taps(yrow, rows, wc + t0, count, p_.out_w, t0 == 0, b);
                }
            }
        }
    }

    ConvShape s_;
    PlaneWindow p_;
    bool depthwise_ = false;
    bool pointwise_ = false;
    // Depthwise staging (see depthwise()): whether the plane is staged, rows staged, floats per staged row,
    // floats per phase, and each tap's offset from the start of its output row's first input row.
    bool staged_ = false;
    int64_t staged_rows_ = 0, row_len_ = 0, phase_w_ = 0;
    std::vector<int64_t> tap_offsets_;
    int64_t tile_ = 1;  // output positions per im2col tile
};

void infer_conv(InferContext& ctx) { infer_conv_like(ctx, ConvKind::Forward); }

std::unique_ptr<FloatKernel> prepare_conv(const Node& node, const Graph& graph) {
    return with_fused_activation(node, std::make_unique<ConvKernel>(prepared_conv_shape(node, graph, ConvKind::Forward)));
}

}  // namespace

ESPQ_REGISTER_FLOAT_OP(FloatOpDef{"Conv", infer_conv, prepare_conv});

}  // namespace espq::float_kernels
