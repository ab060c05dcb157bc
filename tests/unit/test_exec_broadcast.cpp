// exec::broadcast_shape and exec::BroadcastPlan (shared by the float executor and the emulator) against a
// naive multi-index loop that right-aligns the operands and reads each through its own index.
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <random>
#include <vector>

#include "exec/broadcast.hpp"

using namespace espq;

namespace {

// Index of the element an operand of shape `s` contributes to output multi-index `idx` (numpy rules).
int64_t operand_index(const Shape& s, const std::vector<int64_t>& idx) {
    const size_t lead = idx.size() - s.size();
    int64_t flat = 0;
    for (size_t k = 0; k < s.size(); ++k) flat = flat * s[k] + (s[k] == 1 ? 0 : idx[lead + k]);
    return flat;
}

// out[i] = 1000 * a[ia] + b[ib] by stepping an output multi-index (order-sensitive, so a swapped operand
// or a wrong offset shows).
std::vector<int64_t> naive_combine(const Shape& a, const Shape& b, const Shape& out, const std::vector<int64_t>& va,
                                   const std::vector<int64_t>& vb) {
    std::vector<int64_t> result;
    std::vector<int64_t> idx(out.size(), 0);
    for (int64_t n = shape_numel(out), i = 0; i < n; ++i) {
        result.push_back(1000 * va[operand_index(a, idx)] + vb[operand_index(b, idx)]);
        for (size_t d = out.size(); d-- > 0;) {
            if (++idx[d] < out[d]) break;
            idx[d] = 0;
        }
    }
    return result;
}

std::vector<int64_t> iota_values(const Shape& s, int64_t first) {
    std::vector<int64_t> v(static_cast<size_t>(shape_numel(s)));
    for (size_t i = 0; i < v.size(); ++i) v[i] = first + static_cast<int64_t>(i);
    return v;
}

// Random operand shapes that broadcast together: each output dimension is kept, dropped to 1 or (leading
// dimensions) left out per operand.
std::pair<Shape, Shape> random_pair(std::mt19937& rng) {
    std::uniform_int_distribution<int> rank_dist(0, 5), dim_dist(0, 4), coin(0, 2);
    Shape out(static_cast<size_t>(rank_dist(rng)));
    for (int64_t& d : out) d = dim_dist(rng) == 0 ? 1 : dim_dist(rng) + 1;
    auto operand = [&]() {
        Shape s = out;
        for (int64_t& d : s)
            if (coin(rng) == 0) d = 1;
        const size_t drop =
            s.empty() ? 0 : static_cast<size_t>(std::uniform_int_distribution<int>(0, static_cast<int>(s.size()))(rng));
        return Shape(s.begin() + static_cast<std::ptrdiff_t>(drop), s.end());
    };
    return {operand(), operand()};
}

}  // namespace

TEST(ExecBroadcastShape, MatchesNumpyRulesAndRejectsMismatches) {
    EXPECT_EQ(exec::broadcast_shape({2, 1, 4}, {3, 1}), (Shape{2, 3, 4}));
    EXPECT_EQ(exec::broadcast_shape({}, {5, 6}), (Shape{5, 6}));
    EXPECT_EQ(exec::broadcast_shape({1, 16, 1, 1}, {2, 16, 12, 12}), (Shape{2, 16, 12, 12}));
    EXPECT_EQ(exec::broadcast_shape({0, 3}, {1, 3}), (Shape{0, 3}));
    EXPECT_EQ(exec::broadcast_shape({2, 3}, {3, 3}), std::nullopt);
    EXPECT_EQ(exec::broadcast_shape({4}, {1, 5}), std::nullopt);
}

TEST(ExecBroadcastPlan, ApplyMatchesNaiveLoopOnRandomShapes) {
    std::mt19937 rng(7);
    for (int trial = 0; trial < 400; ++trial) {
        const auto [a, b] = random_pair(rng);
        const std::optional<Shape> out = exec::broadcast_shape(a, b);
        ASSERT_TRUE(out) << shape_str(a) << " " << shape_str(b);
        const std::vector<int64_t> va = iota_values(a, 1), vb = iota_values(b, 500);
        std::vector<int64_t> got(static_cast<size_t>(shape_numel(*out)), -1);
        exec::BroadcastPlan(a, b, *out).apply(va.data(), vb.data(), got.data(), [](int64_t x, int64_t y) {
            return 1000 * x + y;
        });
        EXPECT_EQ(got, naive_combine(a, b, *out, va, vb)) << shape_str(a) << " with " << shape_str(b);
    }
}

TEST(ExecBroadcastPlan, OutputMayAliasTheFullSizeOperand) {
    const Shape a{2, 3, 4}, b{3, 1};
    std::vector<int64_t> va = iota_values(a, 1);
    const std::vector<int64_t> vb = iota_values(b, 7);
    const std::vector<int64_t> expected = naive_combine(a, b, a, va, vb);
    exec::BroadcastPlan(a, b, a).apply(va.data(), vb.data(), va.data(),
                                       [](int64_t x, int64_t y) { return 1000 * x + y; });
    EXPECT_EQ(va, expected);
}

TEST(ExecBroadcastPlan, MixedOperandAndOutputTypes) {
    const std::vector<int8_t> a = {-128, 127, 5, -5};
    const std::vector<float> b = {0.5f, 2.f};
    std::vector<double> out(4);
    exec::BroadcastPlan({2, 2}, {2}, {2, 2}).apply(a.data(), b.data(), out.data(), [](int8_t x, float y) {
        return double(x) * y;
    });
    EXPECT_EQ(out, (std::vector<double>{-64.0, 254.0, 2.5, -10.0}));
}

TEST(ExecBroadcastPlan, EmptyOutputRunsNothing) {
    const std::vector<int64_t> b = {1, 2, 3};
    int calls = 0;
    exec::BroadcastPlan({0, 3}, {3}, {0, 3})
        .apply(static_cast<const int64_t*>(nullptr), b.data(), static_cast<int64_t*>(nullptr), [&](int64_t, int64_t) {
            ++calls;
            return int64_t(0);
        });
    EXPECT_EQ(calls, 0);
}

// The common patterns must reduce to long innermost loops (the speed of residual Adds and SE gates).
TEST(ExecBroadcastPlan, CommonBroadcastsBecomeLongInnerLoops) {
    using exec::BroadcastPlan;
    const BroadcastPlan same({1, 16, 12, 12}, {1, 16, 12, 12}, {1, 16, 12, 12});
    EXPECT_EQ(same.inner_length(), 16 * 12 * 12);
    EXPECT_EQ(same.outer_depth(), 0u);
    const BroadcastPlan channel({2, 16, 12, 12}, {1, 16, 1, 1}, {2, 16, 12, 12});
    EXPECT_EQ(channel.inner_length(), 12 * 12);
    EXPECT_EQ(channel.outer_depth(), 2u);  // N, C
    const BroadcastPlan scalar({}, {2, 16, 12, 12}, {2, 16, 12, 12});
    EXPECT_EQ(scalar.inner_length(), 2 * 16 * 12 * 12);
    EXPECT_EQ(scalar.outer_depth(), 0u);
}
