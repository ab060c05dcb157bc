// Reduce* against a naive loop that visits every input element once per output element, over axis sets
// (none, single, negative, several, all), keepdims, axes as attribute or input, and noop_with_empty_axes.
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

struct Reduction {
    std::string op;
    // Folds the selected values (as doubles) into the result.
    std::function<double(const std::vector<double>&)> f;
};

double sum(const std::vector<double>& v) {
    double s = 0;
    for (double x : v) s += x;
    return s;
}

const std::vector<Reduction> kReductions = {
    {"ReduceSum", sum},
    {"ReduceMean", [](const std::vector<double>& v) { return sum(v) / v.size(); }},
    {"ReduceMax", [](const std::vector<double>& v) { return *std::max_element(v.begin(), v.end()); }},
    {"ReduceMin", [](const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); }},
    {"ReduceProd",
     [](const std::vector<double>& v) {
         double p = 1;
         for (double x : v) p *= x;
         return p;
     }},
    {"ReduceSumSquare",
     [](const std::vector<double>& v) {
         double s = 0;
         for (double x : v) s += x * x;
         return s;
     }},
    {"ReduceL1",
     [](const std::vector<double>& v) {
         double s = 0;
         for (double x : v) s += std::fabs(x);
         return s;
     }},
    {"ReduceL2",
     [](const std::vector<double>& v) {
         double s = 0;
         for (double x : v) s += x * x;
         return std::sqrt(s);
     }},
    {"ReduceLogSum", [](const std::vector<double>& v) { return std::log(sum(v)); }},
};

// Output shape and values: every output position collects the input elements that agree with it on the
// kept axes.
Tensor naive_reduce(const Tensor& x, const std::vector<int>& axes, bool keepdims,
                    const std::function<double(const std::vector<double>&)>& f) {
    const Shape& s = x.shape();
    std::vector<bool> reduced(s.size(), false);
    for (int a : axes) reduced[a] = true;
    Shape kept_shape, out_shape;
    for (size_t k = 0; k < s.size(); ++k) {
        kept_shape.push_back(reduced[k] ? 1 : s[k]);
        if (!reduced[k] || keepdims) out_shape.push_back(reduced[k] ? 1 : s[k]);
    }
    const std::vector<double> xs = x.as_doubles();
    Tensor y(x.dtype(), out_shape);
    std::vector<double> result;
    for (int64_t o = 0; o < shape_numel(kept_shape); ++o) {
        const auto oi = unravel(o, kept_shape);
        std::vector<double> picked;
        for (int64_t i = 0; i < x.numel(); ++i) {
            const auto ii = unravel(i, s);
            bool match = true;
            for (size_t k = 0; k < s.size(); ++k) match &= reduced[k] || ii[k] == oi[k];
            if (match) picked.push_back(xs[i]);
        }
        result.push_back(f(picked));
    }
    if (x.dtype() == DType::Float32)
        for (size_t i = 0; i < result.size(); ++i) y.data<float>()[i] = static_cast<float>(result[i]);
    else
        for (size_t i = 0; i < result.size(); ++i) y.data<int64_t>()[i] = static_cast<int64_t>(result[i]);
    return y;
}

TEST(Reduce, AllKindsOverAxisSetsAndKeepdims) {
    const Shape shape{2, 3, 4, 5};
    // Positive values keep Prod and LogSum well conditioned.
    const Tensor x = random_tensor(shape, 1, 0.5f, 1.5f);
    const std::vector<std::vector<int64_t>> axis_sets = {{0},    {1},    {3},     {-1},        {1, 2},
                                                         {2, 3}, {0, 3}, {-3, 3}, {0, 1, 2, 3}};
    for (const auto& r : kReductions)
        for (const auto& axes : axis_sets)
            for (int keepdims : {0, 1}) {
                std::vector<int> normalised;
                for (int64_t a : axes) normalised.push_back(static_cast<int>(a < 0 ? a + 4 : a));
                SCOPED_TRACE(r.op + " axes " + shape_str(axes, ",") + " keepdims " + std::to_string(keepdims));
                const Tensor expect = naive_reduce(x, normalised, keepdims, r.f);
                // Opset 18 form (axes input) and the older attribute form.
                EXPECT_TRUE(tensors_close(
                    run_node(node_spec(r.op, {runtime(x), constant(ints(axes))}, {{"keepdims", keepdims}})).at(0),
                    expect));
                EXPECT_TRUE(tensors_close(
                    run_node(node_spec(r.op, {runtime(x)}, {{"axes", axes}, {"keepdims", keepdims}})).at(0), expect));
            }
}

