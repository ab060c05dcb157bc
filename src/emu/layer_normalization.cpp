// LayerNormalization, computed in float inside the module for every dtype (docs/esp-dl-arithmetic.md §6.17,
// esp-dl dl_module_layer_normalization.hpp). Per slice of `inner` = prod(shape[axis:]) elements:
//   int8/int16: sum = int32 sum of the raw x; m = fl32(double(sum) / inner); var = float sum of fl32(x - m)^2 in
//               element order; var = var * 2^(2 e_in) / inner; inv = 1 / sqrt_newton(var + eps);
//               y = clip(fround(((x 2^e_in - m 2^e_in) inv * scale 2^e_s + bias 2^e_b) 2^-e_out)), Scale and B
//               stored in the activation dtype with their own exponents;
//   float:      the same on floats, with a float sum for the mean.
// sqrt_newton is ESP-DL's Newton iteration (dl_math.hpp), not sqrtf: its result can differ in the last bits.
#include <cmath>

#include "emu/emu_op.hpp"

// The chip's compiler decides whether x * y + z is fused; espq emulates the statements as written, one rounding
// per operation, so the host compiler must not contract them either (docs/esp-dl-arithmetic.md §6.17).
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

namespace espq::emu {

namespace {

// dl::math::sqrt_newton: x_{n+1} = (x_n + x / x_n) * 0.5 from x_0 = x until two iterates differ by at most 1e-5
// (an absolute bound). The 0.5 is a double literal: the halving happens in double, then rounds to float. The
// iteration cap only keeps the emulator from hanging; over 2^-20..2^40 it never needs more than 25 steps.
float sqrt_newton(float x) {
    if (x == 0.f) return 0.f;
    float result = x, last = x;
    for (int n = 0; n < 1000; ++n) {
        last = result;
        result = static_cast<float>(static_cast<double>(last + x / last) * 0.5);
        if (!(std::fabs(result - last) > 0.00001f)) break;
    }
    return result;
}

struct LayerNormPlan {
    int64_t rows = 0, inner = 1;
    float epsilon = 1e-5f;
    float in_scale = 1.f;     // 2^e_in
    float out_rescale = 1.f;  // 2^-e_out
    // Scale and B as the module reads them: q * 2^e (exact in float), 1 and 0 where absent.
    std::vector<float> scale, bias;
    Rounding rounding = Rounding::HalfUp;
};

template <typename T>
std::unique_ptr<EmuKernel> layer_norm_kernel(LayerNormPlan p) {
    return make_kernel([p](const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out, KernelScratch&) {
        const T* x = in[0]->data<T>();
        T* y = out[0]->data<T>();
        const float inner_f = static_cast<float>(p.inner);
        for (int64_t r = 0; r < p.rows; ++r) {
            const T* xr = x + r * p.inner;
            T* yr = y + r * p.inner;
            float mean = 0.f;
            if constexpr (std::is_same_v<T, float>) {
                for (int64_t j = 0; j < p.inner; ++j) mean += xr[j];
                mean /= inner_f;
            } else {
                // `int sum_val` on the chip; the lowering keeps inner * 2^(bits-1) below 2^31, so it cannot wrap.
                int32_t sum = 0;
                for (int64_t j = 0; j < p.inner; ++j) sum += xr[j];
                mean = static_cast<float>(static_cast<double>(sum) / static_cast<double>(p.inner));
            }
            float var = 0.f;
            for (int64_t j = 0; j < p.inner; ++j) {
                const float diff = static_cast<float>(xr[j]) - mean;
                var += diff * diff;
            }
            if constexpr (!std::is_same_v<T, float>) {
                mean *= p.in_scale;
                var *= p.in_scale * p.in_scale;
            }
            var /= inner_f;
            const float inv_std = 1.0f / sqrt_newton(var + p.epsilon);
            for (int64_t j = 0; j < p.inner; ++j) {
                if constexpr (std::is_same_v<T, float>) {
                    yr[j] = (xr[j] - mean) * inv_std * p.scale[j] + p.bias[j];
                } else {
                    const float normalized = (static_cast<float>(xr[j]) * p.in_scale - mean) * inv_std;
                    const float result = normalized * p.scale[j] + p.bias[j];
                    yr[j] = quantize_float<T>(result, p.out_rescale, p.rounding);
                }
            }
        }
    });
}

// Scale (input 1) or B (input 2) as floats the module multiplies with; `absent` where the input is omitted.
std::vector<float> affine_operand(PrepareContext& ctx, int i, const char* what, DType dt, int64_t inner,
                                  float absent) {
    if (!ctx.has_input(i)) return std::vector<float>(static_cast<size_t>(inner), absent);
    const Tensor& t = ctx.require_constant(i, what);
    ctx.check(t.numel() == inner, std::string(what) + " has " + std::to_string(t.numel()) +
                                      " values; ESP-DL reads one per normalised element (" + std::to_string(inner) +
                                      ")");
    ctx.check(t.dtype() == dt, std::string(what) + " has dtype " + dtype_name(t.dtype()) +
                                   "; the kernel reads it in the activation dtype " + dtype_name(dt));
    const std::vector<double> v = t.as_doubles();
    const float s = dt == DType::Float32 ? 1.f : pow2f(ctx.in_exponent(i));
    std::vector<float> out(v.size());
    for (size_t k = 0; k < v.size(); ++k) out[k] = static_cast<float>(v[k]) * s;
    return out;
}

std::unique_ptr<EmuKernel> prepare_layer_normalization(PrepareContext& ctx) {
    const DType dt = ctx.in_dtype(0);
    ctx.require_dtype(dt, {DType::Int8, DType::Int16, DType::Float32}, "input");
    ctx.check(ctx.out_dtype(0) == dt, "output dtype differs from the input dtype");
    ctx.check(ctx.num_outputs() == 1, "the Mean and InvStdDev outputs are not supported");
    const Shape& xs = ctx.in_shape(0);
    ctx.set_out_shape(0, xs);
    const int rank = static_cast<int>(xs.size());
    ctx.check(rank > 0, "a scalar input has nothing to normalise");
    const int axis = normalize_axis(ctx, ctx.node().attr_int("axis", -1), rank);
    LayerNormPlan p;
    for (int d = axis; d < rank; ++d) p.inner *= xs[d];
    p.rows = p.inner ? shape_numel(xs) / p.inner : 0;
    p.epsilon = ctx.node().attr_float("epsilon", 1e-5f);
    p.rounding = ctx.rounding();
    if (dt != DType::Float32) {
        p.in_scale = pow2f(ctx.in_exponent(0));
        p.out_rescale = pow2f(-ctx.out_exponent(0));
    }
    p.scale = affine_operand(ctx, 1, "Scale", dt, p.inner, 1.f);
    p.bias = affine_operand(ctx, 2, "B", dt, p.inner, 0.f);
    if (dt == DType::Int8) return layer_norm_kernel<int8_t>(std::move(p));
    if (dt == DType::Int16) return layer_norm_kernel<int16_t>(std::move(p));
    return layer_norm_kernel<float>(std::move(p));
}

}  // namespace

ESPQ_REGISTER_EMU_OP("LayerNormalization", prepare_layer_normalization);

}  // namespace espq::emu
