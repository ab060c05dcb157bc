// Softmax / LogSoftmax against a naive double-precision loop, with opset 13 (one axis) and opset < 13
// (coerce to 2-D) semantics.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "elementwise_reference.hpp"
#include "kernel_harness.hpp"

using namespace espq;
using namespace espq::test;
using ::testing::HasSubstr;

namespace {

// Normalises over the positions that share every index outside [first_axis, last_axis].
Tensor naive_softmax(const Tensor& x, int first_axis, int last_axis, bool log) {
    const Shape& shape = x.shape();
    Tensor y(DType::Float32, shape);
    for (int64_t i = 0; i < x.numel(); ++i) {
        const auto idx = unravel(i, shape);
        double mx = -INFINITY, sum = 0;
        for (int pass = 0; pass < 2; ++pass)
            for (int64_t j = 0; j < x.numel(); ++j) {
                const auto jdx = unravel(j, shape);
                bool same_group = true;
                for (int k = 0; k < static_cast<int>(shape.size()); ++k)
                    if ((k < first_axis || k > last_axis) && jdx[k] != idx[k]) same_group = false;
                if (!same_group) continue;
                const double v = x.data<float>()[j];
                if (pass == 0)
                    mx = std::max(mx, v);
                else
                    sum += std::exp(v - mx);
            }
        const double v = x.data<float>()[i] - mx;
        y.data<float>()[i] = static_cast<float>(log ? v - std::log(sum) : std::exp(v) / sum);
    }
    return y;
}

TEST(Softmax, Opset13NormalisesAlongOneAxis) {
    uint32_t seed = 1;
    for (const Shape& shape : {Shape{7}, Shape{2, 3, 4}, Shape{1, 5, 2, 3}}) {
        const int rank = static_cast<int>(shape.size());
        for (int axis = -rank; axis < rank; ++axis) {
            const Tensor x = random_tensor(shape, seed++, -5.f, 5.f);
            const int a = axis < 0 ? axis + rank : axis;
            SCOPED_TRACE(shape_str(shape) + " axis " + std::to_string(axis));
            EXPECT_TRUE(tensors_close(run_node(node_spec("Softmax", {runtime(x)}, {{"axis", axis}})).at(0),
                                      naive_softmax(x, a, a, false)));
            EXPECT_TRUE(tensors_close(run_node(node_spec("LogSoftmax", {runtime(x)}, {{"axis", axis}})).at(0),
                                      naive_softmax(x, a, a, true)));
        }
        // Default axis is -1.
        const Tensor x = random_tensor(shape, seed++);
        EXPECT_TRUE(tensors_close(run_node(node_spec("Softmax", {runtime(x)})).at(0),
                                  naive_softmax(x, rank - 1, rank - 1, false)));
    }
}

TEST(Softmax, BeforeOpset13CoercesTo2d) {
    const Shape shape{2, 3, 4};
    const Tensor x = random_tensor(shape, 5, -5.f, 5.f);
    for (int axis : {0, 1, 2, -1}) {
        const int a = axis < 0 ? axis + 3 : axis;
        for (bool log : {false, true}) {
            auto s = infer_node_at_opset(node_spec(log ? "LogSoftmax" : "Softmax", {runtime(x)}, {{"axis", axis}}), 11);
            EXPECT_TRUE(tensors_close(s.run().at(0), naive_softmax(x, a, 2, log))) << "axis " << axis;
        }
    }
    // Default axis 1: normalise over the trailing 3x4 block.
    auto s = infer_node_at_opset(node_spec("Softmax", {runtime(x)}), 12);
    EXPECT_TRUE(tensors_close(s.run().at(0), naive_softmax(x, 1, 2, false)));
}

TEST(Softmax, LargeLogitsStayFinite) {
    const Tensor y = run_node(node_spec("Softmax", {runtime(floats({1000.f, 1000.f, -1000.f}))})).at(0);
    EXPECT_TRUE(tensors_close(y, floats({0.5f, 0.5f, 0.f})));
}

TEST(Softmax, ReportsBadAxis) {
    EXPECT_THAT(infer_error(node_spec("Softmax", {runtime(random_tensor({2, 3}, 1))}, {{"axis", 2}})),
                HasSubstr("node 'under_test' (Softmax): axis 2 is out of range for rank 2"));
}

}  // namespace
