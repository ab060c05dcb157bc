// Neg: integer negation with the type minimum mapped to the maximum; exponents and any LUT are ignored
// (docs/esp-dl-arithmetic.md §6.9, §9.2).
#include "emu/emu_op.hpp"

namespace espq::emu {

namespace {

std::unique_ptr<EmuKernel> prepare_neg(PrepareContext& ctx) {
    const DType dt = ctx.in_dtype(0);
    ctx.require_dtype(dt, {DType::Int8, DType::Int16, DType::Float32}, "input");
    ctx.check(ctx.out_dtype(0) == dt, "output dtype differs from the input dtype");
    ctx.set_out_shape(0, ctx.in_shape(0));
    return dispatch_activation(dt, [](auto tag) {
        using T = decltype(tag);
        return make_kernel([](const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out, KernelScratch&) {
            const T* x = in[0]->data<T>();
            T* y = out[0]->data<T>();
            for (int64_t i = 0; i < in[0]->numel(); ++i) {
                if constexpr (std::is_same_v<T, float>)
                    y[i] = -x[i];
                else
                    y[i] = saturate<T>(-int64_t(x[i]));
            }
        });
    });
}

}  // namespace

ESPQ_REGISTER_EMU_OP("Neg", prepare_neg);

}  // namespace espq::emu
