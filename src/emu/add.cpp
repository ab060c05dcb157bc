// Add and Sub: saturating raw-integer arithmetic with multidirectional broadcasting; the exponents are
// ignored (both SIMD and C kernels), so the exporter's alignment / RequantizeLinear nodes carry the scaling
// (docs/esp-dl-arithmetic.md §6.4). Float tensors add in float.
#include "emu/emu_op.hpp"
#include "exec/broadcast.hpp"

namespace espq::emu {

namespace {

template <typename T, bool kSub>
std::unique_ptr<EmuKernel> binary_kernel(const Shape& ys, const Shape& as, const Shape& bs) {
    return make_kernel([plan = exec::BroadcastPlan(as, bs, ys)](const std::vector<const Tensor*>& in,
                                                                const std::vector<Tensor*>& out, KernelScratch&) {
        plan.apply(in[0]->data<T>(), in[1]->data<T>(), out[0]->data<T>(), [](T u, T v) -> T {
            if constexpr (std::is_same_v<T, float>)
                return kSub ? u - v : u + v;
            else
                return saturate<T>(kSub ? int64_t(u) - v : int64_t(u) + v);
        });
    });
}

template <bool kSub>
std::unique_ptr<EmuKernel> prepare_add_sub(PrepareContext& ctx) {
    const DType dt = ctx.out_dtype(0);
    ctx.require_dtype(dt, {DType::Int8, DType::Int16, DType::Float32}, "output");
    ctx.check(ctx.in_dtype(0) == dt && ctx.in_dtype(1) == dt,
              std::string("inputs are ") + dtype_name(ctx.in_dtype(0)) + " and " + dtype_name(ctx.in_dtype(1)) +
                  ", the output " + dtype_name(dt) + "; ESP-DL adds raw values of one dtype");
    const Shape& as = ctx.in_shape(0);
    const Shape& bs = ctx.in_shape(1);
    Shape ys;
    elementwise_shape(ctx, ys);
    return dispatch_activation(dt, [&](auto tag) { return binary_kernel<decltype(tag), kSub>(ys, as, bs); });
}

}  // namespace

ESPQ_REGISTER_EMU_OP("Add", prepare_add_sub<false>);
ESPQ_REGISTER_EMU_OP("Sub", prepare_add_sub<true>);

}  // namespace espq::emu
