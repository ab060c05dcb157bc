// ReduceSum / ReduceMean / ReduceMax / ReduceMin (docs/esp-dl-arithmetic.md §6.14, esp-dl dl_module_reduce_*.hpp).
// Integer sums are exact (int32 for int8, int64 for int16); ReduceSum then shift_and_round(sum, e_out - e_in)
// (a left shift clamps to the accumulator type), ReduceMean y = fround(fl32(sum) * 2^e_in / count * 2^-e_out)
// evaluated left to right in float; Max/Min compare raw values (passive). Only the merged-axis patterns the
// chip implements are accepted: 1-D, {0,1}, {1,0}, {1,0,1}, {0,1,0}, {0,1,0,1}, {1,0,1,0}; others write nothing
// on the device and are rejected here.
#include "emu/emu_op.hpp"

namespace espq::emu {

namespace {

enum class Reduce { Sum, Mean, Max, Min };

struct ReducePlan {
    Reduce op;
    Shape in;
    std::vector<bool> reduced;
    int e_in = 0, e_out = 0;
    Rounding rounding = Rounding::HalfUp;
};

template <typename T>
std::unique_ptr<EmuKernel> reduce_kernel(ReducePlan p) {
    using Acc = std::conditional_t<std::is_same_v<T, float>, float, std::conditional_t<std::is_same_v<T, int8_t>, int32_t, int64_t>>;
    const int rank = static_cast<int>(p.in.size());
    // Kept dims (output order) and reduced dims (row-major visiting order), with their input strides.
    std::vector<int64_t> stride(rank, 1);
    for (int d = rank - 2; d >= 0; --d) stride[d] = stride[d + 1] * p.in[d + 1];
    Shape kept_ext, red_ext;
    std::vector<int64_t> kept_st, red_st;
    for (int d = 0; d < rank; ++d) {
        (p.reduced[d] ? red_ext : kept_ext).push_back(p.in[d]);
        (p.reduced[d] ? red_st : kept_st).push_back(stride[d]);
    }
    auto offsets = [](const Shape& ext, const std::vector<int64_t>& st) {
        std::vector<int64_t> off(1, 0);
        for (size_t d = 0; d < ext.size(); ++d) {
            std::vector<int64_t> next;
            for (int64_t o : off)
                for (int64_t i = 0; i < ext[d]; ++i) next.push_back(o + i * st[d]);
            off.swap(next);
        }
        return off;
    };
    const std::vector<int64_t> outs = offsets(kept_ext, kept_st), reds = offsets(red_ext, red_st);
    const float in_scale = pow2f(p.e_in), out_scale = pow2f(-p.e_out);
    return make_kernel([=](const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out, KernelScratch&) {
        const T* x = in[0]->data<T>();
        T* y = out[0]->data<T>();
        for (size_t o = 0; o < outs.size(); ++o) {
            const T* base = x + outs[o];
            if (p.op == Reduce::Max || p.op == Reduce::Min) {
                T v = p.op == Reduce::Max ? std::numeric_limits<T>::lowest() : std::numeric_limits<T>::max();
                for (int64_t r : reds) v = p.op == Reduce::Max ? std::max(v, base[r]) : std::min(v, base[r]);
                y[o] = v;
                continue;
            }
            Acc sum = 0;
            for (int64_t r : reds) sum += base[r];
            const int64_t count = static_cast<int64_t>(reds.size());
            if constexpr (std::is_same_v<T, float>) {
                y[o] = p.op == Reduce::Sum ? sum : sum / static_cast<float>(count);
            } else if (p.op == Reduce::Sum) {
                const int k = p.e_out - p.e_in;
                int64_t v = k > 0 ? round_shift(sum, k, p.rounding) : saturate<Acc>(int64_t(sum) * (int64_t(1) << std::min(-k, 62)));
                y[o] = saturate<T>(v);
            } else {
                y[o] = saturate<T>(fround(static_cast<float>(sum) * in_scale / static_cast<float>(count) * out_scale, p.rounding));
            }
        }
    });
}

template <Reduce kOp>
std::unique_ptr<EmuKernel> prepare_reduce(PrepareContext& ctx) {
    const DType dt = ctx.in_dtype(0);
    ctx.require_dtype(dt, {DType::Int8, DType::Int16, DType::Float32}, "input");
    ctx.check(ctx.out_dtype(0) == dt, "output dtype differs from the input dtype");
    ReducePlan p{kOp, ctx.in_shape(0), {}};
    const int rank = static_cast<int>(p.in.size());
    std::vector<int64_t> axes;
    if (ctx.has_input(1)) axes = ctx.require_constant(1, "axes").as_int64s();
    else axes = ctx.node().attr_ints("axes");
    p.reduced.assign(rank, axes.empty() && ctx.node().attr_int("noop_with_empty_axes", 0) == 0);
    for (int64_t a : axes) p.reduced[normalize_axis(ctx, a, rank)] = true;
    // The chip's merged pattern: adjacent dims with the same flag fold together.
    std::vector<bool> merged;
    for (int d = 0; d < rank; ++d)
        if (merged.empty() || merged.back() != p.reduced[d]) merged.push_back(p.reduced[d]);
    const size_t m = merged.size();
    const bool ok = m <= 1 || m == 2 || (m == 3 && merged[0] == merged[2]) || (m == 4 && merged[0] == merged[2] && merged[1] == merged[3]);
    if (!ok)
        ctx.unsupported("this combination of reduced axes (ESP-DL implements only 1-4 merged dims alternating "
                        "reduced/kept and writes nothing otherwise)");
    Shape ys;
    const bool keep = ctx.node().attr_int("keepdims", 1) != 0;
    int reduced_count = 0;
    for (int d = 0; d < rank; ++d) {
        if (p.reduced[d]) ++reduced_count;
        if (!p.reduced[d]) ys.push_back(p.in[d]);
        else if (keep) ys.push_back(1);
    }
    if (!keep && reduced_count == rank) ys = {1};
    ctx.set_out_shape(0, ys);
    if (dt != DType::Float32) {
        p.e_in = ctx.in_exponent(0);
        p.e_out = ctx.out_exponent(0);
    }
    p.rounding = ctx.rounding();
    return dispatch_activation(dt, [&](auto tag) { return reduce_kernel<decltype(tag)>(p); });
}

}  // namespace

ESPQ_REGISTER_EMU_OP("ReduceSum", prepare_reduce<Reduce::Sum>);
ESPQ_REGISTER_EMU_OP("ReduceMean", prepare_reduce<Reduce::Mean>);
ESPQ_REGISTER_EMU_OP("ReduceMax", prepare_reduce<Reduce::Max>);
ESPQ_REGISTER_EMU_OP("ReduceMin", prepare_reduce<Reduce::Min>);

}  // namespace espq::emu
