// DepthToSpace and SpaceToDepth against the ONNX definitions (reshape -> transpose -> reshape), evaluated with a
// naive N-d transpose.
#include <gtest/gtest.h>

#include "kernel_harness.hpp"

using namespace espq;
using namespace espq::test;

namespace {

// y = transpose(reshape(x, shape), perm), C-order, by walking every output index.
Tensor naive_transpose(const Tensor& x, const Shape& shape, const std::vector<int>& perm) {
    const size_t r = shape.size();
    std::vector<int64_t> in_strides(r, 1);
    for (size_t d = r - 1; d-- > 0;) in_strides[d] = in_strides[d + 1] * shape[d + 1];
    Shape out(r);
    for (size_t d = 0; d < r; ++d) out[d] = shape[perm[d]];
    Tensor y(DType::Float32, out);
    std::vector<int64_t> idx(r, 0);
    for (int64_t e = 0; e < y.numel(); ++e) {
        int64_t src = 0;
        for (size_t d = 0; d < r; ++d) src += idx[d] * in_strides[perm[d]];
        y.data<float>()[e] = x.data<float>()[src];
        for (size_t d = r; d-- > 0;) {
            if (++idx[d] < out[d]) break;
            idx[d] = 0;
        }
    }
    return y;
}

Tensor reference_depth_to_space(const Tensor& x, int64_t b, bool crd) {
    const int64_t N = x.dim(0), C = x.dim(1), H = x.dim(2), W = x.dim(3);
    Tensor y = crd ? naive_transpose(x, {N, C / (b * b), b, b, H, W}, {0, 1, 4, 2, 5, 3})
                   : naive_transpose(x, {N, b, b, C / (b * b), H, W}, {0, 3, 4, 1, 5, 2});
    y.reshape({N, C / (b * b), H * b, W * b});
    return y;
}

Tensor reference_space_to_depth(const Tensor& x, int64_t b) {
    const int64_t N = x.dim(0), C = x.dim(1), H = x.dim(2), W = x.dim(3);
    Tensor y = naive_transpose(x, {N, C, H / b, b, W / b, b}, {0, 3, 5, 1, 2, 4});
    y.reshape({N, C * b * b, H / b, W / b});
    return y;
}

TEST(DepthToSpace, ModesAndBlockSizes) {
    uint32_t seed = 1;
    for (int64_t b : {1, 2, 3})
        for (bool crd : {false, true})
            for (const Shape& s : {Shape{1, 3 * b * b, 2, 3}, Shape{2, 2 * b * b, 3, 4}}) {
                Tensor x = random_tensor(s, seed++);
                Attributes a{{"blocksize", b}};
                if (crd) a["mode"] = "CRD";
                auto g = infer_node({"DepthToSpace", {runtime(x)}, a});
                EXPECT_EQ(g.output(0).shape, (Shape{s[0], s[1] / (b * b), s[2] * b, s[3] * b}));
                EXPECT_TRUE(tensors_close(g.run()[0], reference_depth_to_space(x, b, crd), 0, 0))
                    << "b " << b << " crd " << crd << " x " << shape_str(s);
            }
}

TEST(DepthToSpace, OnnxDocumentationExample) {
    // ONNX operator docs, mode DCR, x = arange(48).reshape(1, 8, 2, 3), blocksize 2: first output row.
    std::vector<float> v(48);
    for (int i = 0; i < 48; ++i) v[i] = float(i);
    auto y = run_node({"DepthToSpace", {runtime(Tensor::from<float>({1, 8, 2, 3}, v))}, {{"blocksize", 2}}});
    ASSERT_EQ(y[0].shape(), (Shape{1, 2, 4, 6}));
    const auto out = y[0].to_vector<float>();
    EXPECT_EQ(std::vector<float>(out.begin(), out.begin() + 12),
              (std::vector<float>{0, 12, 1, 13, 2, 14, 24, 36, 25, 37, 26, 38}));
}

TEST(SpaceToDepth, MatchesDefinitionAndInvertsDcr) {
    uint32_t seed = 100;
    for (int64_t b : {1, 2, 4}) {
        Tensor x = random_tensor({2, 3, 4 * 2, 4 * 3}, seed++);
        auto g = infer_node({"SpaceToDepth", {runtime(x)}, {{"blocksize", b}}});
        EXPECT_EQ(g.output(0).shape, (Shape{2, 3 * b * b, 8 / b, 12 / b}));
        Tensor y = g.run()[0];
        EXPECT_TRUE(tensors_close(y, reference_space_to_depth(x, b), 0, 0)) << "b " << b;
        Tensor back = run_node({"DepthToSpace", {runtime(y)}, {{"blocksize", b}}})[0];
        EXPECT_TRUE(tensors_close(back, x, 0, 0));
    }
    // Integer data moves the same way.
    Tensor xi = Tensor::from<int64_t>({1, 1, 2, 2}, {1, 2, 3, 4});
    auto yi = run_node({"SpaceToDepth", {runtime(xi)}, {{"blocksize", 2}}});
    EXPECT_EQ(yi[0].dtype(), DType::Int64);
    EXPECT_EQ(yi[0].to_vector<int64_t>(), (std::vector<int64_t>{1, 2, 3, 4}));
}

TEST(DepthToSpace, Errors) {
    Tensor x = random_tensor({1, 8, 3, 3}, 1);
    EXPECT_TRUE(message_contains(infer_error({"DepthToSpace", {runtime(x)}, {}}), "attribute 'blocksize' is required"));
    EXPECT_TRUE(message_contains(infer_error({"DepthToSpace", {runtime(x)}, {{"blocksize", 3}}}),
                                 "not divisible by blocksize^2 = 9"));
    EXPECT_TRUE(message_contains(infer_error({"DepthToSpace", {runtime(x)}, {{"blocksize", 2}, {"mode", "RDC"}}}),
                                 "mode='RDC' must be DCR or CRD"));
    EXPECT_TRUE(message_contains(infer_error({"SpaceToDepth", {runtime(x)}, {{"blocksize", 2}}}),
                                 "spatial size 3x3 is not divisible by blocksize 2"));
}

}  // namespace
