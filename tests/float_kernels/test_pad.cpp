// Pad against a naive per-element loop (reflection written as repeated bouncing off the borders).
#include <gtest/gtest.h>

#include "kernel_harness.hpp"

using namespace espq;
using namespace espq::test;

namespace {

// Input index read by output index o along an axis of size n, or -1 for the constant.
int64_t naive_source(int64_t o, int64_t begin, int64_t n, const std::string& mode) {
    int64_t i = o - begin;
    if (i >= 0 && i < n) return i;
    if (mode == "constant") return -1;
    if (mode == "edge") return i < 0 ? 0 : n - 1;
    if (n == 1) return 0;
    while (i < 0 || i >= n) i = i < 0 ? -i : 2 * (n - 1) - i;  // bounce
    return i;
}

Tensor naive_pad(const Tensor& x, const std::vector<int64_t>& begin, const std::vector<int64_t>& end,
                 const std::string& mode, float value) {
    const size_t r = x.shape().size();
    Shape out(r);
    for (size_t d = 0; d < r; ++d) out[d] = x.shape()[d] + begin[d] + end[d];
    Tensor y(DType::Float32, out);
    std::vector<int64_t> idx(r, 0);
    for (int64_t e = 0; e < y.numel(); ++e) {
        int64_t src = 0;
        bool constant = false;
        for (size_t d = 0; d < r; ++d) {
            const int64_t s = naive_source(idx[d], begin[d], x.shape()[d], mode);
            constant = constant || s < 0;
            src = src * x.shape()[d] + std::max<int64_t>(s, 0);
        }
        y.data<float>()[e] = constant ? value : x.data<float>()[src];
        for (size_t d = r; d-- > 0;) {
            if (++idx[d] < out[d]) break;
            idx[d] = 0;
        }
    }
    return y;
}

TEST(Pad, ModesAndPadsMatrix) {
    uint32_t seed = 1;
    const Shape shape{2, 3, 4, 5};
    struct Pads {
        std::vector<int64_t> begin, end;
    };
    for (const std::string mode : {"constant", "reflect", "edge"})
        for (const Pads& p : {Pads{{0, 0, 1, 1}, {0, 0, 1, 1}}, Pads{{0, 1, 2, 0}, {1, 0, 0, 3}},
                              Pads{{0, 0, -1, 2}, {0, 0, 1, -2}}, Pads{{1, 2, 3, 4}, {0, 0, 0, 0}},
                              Pads{{0, 0, 7, 9}, {0, 0, 6, 11}}}) {
            for (bool with_value : {false, true}) {
                Tensor x = random_tensor(shape, seed++);
                std::vector<int64_t> pads = p.begin;
                pads.insert(pads.end(), p.end.begin(), p.end.end());
                NodeSpec spec{"Pad", {runtime(x), constant(ints(pads))}, {{"mode", mode}}};
                const float value = with_value ? 2.5f : 0.f;
                if (with_value) spec.inputs.push_back(runtime(Tensor::scalar<float>(value)));
                SCOPED_TRACE(mode + " pads " + shape_str(pads, ",") + " value " + std::to_string(value));
                auto g = infer_node(spec);
                Tensor expected = naive_pad(x, p.begin, p.end, mode, value);
                EXPECT_EQ(g.output(0).shape, expected.shape());
                EXPECT_TRUE(tensors_close(g.run()[0], expected, 0, 0));
            }
        }
}

TEST(Pad, AxesInputOpset18) {
    Tensor x = random_tensor({2, 3, 4}, 5);
    // axes = [-1, 1]: pads = [b_last, b_1, e_last, e_1].
    auto y = run_node({"Pad",
                       {runtime(x), constant(ints({1, 2, 3, 0})), constant(Tensor::scalar<float>(-1.f)),
                        constant(ints({-1, 1}))},
                       {{"mode", "reflect"}}});
    EXPECT_TRUE(tensors_close(y[0], naive_pad(x, {0, 2, 1}, {0, 0, 3}, "reflect", 0), 0, 0));
    // Omitted constant_value with axes present.
    auto y2 = run_node({"Pad", {runtime(x), constant(ints({1, 1})), omitted(), constant(ints({0}))}, {}});
    EXPECT_TRUE(tensors_close(y2[0], naive_pad(x, {1, 0, 0}, {1, 0, 0}, "constant", 0), 0, 0));
}

TEST(Pad, HandComputedAndIntegers) {
    Tensor x = Tensor::from<int64_t>({3}, {1, 2, 3});
    auto reflect = run_node({"Pad", {runtime(x), constant(ints({2, 2}))}, {{"mode", "reflect"}}});
    EXPECT_EQ(reflect[0].to_vector<int64_t>(), (std::vector<int64_t>{3, 2, 1, 2, 3, 2, 1}));
    auto edge = run_node({"Pad", {runtime(x), constant(ints({2, 1}))}, {{"mode", "edge"}}});
    EXPECT_EQ(edge[0].to_vector<int64_t>(), (std::vector<int64_t>{1, 1, 1, 2, 3, 3}));
    auto cst = run_node({"Pad", {runtime(x), constant(ints({1, -1})), constant(Tensor::scalar<int64_t>(7))}, {}});
    EXPECT_EQ(cst[0].to_vector<int64_t>(), (std::vector<int64_t>{7, 1, 2}));
}

TEST(Pad, Errors) {
    Tensor x = random_tensor({2, 3}, 1);
    auto err = [&](std::vector<NodeInput> extra, Attributes a) {
        std::vector<NodeInput> in{runtime(x)};
        in.insert(in.end(), extra.begin(), extra.end());
        return infer_error({"Pad", in, a});
    };
    EXPECT_EQ(err({constant(ints({0, 1, 0, 1}))}, {}), "");
    EXPECT_TRUE(message_contains(err({constant(ints({0, 1}))}, {}), "has 2 values; expected 4"));
    EXPECT_TRUE(message_contains(err({runtime(ints({0, 1, 0, 1}))}, {}), "must be a constant"));
    EXPECT_TRUE(message_contains(err({constant(ints({0, 1, 0, 1}))}, {{"mode", "wrap"}}), "mode='wrap' is not supported"));
    EXPECT_TRUE(message_contains(err({constant(ints({0, -4, 0, 0}))}, {}), "crop more than its size"));
    EXPECT_TRUE(message_contains(err({constant(ints({0, 0, 0, 0})), constant(Tensor::scalar<int64_t>(1))}, {}),
                                 "constant_value is INT64 but data is FLOAT"));
    EXPECT_TRUE(message_contains(err({constant(ints({0, 0})), omitted(), constant(ints({1, -1}))}, {}),
                                 "axes lists axis 1 twice"));
}

}  // namespace
