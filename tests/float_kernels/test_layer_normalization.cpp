// LayerNormalization against a naive per-slice mean / variance computation.
#include <gtest/gtest.h>

#include <cmath>

#include "kernel_harness.hpp"

using namespace espq;
using namespace espq::test;

namespace {

// scale/bias are given already expanded to the normalised shape (D values).
Tensor naive_ln(const Tensor& x, int64_t axis, const std::vector<float>& scale, const std::vector<float>& bias,
                float eps) {
    int64_t d = 1;
    for (int64_t i = axis; i < x.rank(); ++i) d *= x.dim(static_cast<int>(i));
    Tensor y(DType::Float32, x.shape());
    for (int64_t r = 0; r < x.numel() / d; ++r) {
        const float* xr = x.data<float>() + r * d;
        double mean = 0, var = 0;
        for (int64_t j = 0; j < d; ++j) mean += xr[j];
        mean /= d;
        for (int64_t j = 0; j < d; ++j) var += (xr[j] - mean) * (xr[j] - mean);
        var /= d;
        for (int64_t j = 0; j < d; ++j)
            y.data<float>()[r * d + j] =
                static_cast<float>((xr[j] - mean) / std::sqrt(var + eps) * scale[j] + (bias.empty() ? 0 : bias[j]));
    }
    return y;
}

TEST(LayerNormalization, AxesAndOptionalBias) {
    const Shape shape{2, 3, 4, 5};
    uint32_t seed = 1;
    for (int64_t axis : {-1, -2, 1, 0, 3})
        for (bool with_bias : {false, true}) {
            const int64_t a = axis < 0 ? axis + 4 : axis;
            const Shape norm(shape.begin() + a, shape.end());
            Tensor x = random_tensor(shape, seed++, -2, 4);
            Tensor scale = random_tensor(norm, seed++), bias = random_tensor(norm, seed++);
            NodeSpec spec{"LayerNormalization", {runtime(x), constant(scale)}, {{"axis", axis}}};
            if (with_bias) spec.inputs.push_back(constant(bias));
            SCOPED_TRACE("axis " + std::to_string(axis) + " bias " + std::to_string(with_bias));
            auto g = infer_node(spec);
            EXPECT_EQ(g.output(0).shape, shape);
            EXPECT_TRUE(tensors_close(g.run()[0], naive_ln(x, a, scale.to_vector<float>(),
                                                          with_bias ? bias.to_vector<float>() : std::vector<float>{},
                                                          1e-5f)));
        }
}

TEST(LayerNormalization, BroadcastScaleAndEpsilon) {
    // Scale of shape (1, 5) and B of shape (5) over the normalised shape (4, 5) (axis = -2).
    Tensor x = random_tensor({3, 4, 5}, 7);
    Tensor scale = random_tensor({1, 5}, 8), bias = random_tensor({5}, 9);
    std::vector<float> s(20), b(20);
    for (int i = 0; i < 20; ++i) {
        s[i] = scale.data<float>()[i % 5];
        b[i] = bias.data<float>()[i % 5];
    }
    auto y = run_node({"LayerNormalization", {runtime(x), constant(scale), constant(bias)}, {{"axis", -2}, {"epsilon", 0.5f}}});
    EXPECT_TRUE(tensors_close(y[0], naive_ln(x, 1, s, b, 0.5f)));
}

TEST(LayerNormalization, Errors) {
    Tensor x = random_tensor({2, 4, 5}, 1);
    auto err = [&](Shape scale, Attributes attrs, int outputs = 1) {
        return infer_error({"LayerNormalization", {runtime(x), constant(random_tensor(scale, 2))}, attrs, outputs});
    };
    EXPECT_EQ(err({5}, {}), "");
    EXPECT_TRUE(message_contains(err({4}, {}), "does not broadcast to the normalised shape 5"));
    EXPECT_TRUE(message_contains(err({5}, {{"axis", 3}}), "axis=3 is out of range"));
    EXPECT_TRUE(message_contains(err({5}, {}, 3), "Mean and InvStdDev"));
}

}  // namespace
