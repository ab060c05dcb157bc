// MatMul: input 1 is read as a conv filter, i.e. each trailing [C, N] matrix in the blocked Gemm layout, both
// when it is an initializer and when the exporter's inserted nodes deliver it at run time
// (docs/esp-dl-arithmetic.md §4.2, §6.3; docs/espdl-file-format.md §4.4). No bias; optional fused Relu; batch
// dimensions broadcast.
#include <algorithm>

#include "emu/emu_op.hpp"
#include "emu/filter.hpp"
#include "emu/mac_engine.hpp"

namespace espq::emu {

namespace {

struct MatMulPlan {
    int64_t m = 1, c = 1, n = 1;
    Shape batch;                                  // broadcast batch dims of the output
    std::vector<int64_t> a_slice, b_slice;        // per output batch: slice index into a / b
    int64_t b_slices = 1;
    int block = 0;
    std::vector<int> shifts;
    bool relu = false;
};

template <typename T>
class MatMulKernel : public EmuKernel {
    using Engine = std::conditional_t<std::is_same_v<T, int8_t>, MacEngineS8, MacEngineS16>;

public:
    MatMulKernel(MatMulPlan p, const TargetPolicy& policy, std::vector<Engine> engines)
        : p_(std::move(p)), policy_(policy), engines_(std::move(engines)) {}

    void run(const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out, KernelScratch& s) const override {
        const T* a = in[0]->data<T>();
        T* y = out[0]->data<T>();
        std::vector<Engine> dynamic;
        const std::vector<Engine>* engines = &engines_;
        if (engines_.empty()) {  // runtime second input: de-block it now
            const T* b = in[1]->data<T>();
            for (int64_t i = 0; i < p_.b_slices; ++i) dynamic.push_back(make_engine(p_, policy_, b + i * p_.c * p_.n));
            engines = &dynamic;
        }
        for (size_t bi = 0; bi < p_.a_slice.size(); ++bi)
            run_matrix((*engines)[p_.b_slice[bi]], a + p_.a_slice[bi] * p_.m * p_.c, p_.m,
                       y + static_cast<int64_t>(bi) * p_.m * p_.n, s);
    }

    static Engine make_engine(const MatMulPlan& p, const TargetPolicy& policy, const T* stored) {
        const int n = static_cast<int>(p.n), c = static_cast<int>(p.c);
        auto w = deblock_filter(stored, n, 1, 1, c, p.block, false);
        MacRequant rq{p.shifts, p.relu, policy.rounding};
        if constexpr (std::is_same_v<T, int8_t>) return MacEngineS8(n, c, w, {}, policy, rq);
        else return MacEngineS16(n, c, w, {}, policy, rq);
    }

private:
    MatMulPlan p_;
    const TargetPolicy& policy_;
    std::vector<Engine> engines_;
};

std::unique_ptr<EmuKernel> prepare_matmul(PrepareContext& ctx) {
    const DType act = ctx.in_dtype(0);
    if (act == DType::Float32) ctx.unsupported("float MatMul (ESP-DL creates no MatMul module for F32)");
    ctx.require_dtype(act, {DType::Int8, DType::Int16}, "input");
    ctx.check(ctx.in_dtype(1) == act && ctx.out_dtype(0) == act, "MatMul needs equal input and output dtypes");
    Shape as = ctx.in_shape(0), bs = ctx.in_shape(1);
    ctx.check(!as.empty() && !bs.empty(), "input shapes " + shape_str(as) + " x " + shape_str(bs) +
                                              " are not supported (a scalar operand)");
    // A vector is one row (first operand) or one output channel (second operand) whose dimension the output
    // drops, as in ONNX; ESP-DL runs the same products (docs/esp-dl-arithmetic.md §6.18).
    const bool a_vector = as.size() == 1, b_vector = bs.size() == 1;
    if (a_vector) as.insert(as.begin(), 1);
    if (b_vector) bs.push_back(1);
    MatMulPlan p;
    p.m = as[as.size() - 2];
    p.c = as.back();
    p.n = bs.back();
    ctx.check(bs[bs.size() - 2] == p.c, "inner dimensions differ: " + shape_str(ctx.in_shape(0)) + " x " + shape_str(bs));
    Shape ab(as.begin(), as.end() - 2), bb(bs.begin(), bs.end() - 2);
    p.batch = broadcast_shape(ctx, ab, bb);
    ctx.check(p.batch.size() <= 2, "MatMul supports at most 4-D operands on ESP-DL");
    // Slice index of each operand for every output batch position (row-major over the broadcast batch dims).
    const int64_t nbatch = shape_numel(p.batch);
    auto slice_of = [&](const Shape& own, int64_t flat) {
        const int r = static_cast<int>(p.batch.size()), off = r - static_cast<int>(own.size());
        int64_t idx = 0, rem = flat;
        std::vector<int64_t> coord(r);
        for (int d = r - 1; d >= 0; --d) {
            coord[d] = rem % p.batch[d];
            rem /= p.batch[d];
        }
        for (int d = 0; d < static_cast<int>(own.size()); ++d) idx = idx * own[d] + (own[d] == 1 ? 0 : coord[d + off]);
        return idx;
    };
    for (int64_t i = 0; i < nbatch; ++i) {
        p.a_slice.push_back(slice_of(ab, i));
        p.b_slice.push_back(slice_of(bb, i));
    }
    p.b_slices = shape_numel(bb);
    Shape ys = p.batch;
    if (!a_vector) ys.push_back(p.m);
    if (!b_vector) ys.push_back(p.n);
    ctx.set_out_shape(0, ys);
    const Value& wv = ctx.in_value(1);
    p.shifts = mac_shifts(ctx, wv, static_cast<int>(p.n), ctx.in_exponent(0), ctx.out_exponent(0));
    p.relu = fused_relu(ctx);
    p.block = wv.constant ? filter_block_size(ctx, wv) : ctx.policy().lane_channels(act);
    const Tensor* wt = ctx.constant(1);
    auto build = [&](auto tag) -> std::unique_ptr<EmuKernel> {
        using T = decltype(tag);
        using Kernel = MatMulKernel<T>;
        std::vector<std::conditional_t<std::is_same_v<T, int8_t>, MacEngineS8, MacEngineS16>> engines;
        if (wt)
            for (int64_t i = 0; i < p.b_slices; ++i)
                engines.push_back(Kernel::make_engine(p, ctx.policy(), wt->data<T>() + i * p.c * p.n));
        return std::make_unique<Kernel>(p, ctx.policy(), std::move(engines));
    };
    return act == DType::Int8 ? build(int8_t{}) : build(int16_t{});
}

}  // namespace

ESPQ_REGISTER_EMU_OP("MatMul", prepare_matmul);

}  // namespace espq::emu
