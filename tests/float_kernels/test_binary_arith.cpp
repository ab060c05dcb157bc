// Add / Sub / Mul / Div / Pow against a naive broadcasting loop over a matrix of shape pairs and dtypes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "elementwise_reference.hpp"
#include "kernel_harness.hpp"

using namespace espq;
using namespace espq::test;
using ::testing::HasSubstr;

namespace {

// Broadcast patterns: equal shapes, per-channel (SE gate / bias), scalars, both-way broadcasting, rank
// differences, a size-0 dimension, and the operands swapped.
const std::vector<std::pair<Shape, Shape>> kShapePairs = {
    {{2, 3, 4, 5}, {2, 3, 4, 5}},
    {{2, 3, 4, 5}, {1, 3, 1, 1}},
    {{1, 3, 1, 1}, {2, 3, 4, 5}},
    {{2, 3, 4}, {}},
    {{}, {2, 3, 4}},
    {{7}, {1}},
    {{2, 1, 4}, {3, 1}},
    {{4, 1}, {1, 5}},
    {{5}, {2, 3, 4, 5}},
    {{2, 3, 4, 5}, {1, 1, 4, 1}},
    {{2, 3, 4, 5}, {3, 1, 5}},
    {{0, 3}, {1, 3}},
    {{}, {}},
    {{1, 16, 6, 6}, {1, 16, 1, 1}},
};

template <typename T, typename Op>
Tensor naive_binary(const Tensor& a, const Tensor& b, Op op) {
    const Shape out_shape = numpy_broadcast(a.shape(), b.shape());
    Tensor out(dtype_of<T>(), out_shape);
    T* y = out.data<T>();
    for (int64_t i = 0; i < out.numel(); ++i) {
        const auto idx = unravel(i, out_shape);
        y[i] = op(a.data<T>()[broadcast_source(idx, a.shape())], b.data<T>()[broadcast_source(idx, b.shape())]);
    }
    return out;
}

Tensor run_binary(const std::string& op, const Tensor& a, const Tensor& b) {
    return run_node(node_spec(op, {runtime(a), runtime(b)})).at(0);
}

TEST(BinaryArith, FloatOpsMatchNaiveBroadcastingOnEveryShapePair) {
    uint32_t seed = 1;
    for (const auto& [sa, sb] : kShapePairs) {
        const Tensor a = random_tensor(sa, seed++), b = random_tensor(sb, seed++, 0.5f, 2.f);
        SCOPED_TRACE(shape_str(sa) + " op " + shape_str(sb));
        EXPECT_TRUE(tensors_equal(run_binary("Add", a, b), naive_binary<float>(a, b, std::plus<float>())));
        EXPECT_TRUE(tensors_equal(run_binary("Sub", a, b), naive_binary<float>(a, b, std::minus<float>())));
        EXPECT_TRUE(tensors_equal(run_binary("Mul", a, b), naive_binary<float>(a, b, std::multiplies<float>())));
        EXPECT_TRUE(tensors_equal(run_binary("Div", a, b), naive_binary<float>(a, b, std::divides<float>())));
        // With a constant second operand (initializer), as in a Mul by a folded scale.
        EXPECT_TRUE(tensors_equal(run_node(node_spec("Mul", {runtime(a), constant(b)})).at(0),
                                  naive_binary<float>(a, b, std::multiplies<float>())));
    }
}

TEST(BinaryArith, IntegerOpsMatchNaiveAndTruncateDivisionTowardZero) {
    uint32_t seed = 100;
    for (DType dtype : {DType::Int64, DType::Int32}) {
        for (const auto& [sa, sb] : kShapePairs) {
            const Tensor a = random_ints(sa, seed++).cast(dtype);
            Tensor b64 = random_ints(sb, seed++, 1, 9);
            // Mix signs in the divisor without zeros.
            for (int64_t i = 0; i < b64.numel(); i += 2) b64.data<int64_t>()[i] *= -1;
            const Tensor b = b64.cast(dtype);
            SCOPED_TRACE(std::string(dtype_name(dtype)) + " " + shape_str(sa) + " op " + shape_str(sb));
            auto check = [&](auto tag) {
                using T = decltype(tag);
                EXPECT_TRUE(tensors_equal(run_binary("Add", a, b), naive_binary<T>(a, b, std::plus<T>())));
                EXPECT_TRUE(tensors_equal(run_binary("Sub", a, b), naive_binary<T>(a, b, std::minus<T>())));
                EXPECT_TRUE(tensors_equal(run_binary("Mul", a, b), naive_binary<T>(a, b, std::multiplies<T>())));
                EXPECT_TRUE(tensors_equal(run_binary("Div", a, b), naive_binary<T>(a, b, [](T x, T y) {
                                              return static_cast<T>(std::trunc(double(x) / double(y)));
                                          })));
            };
            if (dtype == DType::Int64)
                check(int64_t{});
            else
                check(int32_t{});
        }
    }
    // Hand-computed: truncation toward zero, and the shape arithmetic of a Reshape target.
    const Tensor q = run_binary("Div", ints({-7, 7, -7, 7}), ints({2, 2, -2, -2}));
    EXPECT_EQ(q.to_vector<int64_t>(), (std::vector<int64_t>{-3, 3, 3, -3}));
    EXPECT_EQ(run_binary("Mul", ints({1, 3, 32}), Tensor::scalar<int64_t>(2)).to_vector<int64_t>(),
              (std::vector<int64_t>{2, 6, 64}));
}

TEST(BinaryArith, IntegerEdgeCasesAreDefined) {
    const int64_t lo = std::numeric_limits<int64_t>::min(), hi = std::numeric_limits<int64_t>::max();
    EXPECT_EQ(run_binary("Div", ints({lo}), ints({-1})).to_vector<int64_t>(), std::vector<int64_t>{lo});
    EXPECT_EQ(run_binary("Add", ints({hi}), ints({1})).to_vector<int64_t>(), std::vector<int64_t>{lo});
    try {
        run_binary("Div", ints({5, 6}), ints({1, 0}));
        FAIL() << "integer division by zero must throw";
    } catch (const UserError& e) {
        EXPECT_THAT(e.what(), HasSubstr("node 'under_test' (Div): integer division by zero"));
    }
}

TEST(BinaryArith, PowMixesBaseAndExponentTypes) {
    const Tensor base = random_tensor({2, 3, 4}, 7, 0.1f, 3.f);
    const Tensor e = random_tensor({3, 1}, 8, -2.f, 2.f);
    EXPECT_TRUE(tensors_equal(run_binary("Pow", base, e),
                              naive_binary<float>(base, e, [](float x, float y) { return std::pow(x, y); })));
    // Float base, integer exponent (a common export of x**2): output keeps the base's type.
    const Tensor sq = run_binary("Pow", base, Tensor::scalar<int64_t>(2));
    EXPECT_EQ(sq.dtype(), DType::Float32);
    for (int64_t i = 0; i < sq.numel(); ++i)
        EXPECT_FLOAT_EQ(sq.data<float>()[i], base.data<float>()[i] * base.data<float>()[i]);
    // Integer base and exponent: exact, also beyond double's 53-bit mantissa.
    EXPECT_EQ(run_binary("Pow", ints({3, 2, -2, 5, 1, -1}), ints({5, 62, 3, 0, -4, -3})).to_vector<int64_t>(),
              (std::vector<int64_t>{243, int64_t{1} << 62, -8, 1, 1, -1}));
    EXPECT_EQ(run_binary("Pow", ints({2}), ints({-1})).to_vector<int64_t>(), std::vector<int64_t>{0});
    // Integer base, float exponent: float power then truncation.
    EXPECT_EQ(run_binary("Pow", ints({10, 17}), floats({0.5f, 0.5f})).to_vector<int64_t>(),
              (std::vector<int64_t>{3, 4}));
}

TEST(BinaryArith, InfersBroadcastShapeAndDtype) {
    for (const auto& [sa, sb] : kShapePairs) {
        auto s = infer_node(node_spec("Add", {runtime(random_tensor(sa, 1)), runtime(random_tensor(sb, 2))}));
        EXPECT_EQ(s.output(0).shape, numpy_broadcast(sa, sb));
        EXPECT_EQ(s.output(0).dtype, DType::Float32);
    }
    auto s = infer_node(node_spec("Sub", {runtime(ints({1, 2})), constant(Tensor::scalar<int64_t>(1))}));
    EXPECT_EQ(s.output(0).dtype, DType::Int64);
    EXPECT_EQ(s.output(0).shape, (Shape{2}));
}

TEST(BinaryArith, ReportsShapeAndTypeErrors) {
    EXPECT_THAT(infer_error(node_spec("Add", {runtime(random_tensor({2, 3}, 1)), runtime(random_tensor({4}, 2))})),
                HasSubstr("node 'under_test' (Add): inputs of shapes 2x3 and 4 cannot be broadcast"));
    EXPECT_THAT(infer_error(node_spec("Mul", {runtime(random_tensor({2}, 1)), runtime(ints({1, 2}))})),
                HasSubstr("inputs are FLOAT and INT64; ONNX Mul needs both of one type"));
    EXPECT_THAT(infer_error(node_spec("Div", {runtime(random_tensor({2}, 1))})),
                HasSubstr("has 1 input(s); ONNX defines 2"));
    EXPECT_THAT(infer_error(node_spec("Add", {runtime(Tensor(DType::UInt8, {2})), runtime(Tensor(DType::UInt8, {2}))})),
                HasSubstr("is UINT8; this kernel supports FLOAT, DOUBLE, INT32, INT64"));
}

}  // namespace
