// Gemm: the input [..., K] viewed as M = size/K rows, run as a 1x1 conv with the blocked [1, 1, K, N] filter
// and optional bias (docs/esp-dl-arithmetic.md §6.3). Output [..., N].
#include "emu/emu_op.hpp"
#include "emu/filter.hpp"
#include "emu/mac_engine.hpp"

namespace espq::emu {

namespace {

template <typename T, typename Engine>
class GemmKernel : public EmuKernel {
public:
    GemmKernel(Engine engine, int64_t rows) : engine_(std::move(engine)), rows_(rows) {}
    void run(const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out, KernelScratch& s) const override {
        run_matrix(engine_, in[0]->data<T>(), rows_, out[0]->data<T>(), s);
    }

private:
    Engine engine_;
    int64_t rows_;
};

std::unique_ptr<EmuKernel> prepare_gemm(PrepareContext& ctx) {
    const Node& node = ctx.node();
    const DType act = ctx.in_dtype(0);
    if (act == DType::Float32) ctx.unsupported("float Gemm (ESP-DL creates no Gemm module for F32)");
    ctx.require_dtype(act, {DType::Int8, DType::Int16}, "input");
    ctx.check(ctx.out_dtype(0) == act, "output dtype differs from the input dtype");
    if (node.attr_int("transA", 0) != 0 || node.attr_int("transB", 0) != 0)
        ctx.error("transA/transB must be 0: the exporter stores the weight as [1, 1, K, N] and ESP-DL asserts it");
    if (node.attr_float("alpha", 1.0f) != 1.0f || node.attr_float("beta", 1.0f) != 1.0f)
        ctx.error("alpha and beta must be 1.0 (ESP-DL asserts it)");
    const Value& wv = ctx.in_value(1);
    const Tensor& wt = ctx.require_constant(1, "weight");
    ctx.check(wt.dtype() == act, "weight dtype differs from the input dtype");
    const Shape& ws = wt.shape();
    ctx.check(ws.size() == 4 && ws[0] == 1 && ws[1] == 1,
              "weight has shape " + shape_str(ws) + "; ESP-DL Gemm weights are [1, 1, K, N]");
    const Shape& xs = ctx.in_shape(0);
    ctx.check(!xs.empty() && xs.back() == ws[2], "input " + shape_str(xs) + " does not end in K = " +
                                                     std::to_string(ws[2]) + " (weight " + shape_str(ws) + ")");
    const int k = static_cast<int>(ws[2]), n = static_cast<int>(ws[3]);
    Shape ys = xs;
    ys.back() = n;
    ctx.set_out_shape(0, ys);
    const int64_t rows = shape_numel(xs) / k;
    MacRequant rq{mac_shifts(ctx, wv, n, ctx.in_exponent(0), ctx.out_exponent(0)), fused_relu(ctx), ctx.rounding()};
    std::vector<int64_t> bias = read_bias(ctx, 2, n, act);
    const int block = filter_block_size(ctx, wv);
    if (act == DType::Int8) {
        auto w = deblock_filter(wt.data<int8_t>(), n, 1, 1, k, block, false);
        return std::make_unique<GemmKernel<int8_t, MacEngineS8>>(
            MacEngineS8(n, k, w, bias, ctx.policy(), std::move(rq)), rows);
    }
    auto w = deblock_filter(wt.data<int16_t>(), n, 1, 1, k, block, false);
    return std::make_unique<GemmKernel<int16_t, MacEngineS16>>(MacEngineS16(n, k, w, bias, ctx.policy(), std::move(rq)),
                                                               rows);
}

}  // namespace

ESPQ_REGISTER_EMU_OP("Gemm", prepare_gemm);

}  // namespace espq::emu
