// Cast between every pair of supported dtypes against per-element C++ conversions, plus the saturating
// float-to-integer cases C leaves undefined.
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

const DType kTypes[] = {DType::Float32, DType::Float64, DType::Int8,  DType::UInt8,  DType::Int16, DType::UInt16,
                        DType::Int32,   DType::UInt32,  DType::Int64, DType::UInt64, DType::Bool};

Tensor cast_node(const Tensor& x, DType to) {
    return run_node(node_spec("Cast", {runtime(x)}, {{"to", static_cast<int64_t>(to)}})).at(0);
}

TEST(Cast, EveryPairOfTypesMatchesElementConversion) {
    // Values representable in every type (0..100), so the reference conversion is exact in each.
    const Tensor base = random_ints({3, 4}, 1, 0, 100);
    for (DType from : kTypes)
        for (DType to : kTypes) {
            SCOPED_TRACE(std::string(dtype_name(from)) + " -> " + dtype_name(to));
            const Tensor x = base.cast(from);
            const Tensor y = cast_node(x, to);
            EXPECT_TRUE(tensors_equal(y, x.cast(to)));
        }
}

TEST(Cast, FloatToIntTruncatesAndSaturates) {
    const float nan = std::nanf(""), inf = std::numeric_limits<float>::infinity();
    const Tensor x = floats({2.7f, -2.7f, 1e10f, -1e10f, nan, inf, -inf, 300.f, -1.f});
    EXPECT_EQ(cast_node(x, DType::Int32).to_vector<int32_t>(),
              (std::vector<int32_t>{2, -2, INT32_MAX, INT32_MIN, 0, INT32_MAX, INT32_MIN, 300, -1}));
    EXPECT_EQ(cast_node(x, DType::UInt8).to_vector<uint8_t>(), (std::vector<uint8_t>{2, 0, 255, 0, 0, 255, 0, 255, 0}));
    EXPECT_EQ(cast_node(x, DType::Int64).to_vector<int64_t>()[2], 10000000000);
    // To bool: non-zero is true.
    EXPECT_EQ(cast_node(floats({0.f, -0.5f, 2.f}), DType::Bool).to_vector<bool>(),
              (std::vector<bool>{false, true, true}));
}

TEST(Cast, InfersTargetTypeAndRejectsUnsupported) {
    auto s = infer_node(node_spec("Cast", {runtime(random_tensor({2, 5}, 1))}, {{"to", int64_t{7}}}));
    EXPECT_EQ(s.output(0).dtype, DType::Int64);
    EXPECT_EQ(s.output(0).shape, (Shape{2, 5}));
    EXPECT_THAT(infer_error(node_spec("Cast", {runtime(random_tensor({2}, 1))}, {{"to", int64_t{10}}})),
                HasSubstr("node 'under_test' (Cast): casting to FLOAT16 (ONNX type 10) is not supported"));
    EXPECT_THAT(infer_error(node_spec("Cast", {runtime(random_tensor({2}, 1))})),
                HasSubstr("attribute 'to' (the target dtype) is required"));
}

}  // namespace
