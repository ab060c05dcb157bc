// MaxPool: the maximum of raw values over the valid taps; passive, no rescale (docs/esp-dl-arithmetic.md §6.7).
#include <algorithm>

#include "emu/emu_op.hpp"
#include "emu/pool.hpp"

namespace espq::emu {

namespace {

template <typename T>
std::unique_ptr<EmuKernel> max_pool_kernel(const PoolGeometry& g) {
    return make_kernel([g](const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out, KernelScratch&) {
        const T* x = in[0]->data<T>();
        T* y = out[0]->data<T>();
        for_each_pool_window(g, [&](int64_t o, int64_t base, int64_t ya, int64_t yb, int64_t xa, int64_t xb) {
            T* yo = y + o;
            std::fill(yo, yo + g.c, std::numeric_limits<T>::lowest());
            for (int64_t iy = ya; iy < yb; ++iy)
                for (int64_t ix = xa; ix < xb; ++ix) {
                    const T* xs = x + (base + iy * g.iw + ix) * g.c;
                    for (int64_t ch = 0; ch < g.c; ++ch) yo[ch] = std::max(yo[ch], xs[ch]);
                }
        });
    });
}

std::unique_ptr<EmuKernel> prepare_max_pool(PrepareContext& ctx) {
    const DType dt = ctx.in_dtype(0);
    ctx.require_dtype(dt, {DType::Int8, DType::Int16}, "input");
    ctx.check(ctx.out_dtype(0) == dt, "MaxPool output dtype differs from its input dtype");
    PoolGeometry g = pool_geometry(ctx, false);
    return dt == DType::Int8 ? max_pool_kernel<int8_t>(g) : max_pool_kernel<int16_t>(g);
}

}  // namespace

ESPQ_REGISTER_EMU_OP("MaxPool", prepare_max_pool);

}  // namespace espq::emu
