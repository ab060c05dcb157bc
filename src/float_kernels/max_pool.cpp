// MaxPool (ONNX opsets 11-18), 1-D and 2-D, float32: kernel_shape, strides, pads, dilations, ceil_mode and
// auto_pad. Padding never wins (it is skipped, not treated as 0). The optional Indices output (and with it
// storage_order) is not supported.
#include <limits>

#include "float_kernels/pool_common.hpp"

namespace espq::float_kernels {
namespace {

struct MaxReducer {
    float start() const { return -std::numeric_limits<float>::infinity(); }
    void step(float& acc, float v) const { acc = v > acc ? v : acc; }
    float finish(float acc, int64_t, int64_t) const { return acc; }
};

class MaxPoolKernel : public FloatKernel {
public:
    explicit MaxPoolKernel(const PoolShape& s) : plan_(s) {}
    void run(const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out, KernelScratch&) const override {
        plan_.run(in[0]->data<float>(), out[0]->data<float>(), MaxReducer{});
    }

private:
    PoolPlan plan_;
};

void infer_max_pool(InferContext& ctx) { infer_pool(ctx, PoolKind::Max); }

std::unique_ptr<FloatKernel> prepare_max_pool(const Node& node, const Graph& graph) {
    return std::make_unique<MaxPoolKernel>(pool_shape(node, graph.value(node.input(0)).shape, PoolKind::Max));
}

}  // namespace

ESPQ_REGISTER_FLOAT_OP(FloatOpDef{"MaxPool", infer_max_pool, prepare_max_pool});

}  // namespace espq::float_kernels
