// Gemm float kernel against a naive triple loop, over transA/transB/alpha/beta and every C broadcast form.
#include <gtest/gtest.h>

#include "kernel_harness.hpp"

using namespace espq;
using namespace espq::test;

namespace {

Tensor naive_gemm(const Tensor& a, const Tensor& b, const Tensor* c, bool ta, bool tb, float alpha, float beta) {
    const int64_t M = ta ? a.dim(1) : a.dim(0), K = ta ? a.dim(0) : a.dim(1), N = tb ? b.dim(0) : b.dim(1);
    Tensor y(DType::Float32, {M, N});
    const float* ap = a.data<float>();
    const float* bp = b.data<float>();
    for (int64_t i = 0; i < M; ++i)
        for (int64_t j = 0; j < N; ++j) {
            double acc = 0;
            for (int64_t k = 0; k < K; ++k)
                acc += double(ta ? ap[k * M + i] : ap[i * K + k]) * (tb ? bp[j * K + k] : bp[k * N + j]);
            double cv = 0;
            if (c) {
                // Unidirectional broadcast of C (rank <= 2) to (M, N), written out per rank.
                const float* cp = c->data<float>();
                if (c->rank() == 0) cv = cp[0];
                if (c->rank() == 1) cv = cp[c->dim(0) == 1 ? 0 : j];
                if (c->rank() == 2) cv = cp[(c->dim(0) == 1 ? 0 : i) * c->dim(1) + (c->dim(1) == 1 ? 0 : j)];
            }
            y.data<float>()[i * N + j] = static_cast<float>(alpha * acc + beta * cv);
        }
    return y;
}

TEST(Gemm, OptionMatrix) {
    const int64_t M = 5, K = 7, N = 6;
    uint32_t seed = 1;
    for (bool ta : {false, true})
        for (bool tb : {false, true})
            for (float alpha : {1.f, 0.5f})
                for (float beta : {1.f, -2.f, 0.f})
                    for (const Shape& c_shape : {Shape{}, Shape{N}, Shape{1}, Shape{1, N}, Shape{M, 1}, Shape{M, N},
                                                 Shape{1, 1}, Shape{-1}}) {
                        Tensor a = random_tensor(ta ? Shape{K, M} : Shape{M, K}, seed);
                        Tensor b = random_tensor(tb ? Shape{N, K} : Shape{K, N}, seed + 1);
                        const bool has_c = c_shape != Shape{-1};
                        Tensor c = has_c ? random_tensor(c_shape, seed + 2) : Tensor();
                        Attributes attrs{{"transA", int64_t(ta)}, {"transB", int64_t(tb)}};
                        if (alpha != 1.f) attrs["alpha"] = alpha;
                        if (beta != 1.f) attrs["beta"] = beta;
                        NodeSpec spec{"Gemm", {runtime(a), constant(b)}, attrs};
                        if (has_c) spec.inputs.push_back(constant(c));
                        SCOPED_TRACE("transA " + std::to_string(ta) + " transB " + std::to_string(tb) + " alpha " +
                                     std::to_string(alpha) + " beta " + std::to_string(beta) + " C " +
                                     (has_c ? shape_str(c_shape) : "none"));
                        auto y = run_node(spec);
                        EXPECT_TRUE(tensors_close(y[0], naive_gemm(a, b, has_c ? &c : nullptr, ta, tb, alpha, beta)));
                        seed += 3;
                    }
}

TEST(Gemm, HandComputedAndShapes) {
    Tensor a = Tensor::from<float>({1, 2}, {1, 2});
    Tensor b = Tensor::from<float>({2, 3}, {1, 2, 3, 4, 5, 6});
    Tensor c = Tensor::from<float>({3}, {100, 200, 300});
    auto g = infer_node({"Gemm", {runtime(a), constant(b), constant(c)}, {}});
    EXPECT_EQ(g.output(0).dtype, DType::Float32);
    EXPECT_EQ(g.output(0).shape, (Shape{1, 3}));
    EXPECT_EQ(g.run()[0].to_vector<float>(), (std::vector<float>{109, 212, 315}));
    // A fully-connected layer as exported by PyTorch: (1, 64) x (10, 64)^T + (10).
    auto fc = infer_node({"Gemm",
                          {runtime(random_tensor({1, 64}, 1)), constant(random_tensor({10, 64}, 2)),
                           constant(random_tensor({10}, 3))},
                          {{"transB", 1}}});
    EXPECT_EQ(fc.output(0).shape, (Shape{1, 10}));
}

TEST(Gemm, Errors) {
    auto err = [](Shape a, Shape b, Attributes attrs, Shape c = {-1}) {
        NodeSpec spec{"Gemm", {runtime(random_tensor(a, 1)), constant(random_tensor(b, 2))}, attrs};
        if (c != Shape{-1}) spec.inputs.push_back(constant(random_tensor(c, 3)));
        return infer_error(spec);
    };
    EXPECT_EQ(err({2, 3}, {3, 4}, {}), "");
    EXPECT_TRUE(message_contains(err({2, 3}, {4, 3}, {}), "inner dimensions differ"));
    EXPECT_EQ(err({2, 3}, {4, 3}, {{"transB", 1}}), "");
    EXPECT_TRUE(message_contains(err({2, 3, 1}, {3, 4}, {}), "Gemm needs 2-D A and B"));
    EXPECT_TRUE(message_contains(err({2, 3}, {3, 4}, {}, {3}), "does not broadcast to (M, N) = (2, 4)"));
    EXPECT_TRUE(message_contains(err({2, 3}, {3, 4}, {}, {4, 2}), "does not broadcast"));
}

}  // namespace
