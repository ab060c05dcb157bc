// ESP-DL's fused activation attribute on Conv/ConvTranspose/Gemm/MatMul (set by the fuse_conv_relu pass): the float
// reference applies it after the op, exactly like the separate Relu it replaced.
#pragma once

#include <algorithm>
#include <memory>

#include "espq/float_ops.hpp"
#include "espq/node_error.hpp"

namespace espq {

class FusedReluKernel : public FloatKernel {
public:
    explicit FusedReluKernel(std::unique_ptr<FloatKernel> inner) : inner_(std::move(inner)) {}
    void run(const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out, KernelScratch& s) const override {
        inner_->run(in, out, s);
        float* p = out[0]->data<float>();
        const int64_t n = out[0]->numel();
        for (int64_t i = 0; i < n; ++i) p[i] = std::max(p[i], 0.0f);
    }

private:
    std::unique_ptr<FloatKernel> inner_;
};

// Wraps `k` when the node carries activation = "Relu"; rejects activations the float reference lacks.
inline std::unique_ptr<FloatKernel> with_fused_activation(const Node& node, std::unique_ptr<FloatKernel> k) {
    const std::string act = node.attr_string("activation", "Linear");
    if (act == "Linear") return k;
    if (act == "Relu") return std::make_unique<FusedReluKernel>(std::move(k));
    throw_node_unsupported(node, "fused activation '" + act + "' is not supported");
}

}  // namespace espq
