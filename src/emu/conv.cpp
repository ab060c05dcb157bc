// Conv (regular and depthwise, 2-D NHWC and 1-D NWC), int8 and int16: docs/esp-dl-arithmetic.md §6.1, §6.2.
//
// Padding is never materialized on the chip: out-of-range taps are skipped, which equals adding zeros even
// with saturating lanes (adding 0 never moves a lane). Regular convs go through MacEngineS8/S16 on im2col rows
// in (ky, kx, c) order; depthwise convs run per channel over the taps in (ky, kx) order.
#include <algorithm>

#include "emu/emu_op.hpp"
#include "emu/filter.hpp"
#include "emu/mac_engine.hpp"

namespace espq::emu {

namespace {

struct ConvGeometry {
    int64_t batch = 1, ih = 1, iw = 1, c = 1;  // input NHWC (1-D: ih = 1)
    int64_t oh = 1, ow = 1, n = 1;
    int kh = 1, kw = 1;
    int sh = 1, sw = 1, dh = 1, dw = 1;
    int pt = 0, pl = 0;  // top / left padding (bottom/right only shape the output size)
    bool one_d = false;
};

ConvGeometry conv_geometry(PrepareContext& ctx, int kh, int kw, int n) {
    const Node& node = ctx.node();
    const Shape& x = ctx.in_shape(0);
    ConvGeometry g;
    g.one_d = x.size() == 3;
    if (x.size() != 3 && x.size() != 4)
        ctx.error("input has shape " + shape_str(x) + "; Conv needs NHWC (4-D) or NWC (3-D)");
    const int sd = g.one_d ? 1 : 2;
    g.batch = x[0];
    g.ih = g.one_d ? 1 : x[1];
    g.iw = x[x.size() - 2];
    g.c = x.back();
    g.kh = kh;
    g.kw = kw;
    g.n = n;
    if (node.attr_string("auto_pad", "NOTSET") != "NOTSET")
        ctx.unsupported("auto_pad = " + node.attr_string("auto_pad", ""));
    auto ints = [&](const char* name, int64_t dflt, size_t count) {
        std::vector<int64_t> v = node.attr_ints(name, std::vector<int64_t>(count, dflt));
        if (v.size() != count)
            ctx.error(std::string(name) + " has " + std::to_string(v.size()) + " values, expected " +
                      std::to_string(count));
        for (int64_t e : v)
            if (e < (dflt == 0 ? 0 : 1)) ctx.error(std::string(name) + " value " + std::to_string(e) + " is invalid");
        return v;
    };
    auto strides = ints("strides", 1, sd), dil = ints("dilations", 1, sd), pads = ints("pads", 0, 2 * sd);
    if (node.has_attr("kernel_shape")) {
        auto ks = node.attr_ints("kernel_shape");
        std::vector<int64_t> expect = g.one_d ? std::vector<int64_t>{kw} : std::vector<int64_t>{kh, kw};
        if (ks != expect) ctx.error("kernel_shape does not match the weight's dimensions");
    }
    // ONNX pads order: [x1_begin, x2_begin, x1_end, x2_end] = [t, l, b, r] (1-D: [l, r]).
    int64_t pt = 0, pb = 0, pl, pr;
    if (g.one_d) {
        pl = pads[0];
        pr = pads[1];
        g.sw = static_cast<int>(strides[0]);
        g.dw = static_cast<int>(dil[0]);
    } else {
        pt = pads[0];
        pl = pads[1];
        pb = pads[2];
        pr = pads[3];
        g.sh = static_cast<int>(strides[0]);
        g.sw = static_cast<int>(strides[1]);
        g.dh = static_cast<int>(dil[0]);
        g.dw = static_cast<int>(dil[1]);
    }
    g.pt = static_cast<int>(pt);
    g.pl = static_cast<int>(pl);
    const int64_t eh = g.ih + pt + pb - g.dh * (kh - 1) - 1, ew = g.iw + pl + pr - g.dw * (kw - 1) - 1;
    if (eh < 0 || ew < 0) ctx.error("the kernel is larger than the padded input " + shape_str(x));
    g.oh = eh / g.sh + 1;  // floor: ESP-DL has no ceil mode
    g.ow = ew / g.sw + 1;
    if (g.one_d) ctx.set_out_shape(0, {g.batch, g.ow, n});
    else ctx.set_out_shape(0, {g.batch, g.oh, g.ow, n});
    return g;
}

// im2col rows (int16, (ky, kx, c) order, zero for out-of-range taps and the k padding) for output rows
// [oy0, oy0 + rows_y) of one batch image.
template <typename T>
void im2col(const ConvGeometry& g, const T* x, int64_t oy, int16_t* row, int kp) {
    const int64_t c = g.c;
    for (int64_t ox = 0; ox < g.ow; ++ox, row += kp) {
        int16_t* d = row;
        for (int ky = 0; ky < g.kh; ++ky) {
            const int64_t iy = oy * g.sh - g.pt + static_cast<int64_t>(ky) * g.dh;
            for (int kx = 0; kx < g.kw; ++kx, d += c) {
                const int64_t ix = ox * g.sw - g.pl + static_cast<int64_t>(kx) * g.dw;
                if (iy < 0 || iy >= g.ih || ix < 0 || ix >= g.iw) {
                    std::fill(d, d + c, int16_t(0));
                } else {
                    const T* s = x + (iy * g.iw + ix) * c;
                    for (int64_t ch = 0; ch < c; ++ch) d[ch] = s[ch];
                }
            }
        }
        std::fill(d, row + kp, int16_t(0));
    }
}

class ConvS8 : public EmuKernel {
public:
    ConvS8(ConvGeometry g, MacEngineS8 engine) : g_(g), engine_(std::move(engine)) {}
    void run(const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out, KernelScratch& s) const override {
        const int8_t* x = in[0]->data<int8_t>();
        int8_t* y = out[0]->data<int8_t>();
        const int kp = engine_.k_padded();
        const int64_t positions = g_.oh * g_.ow;
        const int64_t rows = MacEngineS8::padded_rows(positions);
        int16_t* col = s.get<int16_t>(0, rows * kp);
        int32_t* acc = s.get<int32_t>(1, rows * engine_.n_padded());
        std::fill(col + positions * kp, col + rows * kp, int16_t(0));
        for (int64_t b = 0; b < g_.batch; ++b) {
            const int8_t* xb = x + b * g_.ih * g_.iw * g_.c;
            for (int64_t oy = 0; oy < g_.oh; ++oy) im2col(g_, xb, oy, col + oy * g_.ow * kp, kp);
            engine_.run(col, positions, y + b * positions * g_.n, g_.n, acc);
        }
    }

private:
    ConvGeometry g_;
    MacEngineS8 engine_;
};

class ConvS16 : public EmuKernel {
public:
    ConvS16(ConvGeometry g, MacEngineS16 engine) : g_(g), engine_(std::move(engine)) {}
    void run(const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out, KernelScratch& s) const override {
        const int16_t* x = in[0]->data<int16_t>();
        int16_t* y = out[0]->data<int16_t>();
        const int k = engine_.k();
        int16_t* col = s.get<int16_t>(0, g_.ow * static_cast<int64_t>(k));
        int64_t* acc = s.get<int64_t>(1, engine_.n());
        for (int64_t b = 0; b < g_.batch; ++b) {
            const int16_t* xb = x + b * g_.ih * g_.iw * g_.c;
            for (int64_t oy = 0; oy < g_.oh; ++oy) {
                im2col(g_, xb, oy, col, k);
                engine_.run(col, g_.ow, y + ((b * g_.oh + oy) * g_.ow) * g_.n, g_.n, acc);
            }
        }
    }

private:
    ConvGeometry g_;
    MacEngineS16 engine_;
};

// Per-tap channel loops of the depthwise kernel, compiled for AVX2 as well where the compiler can dispatch.
template <typename T, typename Acc>
ESPQ_EMU_VECTOR_CLONES void dw_mac_saturating(Acc* acc, const T* x, const int32_t* w, int64_t c, Acc lo, Acc hi) {
    for (int64_t ch = 0; ch < c; ++ch) {
        const Acc a = acc[ch] + static_cast<Acc>(x[ch]) * static_cast<Acc>(w[ch]);
        acc[ch] = a < lo ? lo : (a > hi ? hi : a);
    }
}
template <typename T, typename Acc>
ESPQ_EMU_VECTOR_CLONES void dw_mac_exact(Acc* acc, const T* x, const int32_t* w, int64_t c) {
    for (int64_t ch = 0; ch < c; ++ch) acc[ch] += static_cast<Acc>(x[ch]) * static_cast<Acc>(w[ch]);
}

// Depthwise: per channel, taps in (ky, kx) order. `lane_bits` = 20 (S3 int8 QACC) / 40 (int16 lanes) saturate
// after every MAC, starting from the bias as loaded into the lane; 0 = exact (the tap sum joins the bias at the
// end, wrapped to int32 on C targets). int8 accumulates in int32 (20-bit lanes, or at most taps * 2^14 without
// the bias), int16 in int64.
template <typename T>
class DepthwiseConv : public EmuKernel {
    using Acc = std::conditional_t<std::is_same_v<T, int8_t>, int32_t, int64_t>;

public:
    DepthwiseConv(ConvGeometry g, std::vector<int32_t> w, std::vector<int64_t> bias, int lane_bits, bool wrap32,
                  MacRequant rq)
        : g_(g), w_(std::move(w)), bias_(std::move(bias)), lane_bits_(lane_bits), wrap32_(wrap32), rq_(std::move(rq)) {
        lane_init_.assign(bias_.begin(), bias_.end());
        // int8: requantize in int32 when no sum can leave it (see MacEngineS8).
        fits32_ = std::is_same_v<T, int8_t>;
        post32_.assign(bias_.size(), 0);
        for (size_t c = 0; c < bias_.size(); ++c) {
            if (!lane_bits_) post32_[c] = static_cast<int32_t>(bias_[c]);
            const int s = rq_.shift[c];
            const int64_t bound = std::abs(bias_[c]) + (int64_t(1) << 20) + int64_t(16384) * g_.kh * g_.kw +
                                  (s > 0 ? int64_t(1) << (s - 1) : 0);
            if (bound >= (int64_t(1) << 31) || s > 30) fits32_ = false;
        }
    }

