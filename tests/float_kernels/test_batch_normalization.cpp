// BatchNormalization (inference) against the ONNX formula evaluated per element.
#include <gtest/gtest.h>

#include <cmath>

#include "kernel_harness.hpp"

using namespace espq;
using namespace espq::test;

namespace {

Tensor naive_bn(const Tensor& x, const Tensor& scale, const Tensor& b, const Tensor& mean, const Tensor& var,
                float eps) {
    Tensor y(DType::Float32, x.shape());
    const int64_t C = x.dim(1), plane = x.numel() / (x.dim(0) * C);
    for (int64_t i = 0; i < x.numel(); ++i) {
        const int64_t c = (i / plane) % C;
        y.data<float>()[i] = static_cast<float>((x.data<float>()[i] - mean.data<float>()[c]) /
                                                    std::sqrt(double(var.data<float>()[c]) + eps) *
                                                    scale.data<float>()[c] +
                                                b.data<float>()[c]);
    }
    return y;
}

TEST(BatchNormalization, MatchesFormula) {
    uint32_t seed = 1;
    for (const Shape& shape : {Shape{2, 3}, Shape{2, 3, 7}, Shape{1, 4, 5, 6}, Shape{2, 2, 2, 3, 2}})
        for (float eps : {1e-5f, 0.1f}) {
            const int64_t C = shape[1];
            Tensor x = random_tensor(shape, seed++, -3, 3);
            Tensor scale = random_tensor({C}, seed++), b = random_tensor({C}, seed++);
            Tensor mean = random_tensor({C}, seed++), var = random_tensor({C}, seed++, 0.01f, 2.f);
            Attributes attrs;
            if (eps != 1e-5f) attrs["epsilon"] = eps;
            auto g = infer_node({"BatchNormalization",
                                 {runtime(x), constant(scale), constant(b), constant(mean), constant(var)}, attrs});
            EXPECT_EQ(g.output(0).shape, shape);
            EXPECT_EQ(g.output(0).dtype, DType::Float32);
            EXPECT_TRUE(tensors_close(g.run()[0], naive_bn(x, scale, b, mean, var, eps))) << shape_str(shape);
        }
}

TEST(BatchNormalization, Errors) {
    Tensor x = random_tensor({1, 3, 4, 4}, 1);
    Tensor c3 = random_tensor({3}, 2, 0.1f, 1.f), c4 = random_tensor({4}, 3, 0.1f, 1.f);
    auto err = [&](const Tensor& mean, Attributes attrs, int outputs = 1) {
        return infer_error(
            {"BatchNormalization", {runtime(x), constant(c3), constant(c3), constant(mean), constant(c3)}, attrs, outputs});
    };
    EXPECT_EQ(err(c3, {}), "");
    EXPECT_TRUE(message_contains(err(c4, {}), "input_mean has shape 4; expected (3)"));
    EXPECT_TRUE(message_contains(err(c3, {{"training_mode", 1}}), "training_mode=1 is not supported"));
    EXPECT_TRUE(message_contains(err(c3, {}, 3), "only in training mode"));
}

}  // namespace
