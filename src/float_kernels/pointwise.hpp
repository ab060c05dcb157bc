// Float32 elementwise operators y = f(x) (activations and unary math). Each op supplies `make(node)`, which
// builds f from the node's attributes, and optionally `check(ctx)`, which validates those attributes at
// infer time. f's type is known where the kernel loop is instantiated, so it inlines into the loop.
#pragma once

#include <functional>
#include <string>
#include <utility>

#include "float_kernels/op_helpers.hpp"

namespace espq::float_kernels {

template <typename Make>
FloatOpDef pointwise_float_op(std::string op_type, Make make,
                              std::function<void(const InferContext&)> check = nullptr) {
    auto infer = [check](InferContext& ctx) {
        check_arity(ctx, 1, 1, 1, 1);
        require_dtype(ctx, 0, "X", {DType::Float32});
        if (check) check(ctx);
        set_output(ctx, 0, DType::Float32, ctx.in(0)->shape);
    };
    auto prepare = [make](const Node& node, const Graph&) {
        return make_kernel(
            [f = make(node)](const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out, KernelScratch&) {
                invariant(in[0]->numel() == out[0]->numel(), "pointwise kernel: input and output sizes differ");
                const float* x = in[0]->data<float>();
                float* y = out[0]->data<float>();
                const int64_t n = in[0]->numel();
                for (int64_t i = 0; i < n; ++i) y[i] = f(x[i]);
            });
    };
    return FloatOpDef{std::move(op_type), infer, prepare};
}

}  // namespace espq::float_kernels
