// QuantizeLinear / DequantizeLinear / RequantizeLinear: one ESP-DL module, `output.assign(input)`. The scale and
// zero-point inputs are ignored; only the dtypes and exponents of the two tensors count (docs/esp-dl-arithmetic.md
// docs/esp-dl-arithmetic.md §6.9, esp-dl TensorBase::assign).
//   float -> int: y = clip(fround(x * 2^-e_out));  int -> float: y = x * 2^e_in;
//   same exponent: copy, int16 -> int8 clamps, int8 -> int16 extends;
//   different exponents, k = e_out - e_in: the SIMD kernel when the target has one and size > 50 (buffers are
//   16-byte aligned by the memory planner) except int16 -> int16 with a left shift over 14 bits:
//       k > 0: y = sat(round_shift(x, k));  k < 0: y = sat(x * 2^-k)
//     with two TIE728 (S3) artefacts: int8 -> int8 loads the left-shift scale as one signed byte, and
//     int16 -> int8 left shifts go through a 20-bit QACC lane;
//   otherwise the float path y = clip(fround(fl32(x * 2^e_in) * fl32(1 / 2^e_out))).
#include "emu/emu_op.hpp"

namespace espq::emu {

namespace {

template <typename In, typename Out, typename F>
std::unique_ptr<EmuKernel> map_kernel(F f) {
    return make_kernel([f](const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out, KernelScratch&) {
        const In* x = in[0]->data<In>();
        Out* y = out[0]->data<Out>();
        const int64_t n = in[0]->numel();
        for (int64_t i = 0; i < n; ++i) y[i] = f(x[i]);
    });
}

template <typename In, typename Out>
std::unique_ptr<EmuKernel> requantize(PrepareContext& ctx, int e_in, int e_out, int64_t size) {
    const Rounding r = ctx.rounding();
    const TargetPolicy& pol = ctx.policy();
    if (e_in == e_out) return map_kernel<In, Out>([](In x) { return saturate<Out>(x); });
    const int k = e_out - e_in;
    const bool int16_big_left = std::is_same_v<In, int16_t> && std::is_same_v<Out, int16_t> && k < -14;
    if (pol.has_simd() && size > 50 && !int16_big_left) {
        if (k > 0) return map_kernel<In, Out>([k, r](In x) { return saturate<Out>(round_shift(x, k, r)); });
        const int64_t scale = int64_t(1) << std::min(-k, 40);  // larger shifts saturate every non-zero value anyway
        const bool tie728 = pol.isa == InstructionSet::PieV1;  // the S3 (TIE728) kernels and their 20-bit QACC lanes
        if (tie728 && std::is_same_v<In, int8_t> && std::is_same_v<Out, int8_t>) {
            const int64_t byte_scale = static_cast<int8_t>(static_cast<uint8_t>(scale & 0xff));
            return map_kernel<In, Out>([byte_scale](In x) { return saturate<Out>(int64_t(x) * byte_scale); });
        }
        if (tie728 && std::is_same_v<In, int16_t> && std::is_same_v<Out, int8_t>)
            return map_kernel<In, Out>([scale](In x) { return saturate<Out>(wrap_bits(int64_t(x) * scale, 20)); });
        return map_kernel<In, Out>([scale](In x) { return saturate<Out>(int64_t(x) * scale); });
    }
    const float src_scale = pow2f(e_in);
    const float inv_scale = static_cast<float>(1.0 / static_cast<double>(pow2f(e_out)));
    return map_kernel<In, Out>([=](In x) { return saturate<Out>(fround(static_cast<float>(x) * src_scale * inv_scale, r)); });
}

std::unique_ptr<EmuKernel> prepare_quantize_linear(PrepareContext& ctx) {
    const DType in = ctx.in_dtype(0), out = ctx.out_dtype(0);
    ctx.require_dtype(in, {DType::Int8, DType::Int16, DType::Float32}, "input");
    ctx.require_dtype(out, {DType::Int8, DType::Int16, DType::Float32}, "output");
    ctx.set_out_shape(0, ctx.in_shape(0));
    const int64_t size = shape_numel(ctx.in_shape(0));
    const Rounding r = ctx.rounding();
    if (in == DType::Float32 && out == DType::Float32)
        return map_kernel<float, float>([](float x) { return x; });
    if (in == DType::Float32) {
        const float inv = pow2f(-ctx.out_exponent(0));
        if (out == DType::Int8) return map_kernel<float, int8_t>([=](float x) { return quantize_float<int8_t>(x, inv, r); });
        return map_kernel<float, int16_t>([=](float x) { return quantize_float<int16_t>(x, inv, r); });
    }
    const int e_in = ctx.in_exponent(0);
    if (out == DType::Float32) {
        const float scale = pow2f(e_in);
        if (in == DType::Int8) return map_kernel<int8_t, float>([=](int8_t x) { return x * scale; });
        return map_kernel<int16_t, float>([=](int16_t x) { return x * scale; });
    }
    const int e_out = ctx.out_exponent(0);
    if (in == DType::Int8)
        return out == DType::Int8 ? requantize<int8_t, int8_t>(ctx, e_in, e_out, size)
                                  : requantize<int8_t, int16_t>(ctx, e_in, e_out, size);
    return out == DType::Int8 ? requantize<int16_t, int8_t>(ctx, e_in, e_out, size)
                              : requantize<int16_t, int16_t>(ctx, e_in, e_out, size);
}

}  // namespace

ESPQ_REGISTER_EMU_OP("QuantizeLinear", prepare_quantize_linear);
ESPQ_REGISTER_EMU_OP("DequantizeLinear", prepare_quantize_linear);
ESPQ_REGISTER_EMU_OP("RequantizeLinear", prepare_quantize_linear);

}  // namespace espq::emu