TEST(Reduce, NoAxesReducesEverythingUnlessNoop) {
    const Tensor x = random_tensor({2, 3, 4}, 2);
    const Tensor all = run_node(node_spec("ReduceMean", {runtime(x)})).at(0);
    EXPECT_EQ(all.shape(), (Shape{1, 1, 1}));
    EXPECT_TRUE(tensors_close(all, naive_reduce(x, {0, 1, 2}, true, kReductions[1].f)));
    EXPECT_EQ(run_node(node_spec("ReduceSum", {runtime(x)}, {{"keepdims", 0}})).at(0).shape(), Shape{});
    // noop_with_empty_axes: identity, with an omitted or an empty axes input.
    EXPECT_TRUE(tensors_equal(run_node(node_spec("ReduceMax", {runtime(x)}, {{"noop_with_empty_axes", 1}})).at(0), x));
    EXPECT_TRUE(tensors_equal(
        run_node(node_spec("ReduceSum", {runtime(x), constant(ints({}))}, {{"noop_with_empty_axes", 1}})).at(0), x));
}

TEST(Reduce, IntegerDataAndSpecialValues) {
    const Tensor xi = random_ints({3, 4}, 3, -20, 20);
    for (int r : {0, 2, 3}) {  // Sum, Max, Min
        SCOPED_TRACE(kReductions[r].op);
        EXPECT_TRUE(tensors_equal(
            run_node(node_spec(kReductions[r].op, {runtime(xi), constant(ints({1}))}, {{"keepdims", 0}})).at(0),
            naive_reduce(xi, {1}, false, kReductions[r].f)));
    }
    // NaN propagates through Max; an empty reduction gives the identity (Sum 0, Max -inf).
    const float nan = std::nanf("");
    EXPECT_TRUE(std::isnan(run_node(node_spec("ReduceMax", {runtime(floats({1.f, nan, 2.f}))}, {{"keepdims", 0}}))
                               .at(0)
                               .data<float>()[0]));
    const Tensor empty(DType::Float32, {2, 0});
    EXPECT_EQ(run_node(node_spec("ReduceSum", {runtime(empty), constant(ints({1}))})).at(0).to_vector<float>(),
              (std::vector<float>{0.f, 0.f}));
    EXPECT_EQ(run_node(node_spec("ReduceMax", {runtime(empty), constant(ints({1}))})).at(0).to_vector<float>(),
              (std::vector<float>{-std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity()}));
}

TEST(Reduce, ReportsBadAxes) {
    const Tensor x = random_tensor({2, 3}, 1);
    EXPECT_THAT(infer_error(node_spec("ReduceMean", {runtime(x), constant(ints({2}))})),
                HasSubstr("node 'under_test' (ReduceMean): axes 2 is out of range for rank 2"));
    EXPECT_THAT(infer_error(node_spec("ReduceSum", {runtime(x), constant(ints({1, -1}))})),
                HasSubstr("axes lists axis 1 twice"));
    EXPECT_THAT(infer_error(node_spec("ReduceMax", {runtime(x), runtime(ints({1}))})),
                HasSubstr("input 1 (axes, 'in1') must be a constant"));
}

}  // namespace
