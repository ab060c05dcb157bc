// InsertZeros (ESP-DL's half of ConvTranspose): a raw copy of each pixel of an NHWC / NWC tensor to position
// (h*stride_h, w*stride_w), zeros everywhere else, output_padding extra zero rows / columns at the end
// (docs/esp-dl-arithmetic.md §6.19). It reads no exponent: the output holds the input's integers unchanged.
#include "emu/emu_op.hpp"

namespace espq::emu {

namespace {

// The module widens a one-element list to every spatial axis; any other length must name each axis.
std::vector<int64_t> per_axis(PrepareContext& ctx, const char* name, size_t axes, int64_t min) {
    const Node& n = ctx.node();
    if (!n.has_attr(name)) ctx.error(std::string("attribute '") + name + "' is missing (ESP-DL reads it unchecked)");
    std::vector<int64_t> v = n.attr_ints(name);
    if (v.size() == 1) v.assign(axes, v[0]);
    ctx.check(v.size() == axes, std::string(name) + " has " + std::to_string(n.attr_ints(name).size()) +
                                    " values for " + std::to_string(axes) + " spatial axes");
    for (int64_t e : v) ctx.check(e >= min, std::string(name) + " value " + std::to_string(e) + " is invalid");
    return v;
}

std::unique_ptr<EmuKernel> prepare_insert_zeros(PrepareContext& ctx) {
    const DType dt = ctx.in_dtype(0);
    ctx.require_dtype(dt, {DType::Int8, DType::Int16, DType::Float32}, "input");
    ctx.check(ctx.out_dtype(0) == dt, "InsertZeros copies raw values: input and output dtypes must match");
    const Shape& xs = ctx.in_shape(0);
    // ESP-DL handles one or two spatial axes (N, W, C or N, H, W, C); with more it logs an error and computes
    // nothing.
    if (xs.size() != 3 && xs.size() != 4)
        ctx.error("input has shape " + shape_str(xs) + "; InsertZeros needs NHWC or NWC");
    const size_t axes = xs.size() - 2;
    const std::vector<int64_t> stride = per_axis(ctx, "stride", axes, 1);
    const std::vector<int64_t> output_padding = per_axis(ctx, "output_padding", axes, 0);
    Shape ys = xs;
    for (size_t i = 0; i < axes; ++i) ys[1 + i] = xs[1 + i] + (stride[i] - 1) * (xs[1 + i] - 1) + output_padding[i];
    ctx.set_out_shape(0, ys);
    // A 1-D tensor is a 2-D one with H = 1.
    const int64_t batch = xs[0], ih = axes == 2 ? xs[1] : 1, iw = xs[axes], c = xs.back();
    const int64_t oh = axes == 2 ? ys[1] : 1, ow = ys[axes];
    const int64_t sh = axes == 2 ? stride[0] : 1, sw = stride[axes - 1];
    const size_t pixel = static_cast<size_t>(c) * dtype_size(dt);
    return make_kernel([=](const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out, KernelScratch&) {
        const uint8_t* x = in[0]->raw();
        uint8_t* y = out[0]->raw();
        std::memset(y, 0, out[0]->nbytes());  // all-zero bytes are 0 in every dtype, 0.0f included
        for (int64_t b = 0; b < batch; ++b)
            for (int64_t h = 0; h < ih; ++h)
                for (int64_t w = 0; w < iw; ++w)
                    std::memcpy(y + ((b * oh + h * sh) * ow + w * sw) * pixel, x + ((b * ih + h) * iw + w) * pixel,
                                pixel);
    });
}

}  // namespace

ESPQ_REGISTER_EMU_OP("InsertZeros", prepare_insert_zeros);

}  // namespace espq::emu
