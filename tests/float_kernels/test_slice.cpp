// Slice against a naive reference that enumerates the selected indices per axis under ONNX's clamping rules,
// over a random matrix of starts / ends / axes / steps (including INT64_MIN/MAX bounds and steps).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <random>

#include "elementwise_reference.hpp"
#include "kernel_harness.hpp"
#include "slice_reference.hpp"

using namespace espq;
using namespace espq::test;
using ::testing::HasSubstr;

namespace {

Tensor naive_slice(const Tensor& x, const std::vector<int64_t>& starts, const std::vector<int64_t>& ends,
                   const std::vector<int64_t>& axes, const std::vector<int64_t>& steps) {
    const Shape& shape = x.shape();
    const int64_t rank = static_cast<int64_t>(shape.size());
    std::vector<std::vector<int64_t>> picked(shape.size());
    for (int64_t k = 0; k < rank; ++k)
        for (int64_t i = 0; i < shape[k]; ++i) picked[k].push_back(i);
    for (size_t i = 0; i < starts.size(); ++i) {
        const int64_t a = axes[i] < 0 ? axes[i] + rank : axes[i];
        picked[a] = test::onnx_slice_indices(shape[a], starts[i], ends[i], steps[i]);
    }
    Shape out_shape;
    for (const auto& p : picked) out_shape.push_back(static_cast<int64_t>(p.size()));
    Tensor y(x.dtype(), out_shape);
    const size_t es = dtype_size(x.dtype());
    for (int64_t i = 0; i < y.numel(); ++i) {
        auto idx = unravel(i, out_shape);
        for (size_t k = 0; k < idx.size(); ++k) idx[k] = picked[k][idx[k]];
        std::memcpy(y.raw() + i * es, x.raw() + ravel(idx, shape) * es, es);
    }
    return y;
}

TEST(Slice, RandomMatrixMatchesNaiveEnumeration) {
    const Shape shape{5, 6, 7};
    const int64_t big = std::numeric_limits<int64_t>::max(), small = std::numeric_limits<int64_t>::min();
    const std::vector<int64_t> bounds = {0, 1, 2, 4, 6, 7, 9, -1, -2, -5, -8, -100, big, small};
    const std::vector<int64_t> step_values = {1, 1, 2, 3, -1, -1, -2, -3, 100, -100, small};
    std::mt19937 rng(42);
    auto pick = [&](const std::vector<int64_t>& v) { return v[rng() % v.size()]; };
    const Tensor xf = iota_tensor(DType::Float32, shape), xi = iota_tensor(DType::Int64, shape);
    for (int trial = 0; trial < 400; ++trial) {
        const size_t n = 1 + rng() % 3;
        std::vector<int64_t> axes = {0, 1, 2, -1, -2, -3};
        std::shuffle(axes.begin(), axes.end(), rng);
        // Distinct axes: drop the one among {a, a-3} duplicates by taking normalised-unique first n.
        std::vector<int64_t> chosen;
        for (int64_t a : axes) {
            const int64_t na = a < 0 ? a + 3 : a;
            bool dup = false;
            for (int64_t c : chosen) dup |= ((c < 0 ? c + 3 : c) == na);
            if (!dup && chosen.size() < n) chosen.push_back(a);
        }
        std::vector<int64_t> starts, ends, steps;
        for (size_t i = 0; i < n; ++i) {
            starts.push_back(pick(bounds));
            ends.push_back(pick(bounds));
            steps.push_back(pick(step_values));
        }
        // Axes and steps are optional inputs: sometimes omit them (defaults 0..n-1 and 1).
        const bool omit_axes = trial % 5 == 0, omit_steps = trial % 7 == 0;
        if (omit_axes)
            for (size_t i = 0; i < n; ++i) chosen[i] = static_cast<int64_t>(i);
        if (omit_steps) steps.assign(n, 1);
        std::vector<NodeInput> extra{constant(ints(starts)), constant(ints(ends))};
        if (!omit_axes)
            extra.push_back(constant(ints(chosen)));
        else if (!omit_steps)
            extra.push_back(omitted());
        if (!omit_steps) extra.push_back(constant(ints(steps)));
        for (const Tensor* x : {&xf, &xi}) {
            SCOPED_TRACE("starts " + shape_str(starts, ",") + " ends " + shape_str(ends, ",") + " axes " +
                         shape_str(chosen, ",") + " steps " + shape_str(steps, ","));
            std::vector<NodeInput> inputs{runtime(*x)};
            inputs.insert(inputs.end(), extra.begin(), extra.end());
            EXPECT_TRUE(tensors_equal(run_node(node_spec("Slice", inputs)).at(0),
                                      naive_slice(*x, starts, ends, chosen, steps)));
        }
    }
}

TEST(Slice, HandPickedCases) {
    const Tensor x = iota_tensor(DType::Int64, {10});
    auto slice1 = [&](int64_t s, int64_t e, int64_t step) {
        return run_node(node_spec("Slice", {runtime(x), constant(ints({s})), constant(ints({e})), constant(ints({0})),
                                            constant(ints({step}))}))
            .at(0)
            .to_vector<int64_t>();
    };
    EXPECT_EQ(slice1(2, 5, 1), (std::vector<int64_t>{3, 4, 5}));
    EXPECT_EQ(slice1(-1, -100, -3), (std::vector<int64_t>{10, 7, 4, 1}));  // reverse with a stride
    EXPECT_EQ(slice1(0, std::numeric_limits<int64_t>::max(), 4), (std::vector<int64_t>{1, 5, 9}));
    EXPECT_EQ(slice1(5, 2, 1), (std::vector<int64_t>{}));
    EXPECT_EQ(slice1(100, -100, -1).size(), 10u);
    // Negative step from before the start: ONNX clamps the start to 0 and takes element 0 (numpy: nothing).
    EXPECT_EQ(slice1(-100, -100, -1), (std::vector<int64_t>{1}));
}

TEST(Slice, Opset1AttributesForm) {
    const Tensor x = iota_tensor(DType::Float32, {4, 5});
    const Tensor y = run_node(node_spec("Slice", {runtime(x)},
                                        {{"starts", Attribute::Ints{1, 1}},
                                         {"ends", Attribute::Ints{3, 1000}},
                                         {"axes", Attribute::Ints{0, 1}}}))
                         .at(0);
    EXPECT_TRUE(tensors_equal(y, naive_slice(x, {1, 1}, {3, 1000}, {0, 1}, {1, 1})));
}

TEST(Slice, ReportsBadParameters) {
    const Tensor x = random_tensor({4, 5}, 1);
    EXPECT_THAT(infer_error(node_spec("Slice", {runtime(x), constant(ints({0})), constant(ints({2})),
                                                constant(ints({1})), constant(ints({0}))})),
                HasSubstr("node 'under_test' (Slice): steps[0] is 0; steps must be non-zero"));
    EXPECT_THAT(infer_error(node_spec("Slice", {runtime(x), runtime(ints({0})), constant(ints({2}))})),
                HasSubstr("input 1 (starts, 'in1') must be a constant"));
    EXPECT_THAT(infer_error(node_spec("Slice", {runtime(x), constant(ints({0, 1})), constant(ints({2}))})),
                HasSubstr("must have equal lengths"));
    EXPECT_THAT(
        infer_error(node_spec("Slice", {runtime(x), constant(ints({0})), constant(ints({2})), constant(ints({2}))})),
        HasSubstr("axes 2 is out of range for rank 2"));
}

}  // namespace
