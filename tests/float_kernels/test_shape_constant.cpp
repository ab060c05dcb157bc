// Shape (with opset 15 start/end), ConstantOfShape and Constant.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "elementwise_reference.hpp"
#include "kernel_harness.hpp"

using namespace espq;
using namespace espq::test;
using ::testing::HasSubstr;

namespace {

TEST(Shape, StartAndEndSelectDimensions) {
    const Tensor x = random_tensor({2, 3, 4, 5}, 1);
    auto shape_of = [&](Attributes attrs) {
        auto s = infer_node(node_spec("Shape", {runtime(x)}, attrs));
        EXPECT_EQ(s.output(0).dtype, DType::Int64);
        const Tensor y = s.run().at(0);
        EXPECT_EQ(y.shape(), s.output(0).shape);
        return y.to_vector<int64_t>();
    };
    EXPECT_EQ(shape_of({}), (std::vector<int64_t>{2, 3, 4, 5}));
    EXPECT_EQ(shape_of({{"start", 1}}), (std::vector<int64_t>{3, 4, 5}));
    EXPECT_EQ(shape_of({{"end", -1}}), (std::vector<int64_t>{2, 3, 4}));
    EXPECT_EQ(shape_of({{"start", -2}, {"end", 10}}), (std::vector<int64_t>{4, 5}));
    EXPECT_EQ(shape_of({{"start", -10}, {"end", 1}}), (std::vector<int64_t>{2}));
    EXPECT_EQ(shape_of({{"start", 3}, {"end", 1}}), (std::vector<int64_t>{}));
    // Of a scalar and of an int64 tensor.
    EXPECT_EQ(run_node(node_spec("Shape", {runtime(Tensor::scalar<float>(1.f))})).at(0).shape(), (Shape{0}));
    EXPECT_EQ(run_node(node_spec("Shape", {runtime(ints({4, 5, 6}))})).at(0).to_vector<int64_t>(),
              std::vector<int64_t>{3});
    EXPECT_THAT(infer_error(node_spec("Shape", {runtime(x), runtime(x)})),
                HasSubstr("node 'under_test' (Shape): has 2 input(s); ONNX defines 1"));
}

TEST(ConstantOfShape, FillsWithTheValueTensorsTypeAndValue) {
    const Tensor zeros = run_node(node_spec("ConstantOfShape", {constant(ints({2, 3}))})).at(0);
    EXPECT_TRUE(tensors_equal(zeros, Tensor(DType::Float32, {2, 3})));
    const Tensor sevens =
        run_node(node_spec("ConstantOfShape", {constant(ints({4}))}, {{"value", Tensor::from<int64_t>({1}, {7})}}))
            .at(0);
    EXPECT_TRUE(tensors_equal(sevens, ints({7, 7, 7, 7})));
    const Tensor halves =
        run_node(node_spec("ConstantOfShape", {constant(ints({1, 2}))}, {{"value", Tensor::from<float>({1}, {1.5f})}}))
            .at(0);
    EXPECT_TRUE(tensors_equal(halves, Tensor::from<float>({1, 2}, {1.5f, 1.5f})));
    // An empty shape gives a scalar; a zero dimension an empty tensor.
    EXPECT_EQ(run_node(node_spec("ConstantOfShape", {constant(ints({}))})).at(0).shape(), Shape{});
    EXPECT_EQ(run_node(node_spec("ConstantOfShape", {constant(ints({3, 0}))})).at(0).numel(), 0);
}

TEST(ConstantOfShape, ReportsBadShapesAndValues) {
    EXPECT_THAT(infer_error(node_spec("ConstantOfShape", {constant(ints({2, -1}))})),
                HasSubstr("node 'under_test' (ConstantOfShape): shape [2,-1] has a negative dimension"));
    EXPECT_THAT(infer_error(node_spec("ConstantOfShape", {runtime(ints({2}))})),
                HasSubstr("input 0 (shape, 'in0') must be a constant"));
    EXPECT_THAT(infer_error(node_spec("ConstantOfShape", {constant(ints({2}))}, {{"value", floats({1.f, 2.f})}})),
                HasSubstr("attribute 'value' must hold exactly one element"));
}

TEST(Constant, EmitsEachAttributeForm) {
    const Tensor t = Tensor::from<float>({2, 2}, {1.f, 2.f, 3.f, 4.f});
    EXPECT_TRUE(tensors_equal(run_node(node_spec("Constant", {}, {{"value", t}})).at(0), t));
    EXPECT_TRUE(
        tensors_equal(run_node(node_spec("Constant", {}, {{"value_float", 2.5f}})).at(0), Tensor::scalar<float>(2.5f)));
    EXPECT_TRUE(
        tensors_equal(run_node(node_spec("Constant", {}, {{"value_floats", Attribute::Floats{1.f, -1.f}}})).at(0),
                      floats({1.f, -1.f})));
    EXPECT_TRUE(tensors_equal(run_node(node_spec("Constant", {}, {{"value_int", int64_t{-3}}})).at(0),
                              Tensor::scalar<int64_t>(-3)));
    EXPECT_TRUE(tensors_equal(run_node(node_spec("Constant", {}, {{"value_ints", Attribute::Ints{4, 5, 6}}})).at(0),
                              ints({4, 5, 6})));
    auto s = infer_node(node_spec("Constant", {}, {{"value", t}}));
    EXPECT_EQ(s.output(0).shape, (Shape{2, 2}));
    EXPECT_EQ(s.output(0).dtype, DType::Float32);
}

TEST(Constant, ReportsMissingOrUnsupportedValue) {
    EXPECT_THAT(infer_error(node_spec("Constant", {})),
                HasSubstr("node 'under_test' (Constant): needs exactly one of value, value_float, value_floats, "
                          "value_int, value_ints (got 0)"));
    EXPECT_THAT(infer_error(node_spec("Constant", {}, {{"value_float", 1.f}, {"value_int", int64_t{1}}})),
                HasSubstr("(got 2)"));
    EXPECT_THAT(infer_error(node_spec("Constant", {}, {{"value_string", "hi"}})),
                HasSubstr("attribute 'value_string' is not supported"));
}

}  // namespace