    void run(const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out, KernelScratch& s) const override {
        const T* x = in[0]->data<T>();
        T* y = out[0]->data<T>();
        const int64_t c = g_.c;
        Acc* acc = s.get<Acc>(0, c);
        int64_t* total = s.get<int64_t>(1, c);
        const Acc lo = lane_bits_ ? static_cast<Acc>(-(int64_t(1) << (lane_bits_ - 1))) : 0;
        const Acc hi = lane_bits_ ? static_cast<Acc>((int64_t(1) << (lane_bits_ - 1)) - 1) : 0;
        for (int64_t b = 0; b < g_.batch; ++b) {
            const T* xb = x + b * g_.ih * g_.iw * c;
            for (int64_t oy = 0; oy < g_.oh; ++oy)
                for (int64_t ox = 0; ox < g_.ow; ++ox) {
                    if (lane_bits_) std::copy(lane_init_.begin(), lane_init_.end(), acc);
                    else std::fill(acc, acc + c, Acc(0));
                    for (int ky = 0; ky < g_.kh; ++ky) {
                        const int64_t iy = oy * g_.sh - g_.pt + static_cast<int64_t>(ky) * g_.dh;
                        if (iy < 0 || iy >= g_.ih) continue;
                        for (int kx = 0; kx < g_.kw; ++kx) {
                            const int64_t ix = ox * g_.sw - g_.pl + static_cast<int64_t>(kx) * g_.dw;
                            if (ix < 0 || ix >= g_.iw) continue;
                            const T* xs = xb + (iy * g_.iw + ix) * c;
                            const int32_t* ws = w_.data() + (static_cast<int64_t>(ky) * g_.kw + kx) * c;
                            if (lane_bits_) dw_mac_saturating<T, Acc>(acc, xs, ws, c, lo, hi);
                            else dw_mac_exact<T, Acc>(acc, xs, ws, c);
                        }
                    }
                    T* yo = y + ((b * g_.oh + oy) * g_.ow + ox) * c;
                    if constexpr (std::is_same_v<T, int8_t>) {
                        if (fits32_) {
                            requantize_row32(rq_, acc, post32_.data(), yo, c);
                            continue;
                        }
                    }
                    for (int64_t ch = 0; ch < c; ++ch) {
                        int64_t t = lane_bits_ ? acc[ch] : acc[ch] + bias_[ch];
                        if (wrap32_) t = static_cast<int32_t>(static_cast<uint32_t>(t));
                        total[ch] = t;
                    }
                    requantize_row(rq_, total, yo, c);
                }
        }
    }

private:
    ConvGeometry g_;
    std::vector<int32_t> w_;      // [kh][kw][c]
    std::vector<int64_t> bias_;   // [c], already as loaded into the lanes when lane_bits_ != 0
    std::vector<Acc> lane_init_;  // bias_ in the accumulator type
    std::vector<int32_t> post32_; // int8: bias added after an exact sum (0 for lanes)
    bool fits32_ = false;
    int lane_bits_;
    bool wrap32_;
    MacRequant rq_;
};

std::unique_ptr<EmuKernel> prepare_conv(PrepareContext& ctx) {
    const Node& node = ctx.node();
    const DType act = ctx.in_dtype(0);
    if (act == DType::Float32) ctx.unsupported("float Conv (ESP-DL creates no Conv module for F32)");
    ctx.require_dtype(act, {DType::Int8, DType::Int16}, "input");
    ctx.check(ctx.out_dtype(0) == act, std::string("output dtype ") + dtype_name(ctx.out_dtype(0)) +
                                           " differs from the input dtype " + dtype_name(act));
    const Value& wv = ctx.in_value(1);
    const Tensor& wt = ctx.require_constant(1, "weight");
    ctx.check(wt.dtype() == act, std::string("weight dtype ") + dtype_name(wt.dtype()) + " differs from the input dtype " +
                                     dtype_name(act));
    const Shape& xs = ctx.in_shape(0);
    const bool one_d = xs.size() == 3;
    const Shape& ws = wt.shape();
    // Stored dims: regular [KH, KW, C, N] / [KW, C, N]; depthwise [KH, KW, N, 1] / [KW, N, 1].
    ctx.check(ws.size() == (one_d ? 3u : 4u), "weight has shape " + shape_str(ws) + "; expected " +
                                                   (one_d ? "[KW, C, N]" : "[KH, KW, C, N]"));
    const int64_t group = node.attr_int("group", 1);
    const int kh = one_d ? 1 : static_cast<int>(ws[0]);
    const int kw = static_cast<int>(ws[one_d ? 0 : 1]);
    const int64_t c_in = xs.back();
    const bool depthwise = group != 1;
    int n;
    if (depthwise) {
        n = static_cast<int>(ws[ws.size() - 2]);
        if (ws.back() != 1 || group != c_in || n != c_in)
            ctx.unsupported("grouped convolution (group " + std::to_string(group) + ", " + std::to_string(c_in) +
                            " input channels, weight " + shape_str(ws) +
                            "): ESP-DL executes every group != 1 as depthwise with one filter per channel");
    } else {
        n = static_cast<int>(ws.back());
        ctx.check(ws[ws.size() - 2] == c_in, "weight has " + std::to_string(ws[ws.size() - 2]) +
                                                 " input channels, the input has " + std::to_string(c_in));
    }
    ConvGeometry g = conv_geometry(ctx, kh, kw, n);
    const int e_in = ctx.in_exponent(0), e_out = ctx.out_exponent(0);
    MacRequant rq{mac_shifts(ctx, wv, n, e_in, e_out), fused_relu(ctx), ctx.rounding()};
    std::vector<int64_t> bias = read_bias(ctx, 2, n, act);
    const int block = filter_block_size(ctx, wv);
    const TargetPolicy& pol = ctx.policy();
    const int cpg = depthwise ? 1 : static_cast<int>(c_in);

    if (depthwise) {
        auto plain = act == DType::Int8
                         ? [&] {
                               auto p = deblock_filter(wt.data<int8_t>(), n, kh, kw, 1, block, true);
                               return std::vector<int32_t>(p.begin(), p.end());
                           }()
                         : [&] {
                               auto p = deblock_filter(wt.data<int16_t>(), n, kh, kw, 1, block, true);
                               return std::vector<int32_t>(p.begin(), p.end());
                           }();
        std::vector<int32_t> w(static_cast<size_t>(kh) * kw * n);  // [kh][kw][n]
        for (int ch = 0; ch < n; ++ch)
            for (int t = 0; t < kh * kw; ++t) w[static_cast<size_t>(t) * n + ch] = plain[static_cast<size_t>(ch) * kh * kw + t];
        if (bias.empty()) bias.assign(n, 0);
        // Every depthwise channel, remainder included, uses QACC lanes on S3 (docs/esp-dl-arithmetic.md §6.2); int16
        // lanes are 40-bit.
        int lane_bits = 0;
        bool wrap32 = false;
        if (act == DType::Int8) {
            if (pol.int8_accumulator_saturates) lane_bits = pol.int8_accumulator_bits;
            wrap32 = pol.int8_accumulator_wraps;
        } else if (pol.int16_accumulator_bits < 64) {
            lane_bits = pol.int16_accumulator_bits;
        }
        // S3 repacks the bias into the lanes (low 20 / 40 bits, wrapping); elsewhere it keeps its stored width.
        for (auto& b : bias)
            b = lane_bits && pol.bias_repacked_into_lanes ? wrap_bits(b, lane_bits) : wrap_bits(b, act == DType::Int8 ? 32 : 64);
        if (act == DType::Int8)
            return std::make_unique<DepthwiseConv<int8_t>>(g, std::move(w), std::move(bias), lane_bits, wrap32,
                                                           std::move(rq));
        return std::make_unique<DepthwiseConv<int16_t>>(g, std::move(w), std::move(bias), lane_bits, false,
                                                        std::move(rq));
    }

    const int k = kh * kw * cpg;
    if (act == DType::Int8) {
        std::vector<int8_t> w = deblock_filter(wt.data<int8_t>(), n, kh, kw, cpg, block, false);
        // The aligned kernel (N % 16 == 0) puts every channel in QACC lanes; otherwise channels from
        // 16*floor(N/16) on go through the exact ACCX accumulator (docs/esp-dl-arithmetic.md §5).
        return std::make_unique<ConvS8>(g, MacEngineS8(n, k, w, bias, pol, std::move(rq)));
    }
    std::vector<int16_t> w = deblock_filter(wt.data<int16_t>(), n, kh, kw, cpg, block, false);
    return std::make_unique<ConvS16>(g, MacEngineS16(n, k, w, bias, pol, std::move(rq)));
}

}  // namespace

ESPQ_REGISTER_EMU_OP("Conv", prepare_conv);

}  // namespace espq::emu
