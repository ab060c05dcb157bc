// Resize, int8 only (int16 Resize has an empty body on the chip: rejected, docs/esp-dl-arithmetic.md §9.1).
// scales/sizes are read in NCHW order ([2] = H, [3] = W; 3-D: [2] = W) although the tensor is NHWC
// (docs/esp-dl-arithmetic.md §6.13, esp-dl dl_base_resize.*).
//   nearest (asymmetric, floor): in = min((int)(o * fl32(1/scale)), len - 1); values requantized by
//     k = max(e_out - e_in, 0), scale = 2^max(e_in - e_out, 0): SIMD sat8(round_shift(x * scale, k)),
//     C targets fround(fl32(x) * scale / 2^k);
//   linear (float): half-pixel or align_corners coordinates, horizontal then vertical interpolation of
//     dequantized values, then quantize.
#include <cmath>

#include "emu/emu_op.hpp"

namespace espq::emu {

namespace {

struct ResizePlan {
    int64_t batch = 1, ih = 1, iw = 1, c = 1, oh = 1, ow = 1;
    bool linear = false, align_corners = false, one_d = false;
    float scale_h_inv = 1, scale_w_inv = 1;
    int shift = 0, scale = 1;
    bool simd = true;
    float in_scale = 1, out_inv = 1;
    Rounding rounding = Rounding::HalfUp;
};

void linear_coeffs(int64_t o, int64_t len, float scale_inv, bool align, int64_t& i, float& r0, float& r1) {
    if (len == 1) {
        // The chip reads index -1 with weight 0 and index 0 with weight 1; model it without the stray read.
        i = 0;
        r0 = 1.f;
        r1 = 0.f;
        return;
    }
    float fx = align ? static_cast<float>(o) * scale_inv : (static_cast<float>(o) + 0.5f) * scale_inv - 0.5f;
    if (!std::isfinite(fx)) fx = 0.f;  // (int)floorf(NaN/inf) is undefined on the chip; keep the emulator defined
    int64_t ii = static_cast<int64_t>(std::floor(fx));
    fx -= static_cast<float>(ii);
    if (ii < 0) {
        ii = 0;
        fx = 0.f;
    }
    if (ii >= len - 1) {
        ii = len - 2;
        fx = 1.f;
    }
    i = ii;
    r0 = 1.f - fx;
    r1 = fx;
}

std::unique_ptr<EmuKernel> resize_kernel(ResizePlan p) {
    return make_kernel([p](const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out, KernelScratch&) {
        const int8_t* x = in[0]->data<int8_t>();
        int8_t* y = out[0]->data<int8_t>();
        auto requant = [&](int8_t v) -> int8_t {
            if (p.simd) return saturate<int8_t>(round_shift(int64_t(v) * p.scale, p.shift, p.rounding));
            return saturate<int8_t>(
                fround(static_cast<float>(v) * static_cast<float>(p.scale) / static_cast<float>(1 << p.shift), p.rounding));
        };
        auto deq = [&](int8_t v) { return static_cast<float>(v) * p.in_scale; };
        for (int64_t b = 0; b < p.batch; ++b) {
            const int8_t* xb = x + b * p.ih * p.iw * p.c;
            int8_t* yb = y + b * p.oh * p.ow * p.c;
            for (int64_t oy = 0; oy < p.oh; ++oy)
                for (int64_t ox = 0; ox < p.ow; ++ox) {
                    int8_t* yo = yb + (oy * p.ow + ox) * p.c;
                    if (!p.linear) {
                        const int64_t iy = std::min<int64_t>(static_cast<int64_t>(static_cast<float>(oy) * p.scale_h_inv), p.ih - 1);
                        const int64_t ix = std::min<int64_t>(static_cast<int64_t>(static_cast<float>(ox) * p.scale_w_inv), p.iw - 1);
                        const int8_t* xs = xb + (iy * p.iw + ix) * p.c;
                        for (int64_t ch = 0; ch < p.c; ++ch) yo[ch] = requant(xs[ch]);
                        continue;
                    }
                    int64_t ix, iy = 0;
                    float xr0, xr1, yr0 = 1.f, yr1 = 0.f;
                    linear_coeffs(ox, p.iw, p.scale_w_inv, p.align_corners, ix, xr0, xr1);
                    if (!p.one_d) linear_coeffs(oy, p.ih, p.scale_h_inv, p.align_corners, iy, yr0, yr1);
                    const int64_t ix1 = std::min(ix + 1, p.iw - 1), iy1 = std::min(iy + 1, p.ih - 1);
                    for (int64_t ch = 0; ch < p.c; ++ch) {
                        const int8_t* r0 = xb + iy * p.iw * p.c;
                        const float row0 = deq(r0[ix * p.c + ch]) * xr0 + deq(r0[ix1 * p.c + ch]) * xr1;
                        float v = row0;
                        if (!p.one_d) {
                            const int8_t* r1 = xb + iy1 * p.iw * p.c;
                            const float row1 = deq(r1[ix * p.c + ch]) * xr0 + deq(r1[ix1 * p.c + ch]) * xr1;
                            v = row0 * yr0 + row1 * yr1;
                        }
                        yo[ch] = quantize_float<int8_t>(v, p.out_inv, p.rounding);
                    }
                }
        }
    });
}

std::unique_ptr<EmuKernel> prepare_resize(PrepareContext& ctx) {
    const DType dt = ctx.in_dtype(0);
    if (dt == DType::Int16) ctx.unsupported("int16 Resize (ESP-DL's int16 resize kernel has an empty body; use int8)");
    ctx.require_dtype(dt, {DType::Int8}, "input");
    ctx.check(ctx.out_dtype(0) == dt, "output dtype differs from the input dtype");
    const Shape& xs = ctx.in_shape(0);
    ctx.check(xs.size() == 3 || xs.size() == 4, "input " + shape_str(xs) + " is not NHWC / NWC");
    const bool one_d = xs.size() == 3;
    ResizePlan p;
    p.batch = xs[0];
    p.ih = one_d ? 1 : xs[1];
    p.iw = xs[xs.size() - 2];
    p.c = xs.back();
    const std::string mode = ctx.node().attr_string("mode", "nearest");
    ctx.check(mode == "nearest" || mode == "linear", "mode '" + mode + "' is not supported by ESP-DL");
    p.linear = mode == "linear";
    p.align_corners = ctx.node().attr_string("coordinate_transformation_mode", "") == "align_corners";
    float scale_h = 1, scale_w = 1;
    if (ctx.has_input(3) && ctx.require_constant(3, "sizes").numel() > 0) {
        std::vector<int64_t> sizes = ctx.require_constant(3, "sizes").as_int64s();
        ctx.check(sizes.size() == xs.size(), "sizes must have one entry per dimension (NCHW order)");
        p.ow = sizes[one_d ? 2 : 3];
        p.oh = one_d ? 1 : sizes[2];
        scale_w = static_cast<float>(p.ow) / static_cast<float>(p.iw);
        scale_h = one_d ? 1.f : static_cast<float>(p.oh) / static_cast<float>(p.ih);
    } else {
        std::vector<double> scales = ctx.require_constant(2, "scales").as_doubles();
        ctx.check(scales.size() == xs.size(), "scales must have one entry per dimension (NCHW order)");
        scale_w = static_cast<float>(scales[one_d ? 2 : 3]);
        scale_h = one_d ? 1.f : static_cast<float>(scales[2]);
        p.ow = static_cast<int64_t>(static_cast<float>(p.iw) * scale_w);
        p.oh = one_d ? 1 : static_cast<int64_t>(static_cast<float>(p.ih) * scale_h);
    }
    ctx.check(p.oh > 0 && p.ow > 0, "the output would be empty");
    if (p.linear && p.align_corners) {
        scale_w = static_cast<float>(p.ow - 1) / static_cast<float>(p.iw - 1);
        if (!one_d) scale_h = static_cast<float>(p.oh - 1) / static_cast<float>(p.ih - 1);
    }
    p.one_d = one_d;
    p.scale_w_inv = 1 / scale_w;
    p.scale_h_inv = 1 / scale_h;
    if (one_d) ctx.set_out_shape(0, {p.batch, p.ow, p.c});
    else ctx.set_out_shape(0, {p.batch, p.oh, p.ow, p.c});
    const int e_in = ctx.in_exponent(0), e_out = ctx.out_exponent(0);
    p.shift = std::min(std::max(e_out - e_in, 0), 30);
    p.scale = 1 << std::min(std::max(e_in - e_out, 0), 30);
    p.simd = ctx.policy().has_simd();
    p.in_scale = pow2f(e_in);
    p.out_inv = pow2f(-e_out);
    p.rounding = ctx.rounding();
    return resize_kernel(p);
}

}  // namespace

ESPQ_REGISTER_EMU_OP("Resize", prepare_resize);

}  // namespace espq::emu
