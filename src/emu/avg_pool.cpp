// AveragePool and GlobalAveragePool: the float path forced by CONFIG_ACCURATE_INFER (docs/esp-dl-arithmetic.md §6.8):
//   sum = int32 sum of the raw inputs over the valid taps (y, then x);
//   area = KH*KW of the full kernel, never reduced at borders (count_include_pad = 1 whatever the attribute);
//   scale = fl32(fl32(2^e_in * fl32(1/area)) * 2^-e_out);  y = sat(fround(fl32(sum) * scale)).
// Float tensors: y = sum * fl32(1.0 / area).
#include "emu/emu_op.hpp"
#include "emu/pool.hpp"

namespace espq::emu {

namespace {

template <typename T>
std::unique_ptr<EmuKernel> avg_pool_kernel(const PoolGeometry& g, float scale, Rounding r) {
    using Sum = std::conditional_t<std::is_same_v<T, float>, float, int32_t>;
    return make_kernel([=](const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out, KernelScratch& s) {
        const T* x = in[0]->data<T>();
        T* y = out[0]->data<T>();
        Sum* sum = s.get<Sum>(0, g.c);
        for_each_pool_window(g, [&](int64_t o, int64_t base, int64_t ya, int64_t yb, int64_t xa, int64_t xb) {
            std::fill(sum, sum + g.c, Sum(0));
            for (int64_t iy = ya; iy < yb; ++iy)
                for (int64_t ix = xa; ix < xb; ++ix) {
                    const T* xs = x + (base + iy * g.iw + ix) * g.c;
                    for (int64_t ch = 0; ch < g.c; ++ch) sum[ch] += static_cast<Sum>(xs[ch]);
                }
            for (int64_t ch = 0; ch < g.c; ++ch) {
                if constexpr (std::is_same_v<T, float>) y[o + ch] = sum[ch] * scale;
                else y[o + ch] = saturate<T>(fround(static_cast<float>(sum[ch]) * scale, r));
            }
        });
    });
}

template <bool kGlobal>
std::unique_ptr<EmuKernel> prepare_avg_pool(PrepareContext& ctx) {
    const DType dt = ctx.in_dtype(0);
    ctx.require_dtype(dt, {DType::Int8, DType::Int16, DType::Float32}, "input");
    ctx.check(ctx.out_dtype(0) == dt, "output dtype differs from the input dtype");
    PoolGeometry g = pool_geometry(ctx, kGlobal);
    const int area = g.kh * g.kw;
    if (dt == DType::Float32) return avg_pool_kernel<float>(g, static_cast<float>(1.0 / area), ctx.rounding());
    const float inv = 1.f / static_cast<float>(area);
    const float scale = pow2f(ctx.in_exponent(0)) * inv * pow2f(-ctx.out_exponent(0));
    if (dt == DType::Int8) return avg_pool_kernel<int8_t>(g, scale, ctx.rounding());
    return avg_pool_kernel<int16_t>(g, scale, ctx.rounding());
}

}  // namespace

ESPQ_REGISTER_EMU_OP("AveragePool", prepare_avg_pool<false>);
ESPQ_REGISTER_EMU_OP("GlobalAveragePool", prepare_avg_pool<true>);

}  // namespace espq::emu
