// AveragePool (ONNX opsets 11-18), 1-D and 2-D, float32: kernel_shape, strides, pads, ceil_mode,
// count_include_pad, auto_pad (and opset 19's dilations). The divisor counts the window's taps inside the
// image, or with count_include_pad=1 those inside the image or its explicit padding; taps that only exist
// because of ceil_mode are never counted (as in PyTorch and onnxruntime).
#include "float_kernels/pool_common.hpp"

namespace espq::float_kernels {
namespace {

struct MeanReducer {
    bool include_pad = false;
    float start() const { return 0.f; }
    void step(float& acc, float v) const { acc += v; }
    float finish(float acc, int64_t valid, int64_t padded) const {
        const int64_t divisor = include_pad ? padded : valid;
        return divisor > 0 ? acc / static_cast<float>(divisor) : 0.f;
    }
};

class AveragePoolKernel : public FloatKernel {
public:
    AveragePoolKernel(const PoolShape& s, bool include_pad) : plan_(s), reducer_{include_pad} {}
    void run(const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out, KernelScratch&) const override {
        plan_.run(in[0]->data<float>(), out[0]->data<float>(), reducer_);
    }

private:
    PoolPlan plan_;
    MeanReducer reducer_;
};

void infer_average_pool(InferContext& ctx) { infer_pool(ctx, PoolKind::Average); }

std::unique_ptr<FloatKernel> prepare_average_pool(const Node& node, const Graph& graph) {
    return std::make_unique<AveragePoolKernel>(pool_shape(node, graph.value(node.input(0)).shape, PoolKind::Average),
                                               node.attr_int("count_include_pad", 0) != 0);
}

}  // namespace

ESPQ_REGISTER_FLOAT_OP(FloatOpDef{"AveragePool", infer_average_pool, prepare_average_pool});

}  // namespace espq::float_kernels
