// Activations, unary math, Clip and PRelu against formulas evaluated independently in double precision.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>

#include "elementwise_reference.hpp"
#include "kernel_harness.hpp"

using namespace espq;
using namespace espq::test;
using ::testing::HasSubstr;

namespace {

Tensor apply_double(const Tensor& x, const std::function<double(double)>& f) {
    Tensor y(DType::Float32, x.shape());
    for (int64_t i = 0; i < x.numel(); ++i) y.data<float>()[i] = static_cast<float>(f(x.data<float>()[i]));
    return y;
}

double sigmoid(double x) {
    return 1.0 / (1.0 + std::exp(-x));
}

struct Case {
    std::string op;
    Attributes attrs;
    std::function<double(double)> f;
    float lo = -8.f, hi = 8.f;
};

TEST(Activations, MatchDoublePrecisionFormulas) {
    const double pi = 3.14159265358979323846;
    const std::vector<Case> cases = {
        {"Relu", {}, [](double x) { return std::max(x, 0.0); }},
        {"LeakyRelu", {}, [](double x) { return x < 0 ? 0.01 * x : x; }},
        {"LeakyRelu", {{"alpha", 0.25f}}, [](double x) { return x < 0 ? 0.25 * x : x; }},
        {"Sigmoid", {}, sigmoid, -30.f, 30.f},
        {"Tanh", {}, [](double x) { return std::tanh(x); }},
        {"HardSigmoid", {}, [](double x) { return std::clamp(0.2 * x + 0.5, 0.0, 1.0); }},
        {"HardSigmoid",
         {{"alpha", 0.5f}, {"beta", 0.25f}},
         [](double x) { return std::clamp(0.5 * x + 0.25, 0.0, 1.0); }},
        {"HardSwish", {}, [](double x) { return x * std::clamp(x / 6 + 0.5, 0.0, 1.0); }},
        {"Elu", {}, [](double x) { return x < 0 ? std::exp(x) - 1 : x; }},
        {"Elu", {{"alpha", 0.5f}}, [](double x) { return x < 0 ? 0.5 * (std::exp(x) - 1) : x; }},
        {"Gelu", {}, [](double x) { return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0))); }},
        {"Gelu",
         {{"approximate", "tanh"}},
         [pi](double x) { return 0.5 * x * (1 + std::tanh(std::sqrt(2 / pi) * (x + 0.044715 * x * x * x))); }},
        {"Gelu", {{"approximate", "none"}}, [](double x) { return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0))); }},
        {"Swish", {}, [](double x) { return x * sigmoid(x); }},
        {"Exp", {}, [](double x) { return std::exp(x); }},
        {"Log", {}, [](double x) { return std::log(x); }, 1e-3f, 50.f},
        {"Sqrt", {}, [](double x) { return std::sqrt(x); }, 0.f, 50.f},
        {"Neg", {}, [](double x) { return -x; }},
    };
    uint32_t seed = 1;
    for (const auto& c : cases) {
        for (const Shape& shape : {Shape{}, Shape{7}, Shape{2, 3, 5, 5}}) {
            SCOPED_TRACE(c.op + " on " + shape_str(shape));
            const Tensor x = random_tensor(shape, seed++, c.lo, c.hi);
            auto s = infer_node(node_spec(c.op, {runtime(x)}, c.attrs));
            EXPECT_EQ(s.output(0).dtype, DType::Float32);
            EXPECT_EQ(s.output(0).shape, shape);
            EXPECT_TRUE(tensors_close(s.run().at(0), apply_double(x, c.f), 2e-6, 1e-6));
        }
    }
}

TEST(Activations, SaturateWithoutOverflowOrNan) {
    const float big = 1e30f, inf = std::numeric_limits<float>::infinity();
    const Tensor x = floats({-big, big, -inf, inf, -100.f, 100.f});
    const Tensor sig = run_node(node_spec("Sigmoid", {runtime(x)})).at(0);
    EXPECT_EQ(sig.to_vector<float>(), (std::vector<float>{0.f, 1.f, 0.f, 1.f, 0.f, 1.f}));
    const Tensor th = run_node(node_spec("Tanh", {runtime(x)})).at(0);
    EXPECT_EQ(th.to_vector<float>(), (std::vector<float>{-1.f, 1.f, -1.f, 1.f, -1.f, 1.f}));
    const Tensor hs = run_node(node_spec("HardSwish", {runtime(floats({-3.f, 3.f, -4.f, 4.f}))})).at(0);
    EXPECT_EQ(hs.to_vector<float>(), (std::vector<float>{0.f, 3.f, 0.f, 4.f}));
}

TEST(Activations, NegOnIntegersWraps) {
    const int64_t lo = std::numeric_limits<int64_t>::min();
    EXPECT_EQ(run_node(node_spec("Neg", {runtime(ints({3, -4, 0, lo}))})).at(0).to_vector<int64_t>(),
              (std::vector<int64_t>{-3, 4, 0, lo}));
    const Tensor i32 = run_node(node_spec("Neg", {runtime(ints({5, -6}).cast(DType::Int32))})).at(0);
    EXPECT_EQ(i32.to_vector<int32_t>(), (std::vector<int32_t>{-5, 6}));
}

