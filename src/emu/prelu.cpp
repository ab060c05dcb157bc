// PRelu without a table (int8 with a per-channel slope, int16 always; an int8 scalar slope with a `lut` runs the
// LUT module). Slope [C, 1, 1] (or one value) indexed by the last (channel) dimension; e_act = e_out - e_in - e_alpha
// (docs/esp-dl-arithmetic.md §6.10, esp-dl dl_base_prelu.cpp / get_activation_args):
//   int8 SIMD: x < 0: sat8(round_shift(x * alpha[c], e_act)); x > 0: sat8(round_shift(x * scale8, s_out)), with
//              s_out = max(e_out - e_in, 0), scale8 = 2^max(e_in - e_out, 0) loaded as one signed byte; x = 0: 0;
//   int16, and int8 on C targets (prelu_11c, EE.VPRELU.S16): x > 0: y = x; else y = sat((x * alpha[c]) >> e_act)
//              (arithmetic shift, no rounding, no rescale of positives).
#include "emu/emu_op.hpp"
#include "emu/lut.hpp"

namespace espq::emu {

namespace {

template <typename T>
std::unique_ptr<EmuKernel> prelu_kernel(std::vector<int64_t> alpha, int64_t channels, int act_shift, int out_shift,
                                         int64_t scale8, bool simd_int8, Rounding r) {
    return make_kernel([=](const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out, KernelScratch&) {
        const T* x = in[0]->data<T>();
        T* y = out[0]->data<T>();
        const int64_t n = in[0]->numel();
        for (int64_t i = 0; i < n; ++i) {
            const int64_t v = x[i], a = alpha[alpha.size() == 1 ? 0 : i % channels];
            if (simd_int8) {
                if (v < 0)
                    y[i] = saturate<T>(round_shift(v * a, act_shift, r));
                else if (v > 0)
                    y[i] = saturate<T>(round_shift(v * scale8, out_shift, r));
                else
                    y[i] = 0;
            } else {
                y[i] = v > 0 ? static_cast<T>(v) : saturate<T>((v * a) >> act_shift);
            }
        }
    });
}

std::unique_ptr<EmuKernel> prepare_prelu(PrepareContext& ctx) {
    const DType dt = ctx.in_dtype(0);
    ctx.require_dtype(dt, {DType::Int8, DType::Int16, DType::Float32}, "input");
    ctx.check(ctx.out_dtype(0) == dt, "output dtype differs from the input dtype");
    const Shape& xs = ctx.in_shape(0);
    ctx.set_out_shape(0, xs);
    if (dt == DType::Int8)
        if (const Value* table = lut_table(ctx)) return make_lut_kernel(ctx, *table);
    const Tensor& slope = ctx.require_constant(1, "slope");
    const int64_t channels = xs.empty() ? 1 : xs.back();
    ctx.check(slope.numel() == 1 || slope.numel() == channels,
              "slope has " + std::to_string(slope.numel()) + " values; ESP-DL needs one per channel (" +
                  std::to_string(channels) + ") or a single one");
    if (dt == DType::Float32) {
        std::vector<double> a = slope.as_doubles();
        return make_kernel(
            [a, channels](const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out, KernelScratch&) {
                const float* x = in[0]->data<float>();
                float* y = out[0]->data<float>();
                for (int64_t i = 0; i < in[0]->numel(); ++i) {
                    const float s = static_cast<float>(a[a.size() == 1 ? 0 : i % channels]);
                    y[i] = x[i] >= 0 ? x[i] : x[i] * s;
                }
            });
    }
    ctx.check(slope.dtype() == dt, std::string("slope has dtype ") + dtype_name(slope.dtype()) +
                                       "; the quantized kernel reads it in the activation dtype " + dtype_name(dt));
    const Value& sv = ctx.in_value(1);
    ctx.check(sv.exponents.size() == 1, "slope '" + sv.name + "' needs exactly one exponent");
    const int e_in = ctx.in_exponent(0), e_out = ctx.out_exponent(0);
    const int act_shift = std::min(e_out - e_in - static_cast<int>(sv.exponents[0]), 62);
    if (act_shift < 0)
        ctx.error("PRelu shift e_out - e_in - e_alpha = " + std::to_string(act_shift) +
                  " is negative, which ESP-DL's kernels do not support");
    const int out_shift = std::min(std::max(e_out - e_in, 0), 62);
    const int64_t scale = int64_t(1) << std::min(std::max(e_in - e_out, 0), 30);
    const int64_t scale8 = static_cast<int8_t>(static_cast<uint8_t>(scale & 0xff));
    const bool simd_int8 = dt == DType::Int8 && ctx.policy().has_simd();
    std::vector<int64_t> alpha = slope.as_int64s();
    if (dt == DType::Int8) return prelu_kernel<int8_t>(alpha, channels, act_shift, out_shift, scale8, simd_int8, ctx.rounding());
    return prelu_kernel<int16_t>(alpha, channels, act_shift, out_shift, scale8, false, ctx.rounding());
}

}  // namespace

ESPQ_REGISTER_EMU_OP("PRelu", prepare_prelu);

}  // namespace espq::emu
