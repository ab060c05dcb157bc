// Window geometry shared by MaxPool and AveragePool (NHWC 4-D or NWC 3-D; pads [t, l, b, r] / [l, r]; floor
// output size, no ceil mode, no dilation). Out-of-range taps are skipped (docs/esp-dl-arithmetic.md §3, §6.7, §6.8).
#pragma once

#include <algorithm>

#include "emu/emu_op.hpp"

namespace espq::emu {

struct PoolGeometry {
    int64_t batch = 1, ih = 1, iw = 1, c = 1, oh = 1, ow = 1;
    int kh = 1, kw = 1, sh = 1, sw = 1, pt = 0, pl = 0;
};

// From the node's kernel_shape/strides/pads (global = whole spatial extent); sets output 0's shape.
PoolGeometry pool_geometry(PrepareContext& ctx, bool global);

// Calls f(out_offset, tap_offsets...) style: for every output pixel, visits the valid taps in (y, x) order.
template <typename F>
void for_each_pool_window(const PoolGeometry& g, F&& f) {
    for (int64_t b = 0; b < g.batch; ++b)
        for (int64_t oy = 0; oy < g.oh; ++oy)
            for (int64_t ox = 0; ox < g.ow; ++ox) {
                const int64_t y0 = oy * g.sh - g.pt, x0 = ox * g.sw - g.pl;
                const int64_t ya = std::max<int64_t>(y0, 0), yb = std::min<int64_t>(y0 + g.kh, g.ih);
                const int64_t xa = std::max<int64_t>(x0, 0), xb = std::min<int64_t>(x0 + g.kw, g.iw);
                f(((b * g.oh + oy) * g.ow + ox) * g.c, b * g.ih * g.iw, ya, yb, xa, xb);
            }
}

}  // namespace espq::emu