TEST(Activations, ReportAttributeAndTypeErrors) {
    const Tensor x = random_tensor({2, 3}, 1);
    EXPECT_THAT(infer_error(node_spec("Gelu", {runtime(x)}, {{"approximate", "fast"}})),
                HasSubstr("node 'under_test' (Gelu): attribute 'approximate' is 'fast'"));
    EXPECT_THAT(infer_error(node_spec("Relu", {runtime(ints({1}))})),
                HasSubstr("(Relu): input 0 (X, 'in0') is INT64; this kernel supports FLOAT"));
    EXPECT_THAT(infer_error(node_spec("LeakyRelu", {runtime(x)}, {{"alpha", "big"}})),
                HasSubstr("attribute 'alpha' must be a float"));
    EXPECT_THAT(infer_error(node_spec("Exp", {runtime(x), runtime(x)})), HasSubstr("has 2 input(s); ONNX defines 1"));
}

// ---- Clip ----

TEST(Clip, InputBoundsInAnyCombination) {
    const Tensor x = random_tensor({2, 3, 4}, 3, -2.f, 2.f);
    auto expect_clip = [&](const Tensor& y, double lo, double hi) {
        EXPECT_TRUE(tensors_close(y, apply_double(x, [&](double v) { return std::min(std::max(v, lo), hi); }), 0, 0));
    };
    const double inf = std::numeric_limits<double>::infinity();
    const Tensor lo = Tensor::scalar<float>(-0.5f), hi = Tensor::scalar<float>(0.75f);
    expect_clip(run_node(node_spec("Clip", {runtime(x), constant(lo), constant(hi)})).at(0), -0.5, 0.75);
    expect_clip(run_node(node_spec("Clip", {runtime(x), constant(lo)})).at(0), -0.5, inf);
    expect_clip(run_node(node_spec("Clip", {runtime(x), omitted(), constant(hi)})).at(0), -inf, 0.75);
    expect_clip(run_node(node_spec("Clip", {runtime(x)})).at(0), -inf, inf);
    // Bounds computed at run time (not constants), and ReLU6 as exported by PyTorch.
    expect_clip(run_node(node_spec("Clip", {runtime(x), runtime(lo), runtime(hi)})).at(0), -0.5, 0.75);
    expect_clip(run_node(node_spec("Clip", {runtime(x), constant(Tensor::scalar<float>(0.f)),
                                            constant(Tensor::scalar<float>(6.f))}))
                    .at(0),
                0, 6);
    // min > max: every element becomes max.
    expect_clip(run_node(node_spec("Clip", {runtime(x), constant(hi), constant(lo)})).at(0), 0.75, -0.5);
}

TEST(Clip, Opset6AttributesAndIntegerData) {
    const Tensor x = random_tensor({5, 4}, 4, -2.f, 2.f);
    const Tensor y = run_node(node_spec("Clip", {runtime(x)}, {{"min", -1.f}, {"max", 0.5f}})).at(0);
    EXPECT_TRUE(tensors_close(y, apply_double(x, [](double v) { return std::clamp(v, -1.0, 0.5); }), 0, 0));
    const Tensor yi =
        run_node(node_spec("Clip", {runtime(ints({-9, -2, 0, 3, 9})), constant(Tensor::scalar<int64_t>(-3)),
                                    constant(Tensor::scalar<int64_t>(4))}))
            .at(0);
    EXPECT_EQ(yi.to_vector<int64_t>(), (std::vector<int64_t>{-3, -2, 0, 3, 4}));
}

TEST(Clip, ReportsBadBounds) {
    const Tensor x = random_tensor({4}, 1);
    EXPECT_THAT(infer_error(node_spec("Clip", {runtime(x), constant(floats({0.f, 1.f}))})),
                HasSubstr("node 'under_test' (Clip): input 'min' must be a scalar, got shape 2"));
    EXPECT_THAT(infer_error(node_spec("Clip", {runtime(x), constant(Tensor::scalar<int64_t>(0))})),
                HasSubstr("input 'min' is INT64 but the data is FLOAT"));
    EXPECT_THAT(infer_error(node_spec("Clip", {runtime(x), constant(Tensor::scalar<float>(0.f))}, {{"max", 1.f}})),
                HasSubstr("has both min/max attributes"));
}

// ---- PRelu ----

TEST(PRelu, SlopeBroadcastsToInput) {
    const Shape x_shape{2, 3, 4, 5};
    uint32_t seed = 10;
    for (const Shape& slope_shape :
         {Shape{3, 1, 1}, Shape{1, 3, 1, 1}, Shape{1}, Shape{}, Shape{5}, Shape{4, 5}, Shape{2, 3, 4, 5}}) {
        SCOPED_TRACE("slope " + shape_str(slope_shape));
        const Tensor x = random_tensor(x_shape, seed++), slope = random_tensor(slope_shape, seed++, 0.f, 0.5f);
        Tensor expect(DType::Float32, x_shape);
        for (int64_t i = 0; i < x.numel(); ++i) {
            const float v = x.data<float>()[i];
            const float a = slope.data<float>()[broadcast_source(unravel(i, x_shape), slope_shape)];
            expect.data<float>()[i] = v < 0 ? a * v : v;
        }
        EXPECT_TRUE(tensors_equal(run_node(node_spec("PRelu", {runtime(x), constant(slope)})).at(0), expect));
    }
}

TEST(PRelu, RejectsSlopeThatWouldGrowTheOutput) {
    EXPECT_THAT(
        infer_error(node_spec("PRelu", {runtime(random_tensor({3, 4}, 1)), constant(random_tensor({2, 3, 4}, 2))})),
        HasSubstr("node 'under_test' (PRelu): slope of shape 2x3x4 does not broadcast to X of shape 3x4"));
}

}  // namespace
