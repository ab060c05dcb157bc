// Variadic Max / Min against a naive loop that broadcasts every input to the output shape.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "elementwise_reference.hpp"
#include "kernel_harness.hpp"

using namespace espq;
using namespace espq::test;
using ::testing::HasSubstr;

namespace {

template <typename T>
Tensor naive_extreme(const std::vector<Tensor>& inputs, bool is_max) {
    Shape out_shape;
    for (const auto& t : inputs) out_shape = numpy_broadcast(out_shape, t.shape());
    Tensor out(dtype_of<T>(), out_shape);
    for (int64_t i = 0; i < out.numel(); ++i) {
        const auto idx = unravel(i, out_shape);
        T best = inputs[0].data<T>()[broadcast_source(idx, inputs[0].shape())];
        for (size_t k = 1; k < inputs.size(); ++k) {
            const T v = inputs[k].data<T>()[broadcast_source(idx, inputs[k].shape())];
            best = is_max ? std::max(best, v) : std::min(best, v);
        }
        out.data<T>()[i] = best;
    }
    return out;
}

Tensor run_variadic(const std::string& op, const std::vector<Tensor>& inputs) {
    NodeSpec spec = node_spec(op, {});
    for (const auto& t : inputs) spec.inputs.push_back(runtime(t));
    return run_node(spec).at(0);
}

TEST(MinMax, MatchNaiveForOneToFourBroadcastInputs) {
    const std::vector<std::vector<Shape>> cases = {
        {{2, 3, 4}},
        {{2, 3, 4}, {2, 3, 4}},
        {{1, 3, 1, 1}, {2, 3, 4, 5}},
        {{2, 3, 4, 5}, {}, {3, 1, 1}},
        {{4, 1}, {1, 5}, {5}, {3, 1, 1}},
    };
    uint32_t seed = 1;
    for (const auto& shapes : cases) {
        std::vector<Tensor> f, i;
        for (const auto& s : shapes) {
            f.push_back(random_tensor(s, seed++));
            i.push_back(random_ints(s, seed++));
        }
        SCOPED_TRACE(std::to_string(shapes.size()) + " inputs, first " + shape_str(shapes[0]));
        EXPECT_TRUE(tensors_equal(run_variadic("Max", f), naive_extreme<float>(f, true)));
        EXPECT_TRUE(tensors_equal(run_variadic("Min", f), naive_extreme<float>(f, false)));
        EXPECT_TRUE(tensors_equal(run_variadic("Max", i), naive_extreme<int64_t>(i, true)));
        EXPECT_TRUE(tensors_equal(run_variadic("Min", i), naive_extreme<int64_t>(i, false)));
    }
}

TEST(MinMax, NanPropagatesLikeNumpy) {
    const float nan = std::nanf("");
    const Tensor y = run_variadic("Max", {floats({nan, 1.f, 2.f}), floats({0.f, nan, 1.f})});
    EXPECT_TRUE(std::isnan(y.data<float>()[0]));
    EXPECT_TRUE(std::isnan(y.data<float>()[1]));
    EXPECT_EQ(y.data<float>()[2], 2.f);
}

TEST(MinMax, InfersShapeAndRejectsMixedTypes) {
    auto s = infer_node(node_spec("Min", {runtime(random_tensor({3, 1}, 1)), runtime(random_tensor({1, 4}, 2))}));
    EXPECT_EQ(s.output(0).shape, (Shape{3, 4}));
    EXPECT_THAT(infer_error(node_spec("Max", {runtime(random_tensor({2}, 1)), runtime(ints({1, 2}))})),
                HasSubstr("node 'under_test' (Max): input 1 is INT64 but input 0 is FLOAT"));
    EXPECT_THAT(infer_error(node_spec("Max", {})), HasSubstr("has 0 input(s); ONNX defines at least 1"));
}

}  // namespace
