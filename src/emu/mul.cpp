// Mul (docs/esp-dl-arithmetic.md §6.5, esp-dl dl_base_mul.cpp). After ESP-DL's element-wise shape merge, the innermost
// merged output extent output_d0 picks the kernel:
//   SIMD (PIE targets, output_d0 >= 16 int8 / >= 8 int16): y = sat(round_shift(a*b, k)), k = e_out - e_a - e_b
//        computed exactly; k must be >= 0;
//   C (below the threshold, and always on C targets), float with r = fl32(2^e_a * 2^e_b * 2^-e_out):
//        vector x vector: y = sat(fround(fl32(a*b) * r));  vector x scalar: y = sat(fround(a * fl32(b*r)))
//        (which operand is the per-row scalar comes from the merged inner extents).
#include "emu/emu_op.hpp"
#include "exec/broadcast.hpp"

namespace espq::emu {

namespace {

enum class MulPath { Simd, CVecVec, CVecScalar, CScalarVec };

template <typename T, typename Op>
std::unique_ptr<EmuKernel> broadcast_kernel(const Shape& ys, const Shape& as, const Shape& bs, Op op) {
    return make_kernel([plan = exec::BroadcastPlan(as, bs, ys), op](const std::vector<const Tensor*>& in,
                                                                    const std::vector<Tensor*>& out, KernelScratch&) {
        plan.apply(in[0]->data<T>(), in[1]->data<T>(), out[0]->data<T>(), op);
    });
}

template <typename T>
std::unique_ptr<EmuKernel> mul_kernel(const Shape& ys, const Shape& as, const Shape& bs, MulPath path, int k,
                                      float r, Rounding rounding) {
    if constexpr (std::is_same_v<T, float>) {
        return broadcast_kernel<T>(ys, as, bs, [](float u, float v) { return u * v; });
    } else {
        switch (path) {
            case MulPath::Simd:
                return broadcast_kernel<T>(ys, as, bs, [k, rounding](T u, T v) {
                    return saturate<T>(round_shift(int64_t(u) * v, k, rounding));
                });
            case MulPath::CVecVec:
                return broadcast_kernel<T>(ys, as, bs, [r, rounding](T u, T v) {
                    return saturate<T>(fround(static_cast<float>(int32_t(u) * int32_t(v)) * r, rounding));
                });
            case MulPath::CVecScalar:
                return broadcast_kernel<T>(ys, as, bs, [r, rounding](T u, T v) {
                    return saturate<T>(fround(static_cast<float>(u) * (static_cast<float>(v) * r), rounding));
                });
            case MulPath::CScalarVec:
                return broadcast_kernel<T>(ys, as, bs, [r, rounding](T u, T v) {
                    return saturate<T>(fround(static_cast<float>(v) * (static_cast<float>(u) * r), rounding));
                });
        }
        throw InternalError("mul_kernel: unknown path");
    }
}

std::unique_ptr<EmuKernel> prepare_mul(PrepareContext& ctx) {
    const DType dt = ctx.out_dtype(0);
    ctx.require_dtype(dt, {DType::Int8, DType::Int16, DType::Float32}, "output");
    ctx.check(ctx.in_dtype(0) == dt && ctx.in_dtype(1) == dt,
              std::string("inputs are ") + dtype_name(ctx.in_dtype(0)) + " and " + dtype_name(ctx.in_dtype(1)) +
                  ", the output " + dtype_name(dt) + "; ESP-DL multiplies values of one dtype");
    const Shape& as = ctx.in_shape(0);
    const Shape& bs = ctx.in_shape(1);
    Shape ys;
    const ElemwiseMerge m = elementwise_shape(ctx, ys);
    if (dt == DType::Float32) return mul_kernel<float>(ys, as, bs, MulPath::CVecVec, 0, 1.0f, ctx.rounding());
    const int e_a = ctx.in_exponent(0), e_b = ctx.in_exponent(1), e_out = ctx.out_exponent(0);
    const int k = e_out - e_a - e_b;
    const int64_t simd_min = ctx.policy().lane_channels(dt);
    MulPath path;
    if (ctx.policy().has_simd() && m.output_d0 >= simd_min) {
        path = MulPath::Simd;
        if (k < 0)
            ctx.error("shift e_out - e_a - e_b = " + std::to_string(k) +
                      " is negative; the SIMD Mul kernel needs it >= 0 (use a coarser output exponent)");
    } else if (m.input1_d0 == 1 && m.input0_d0 != 1) {
        path = MulPath::CVecScalar;
    } else if (m.input0_d0 == 1 && m.input1_d0 != 1) {
        path = MulPath::CScalarVec;
    } else if (m.input1_d0 == 1) {  // both scalars per row: c_impl_mul_n_1 is chosen first
        path = MulPath::CVecScalar;
    } else {
        path = MulPath::CVecVec;
    }
    const float r = pow2f(e_a) * pow2f(e_b) * pow2f(-e_out);
    if (dt == DType::Int8) return mul_kernel<int8_t>(ys, as, bs, path, k, r, ctx.rounding());
    return mul_kernel<int16_t>(ys, as, bs, path, k, r, ctx.rounding());
}

}  // namespace

ESPQ_REGISTER_EMU_OP("Mul", prepare_mul);

}  // namespace espq::emu
