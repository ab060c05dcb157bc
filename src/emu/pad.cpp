// Pad: constant / edge / reflect over the stored axes; pads from an int64 initializer ([begins..., ends...]),
// the constant is element 0 of input 2 read in the tensor's own dtype, i.e. already quantized
// (docs/esp-dl-arithmetic.md §6.15).
#include "emu/emu_op.hpp"

namespace espq::emu {

namespace {

std::unique_ptr<EmuKernel> prepare_pad(PrepareContext& ctx) {
    const DType dt = ctx.in_dtype(0);
    ctx.check(ctx.out_dtype(0) == dt, "Pad output dtype differs from the input dtype");
    const Shape& xs = ctx.in_shape(0);
    const int rank = static_cast<int>(xs.size());
    std::vector<int64_t> pads = ctx.require_constant(1, "pads").as_int64s();
    ctx.check(static_cast<int>(pads.size()) == 2 * rank, "pads has " + std::to_string(pads.size()) +
                                                             " values for a rank-" + std::to_string(rank) + " input");
    if (ctx.has_input(3)) ctx.unsupported("the `axes` input of Pad");
    const std::string mode = ctx.node().attr_string("mode", "constant");
    ctx.check(mode == "constant" || mode == "edge" || mode == "reflect", "mode '" + mode + "' is not supported");
    Shape ys(rank);
    for (int d = 0; d < rank; ++d) {
        ctx.check(pads[d] >= 0 && pads[d + rank] >= 0, "negative pads are not supported");
        ys[d] = xs[d] + pads[d] + pads[d + rank];
        if (mode == "reflect") ctx.check(xs[d] > pads[d] && xs[d] > pads[d + rank], "reflect pad larger than the input");
        if (mode == "edge") ctx.check(xs[d] > 0, "edge pad of an empty axis");
    }
    ctx.set_out_shape(0, ys);
    const size_t es = dtype_size(dt);
    std::vector<uint8_t> fill(es, 0);
    if (ctx.has_input(2) && mode == "constant") {
        const Tensor& c = ctx.require_constant(2, "constant_value");
        ctx.check(c.dtype() == dt, std::string("constant_value has dtype ") + dtype_name(c.dtype()) +
                                       "; ESP-DL reads it in the tensor's dtype " + dtype_name(dt));
        if (c.numel() > 0) std::memcpy(fill.data(), c.raw(), es);
    }
    const int m = mode == "constant" ? 0 : (mode == "edge" ? 1 : 2);
    std::vector<int64_t> in_stride(rank, 1);
    for (int d = rank - 2; d >= 0; --d) in_stride[d] = in_stride[d + 1] * xs[d + 1];
    return make_kernel([=](const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out, KernelScratch&) {
        const uint8_t* x = in[0]->raw();
        uint8_t* y = out[0]->raw();
        const int64_t total = shape_numel(ys);
        std::vector<int64_t> idx(rank, 0);
        for (int64_t o = 0; o < total; ++o) {
            int64_t src = 0;
            bool inside = true;
            for (int d = 0; d < rank; ++d) {
                int64_t i = idx[d] - pads[d];
                if (i < 0 || i >= xs[d]) {
                    if (m == 0) {
                        inside = false;
                        break;
                    }
                    if (m == 1)
                        i = i < 0 ? 0 : xs[d] - 1;
                    else
                        i = i < 0 ? -i : 2 * (xs[d] - 1) - i;
                }
                src += i * in_stride[d];
            }
            std::memcpy(y + o * es, inside ? x + src * es : fill.data(), es);
            for (int d = rank - 1; d >= 0; --d) {
                if (++idx[d] < ys[d]) break;
                idx[d] = 0;
            }
        }
    });
}

}  // namespace

ESPQ_REGISTER_EMU_OP("Pad", prepare_pad);

}  // namespace espq::emu
