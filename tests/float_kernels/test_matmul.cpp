// MatMul float kernel against a naive loop with explicit numpy broadcasting of the batch axes.
#include <gtest/gtest.h>

#include "kernel_harness.hpp"

using namespace espq;
using namespace espq::test;

namespace {

// numpy.matmul, spelled out: promote 1-D operands, broadcast the batch axes, multiply, drop promoted axes.
Tensor naive_matmul(const Tensor& a, const Tensor& b) {
    Shape as = a.shape(), bs = b.shape();
    const bool av = as.size() == 1, bv = bs.size() == 1;
    if (av) as.insert(as.begin(), 1);
    if (bv) bs.push_back(1);
    const int64_t M = as[as.size() - 2], K = as.back(), N = bs.back();
    const size_t r = std::max(as.size(), bs.size()) - 2;
    Shape batch(r);
    auto dim_of = [&](const Shape& s, size_t i) {  // batch axis i of s, right-aligned, 1 if absent
        const size_t nb = s.size() - 2;
        return i + nb < r ? int64_t{1} : s[i + nb - r];
    };
    for (size_t i = 0; i < r; ++i) batch[i] = std::max(dim_of(as, i), dim_of(bs, i));
    Shape out = batch;
    if (!av) out.push_back(M);
    if (!bv) out.push_back(N);
    Tensor y(DType::Float32, out);
    const int64_t count = shape_numel(batch);
    for (int64_t e = 0; e < count; ++e) {
        // Decompose e into a batch index, then map it into each operand (index 0 on broadcast axes).
        int64_t rest = e, oa = 0, ob = 0, sa = 1, sb = 1;
        for (size_t i = r; i-- > 0;) {
            const int64_t idx = rest % batch[i];
            rest /= batch[i];
            oa += (dim_of(as, i) == 1 ? 0 : idx) * sa;
            ob += (dim_of(bs, i) == 1 ? 0 : idx) * sb;
            sa *= dim_of(as, i);
            sb *= dim_of(bs, i);
        }
        for (int64_t i = 0; i < M; ++i)
            for (int64_t j = 0; j < N; ++j) {
                double acc = 0;
                for (int64_t k = 0; k < K; ++k)
                    acc += double(a.data<float>()[oa * M * K + i * K + k]) * b.data<float>()[ob * K * N + k * N + j];
                y.data<float>()[(e * M + i) * N + j] = static_cast<float>(acc);
            }
    }
    return y;
}

TEST(MatMul, ShapesAndBroadcasting) {
    struct Case {
        Shape a, b, out;
    };
    uint32_t seed = 1;
    for (const Case& c : {
             Case{{3, 4}, {4, 5}, {3, 5}},
             Case{{4}, {4, 5}, {5}},
             Case{{3, 4}, {4}, {3}},
             Case{{4}, {4}, {}},
             Case{{2, 3, 4}, {4, 5}, {2, 3, 5}},          // B shared: folded into one GEMM
             Case{{4}, {2, 4, 5}, {2, 5}},
             Case{{2, 3, 4}, {4}, {2, 3}},
             Case{{2, 1, 3, 4}, {1, 5, 4, 6}, {2, 5, 3, 6}},  // both broadcast
             Case{{3, 4}, {2, 2, 4, 5}, {2, 2, 3, 5}},
             Case{{2, 2, 3, 4}, {2, 1, 4, 2}, {2, 2, 3, 2}},
             Case{{1, 3, 4}, {6, 4, 5}, {6, 3, 5}},
             Case{{6, 3, 4}, {1, 4, 5}, {6, 3, 5}},
         }) {
        SCOPED_TRACE(shape_str(c.a) + " @ " + shape_str(c.b));
        Tensor a = random_tensor(c.a, seed++);
        Tensor b = random_tensor(c.b, seed++);
        for (bool b_const : {false, true}) {
            auto g = infer_node({"MatMul", {runtime(a), b_const ? constant(b) : runtime(b)}, {}});
            EXPECT_EQ(g.output(0).dtype, DType::Float32);
            EXPECT_EQ(g.output(0).shape, c.out);
            auto y = g.run();
            EXPECT_TRUE(tensors_close(y[0], naive_matmul(a, b)));
        }
    }
}

TEST(MatMul, HandComputed) {
    Tensor a = Tensor::from<float>({2, 2}, {1, 2, 3, 4});
    Tensor b = Tensor::from<float>({2}, {10, 1});
    EXPECT_EQ(run_node({"MatMul", {runtime(a), runtime(b)}, {}})[0].to_vector<float>(), (std::vector<float>{12, 34}));
}

TEST(MatMul, Errors) {
    auto err = [](Shape a, Shape b) {
        return infer_error({"MatMul", {runtime(random_tensor(a, 1)), runtime(random_tensor(b, 2))}, {}});
    };
    EXPECT_EQ(err({3, 4}, {4, 2}), "");
    EXPECT_TRUE(message_contains(err({3, 4}, {3, 2}), "inner dimensions differ"));
    EXPECT_TRUE(message_contains(err({2, 3, 4}, {3, 4, 2}), "cannot be broadcast"));
    EXPECT_TRUE(message_contains(err({}, {3}), "rank"));
}

}  // namespace
