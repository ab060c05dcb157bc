// Pool window geometry (see pool.hpp).
#include "emu/pool.hpp"

namespace espq::emu {

PoolGeometry pool_geometry(PrepareContext& ctx, bool global) {
    const Node& node = ctx.node();
    const Shape& x = ctx.in_shape(0);
    if (x.size() != 3 && x.size() != 4)
        ctx.error("input has shape " + shape_str(x) + "; pooling needs NHWC (4-D) or NWC (3-D)");
    const bool one_d = x.size() == 3;
    PoolGeometry g;
    g.batch = x[0];
    g.ih = one_d ? 1 : x[1];
    g.iw = x[x.size() - 2];
    g.c = x.back();
    if (global) {
        g.kh = static_cast<int>(g.ih);
        g.kw = static_cast<int>(g.iw);
    } else {
        if (node.attr_int("ceil_mode", 0) != 0) ctx.unsupported("ceil_mode = 1 (ESP-DL pools have no ceil mode)");
        if (node.attr_string("auto_pad", "NOTSET") != "NOTSET") ctx.unsupported("auto_pad");
        for (int64_t d : node.attr_ints("dilations"))
            if (d != 1) ctx.unsupported("dilated pooling");
        const size_t sd = one_d ? 1 : 2;
        auto ks = node.attr_ints("kernel_shape");
        auto st = node.attr_ints("strides", std::vector<int64_t>(sd, 1));
        auto pads = node.attr_ints("pads", std::vector<int64_t>(2 * sd, 0));
        ctx.check(ks.size() == sd && st.size() == sd && pads.size() == 2 * sd,
                  "kernel_shape/strides/pads do not match a " + std::to_string(sd) + "-D pool");
        for (int64_t v : ks) ctx.check(v >= 1, "kernel_shape must be positive");
        for (int64_t v : st) ctx.check(v >= 1, "strides must be positive");
        for (int64_t v : pads) ctx.check(v >= 0, "pads must be non-negative");
        if (one_d) {
            g.kw = static_cast<int>(ks[0]);
            g.sw = static_cast<int>(st[0]);
            g.pl = static_cast<int>(pads[0]);
            g.ow = (g.iw + pads[0] + pads[1] - g.kw);
        } else {
            g.kh = static_cast<int>(ks[0]);
            g.kw = static_cast<int>(ks[1]);
            g.sh = static_cast<int>(st[0]);
            g.sw = static_cast<int>(st[1]);
            g.pt = static_cast<int>(pads[0]);
            g.pl = static_cast<int>(pads[1]);
            g.oh = (g.ih + pads[0] + pads[2] - g.kh);
            g.ow = (g.iw + pads[1] + pads[3] - g.kw);
        }
        ctx.check(g.oh >= 0 && g.ow >= 0, "the pooling window is larger than the padded input");
        g.oh = one_d ? 1 : g.oh / g.sh + 1;
        g.ow = g.ow / g.sw + 1;
    }
    if (global) {
        g.oh = 1;
        g.ow = 1;
    }
    if (one_d) ctx.set_out_shape(0, {g.batch, g.ow, g.c});
    else ctx.set_out_shape(0, {g.batch, g.oh, g.ow, g.c});
    return g;
}

}  // namespace espq::emu
