// The ops that only relabel a tensor's shape (Reshape, Flatten, Squeeze, Unsqueeze, Identity, Dropout):
// output shapes against hand-derived expectations, and the data bytes unchanged for several dtypes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "elementwise_reference.hpp"
#include "kernel_harness.hpp"

using namespace espq;
using namespace espq::test;
using ::testing::HasSubstr;

namespace {

// Runs the node on float, int64 and uint8 tensors of `in_shape` and checks the output shape and that the
// data is the input's, in order.
void expect_relabel(const std::string& op, const Shape& in_shape, const std::vector<NodeInput>& extra,
                    const Attributes& attrs, const Shape& expected) {
    for (DType dtype : {DType::Float32, DType::Int64, DType::UInt8}) {
        SCOPED_TRACE(op + " " + shape_str(in_shape) + " -> " + shape_str(expected) + " " + dtype_name(dtype));
        const Tensor x = iota_tensor(dtype, in_shape);
        std::vector<NodeInput> inputs{runtime(x)};
        inputs.insert(inputs.end(), extra.begin(), extra.end());
        const Tensor y = run_node(node_spec(op, inputs, attrs)).at(0);
        Tensor expect = x;
        expect.reshape(expected);
        EXPECT_TRUE(tensors_equal(y, expect));
    }
}

TEST(Reshape, ZeroCopiesAndMinusOneInfers) {
    expect_relabel("Reshape", {2, 3, 4}, {constant(ints({4, 6}))}, {}, {4, 6});
    expect_relabel("Reshape", {2, 3, 4}, {constant(ints({0, -1}))}, {}, {2, 12});
    expect_relabel("Reshape", {2, 3, 4}, {constant(ints({-1}))}, {}, {24});
    expect_relabel("Reshape", {2, 3, 4}, {constant(ints({0, 0, 2, 2}))}, {}, {2, 3, 2, 2});
    expect_relabel("Reshape", {1, 1280, 1, 1}, {constant(ints({1, -1}))}, {}, {1, 1280});
    expect_relabel("Reshape", {6}, {constant(ints({2, -1, 3}))}, {}, {2, 1, 3});
    expect_relabel("Reshape", {1}, {constant(ints({}))}, {}, {});
    // allowzero=1: 0 is a real zero-sized dimension.
    expect_relabel("Reshape", {0, 3}, {constant(ints({3, 0}))}, {{"allowzero", 1}}, {3, 0});
}

TEST(Reshape, ReportsImpossibleShapes) {
    const Tensor x = random_tensor({2, 3, 4}, 1);
    EXPECT_THAT(infer_error(node_spec("Reshape", {runtime(x), constant(ints({5, -1}))})),
                HasSubstr("node 'under_test' (Reshape): cannot infer the -1 in shape 5,-1 for an input of 24"));
    EXPECT_THAT(infer_error(node_spec("Reshape", {runtime(x), constant(ints({-1, -1}))})),
                HasSubstr("has more than one -1"));
    EXPECT_THAT(infer_error(node_spec("Reshape", {runtime(x), constant(ints({4, 5}))})),
                HasSubstr("shape 4,5 has 20 elements but the input 2x3x4 has 24"));
    EXPECT_THAT(infer_error(node_spec("Reshape", {runtime(x), runtime(ints({4, 6}))})),
                HasSubstr("input 1 (shape, 'in1') must be a constant"));
    EXPECT_THAT(infer_error(node_spec("Reshape", {runtime(random_tensor({0, 3}, 1)), constant(ints({0, -1}))},
                                      {{"allowzero", 1}})),
                HasSubstr("has both 0 and -1, which allowzero=1 forbids"));
}

TEST(Flatten, EveryAxis) {
    const Shape s{2, 3, 4, 5};
    const std::vector<std::pair<int64_t, Shape>> cases = {{0, {1, 120}}, {1, {2, 60}},  {2, {6, 20}},  {3, {24, 5}},
                                                          {4, {120, 1}}, {-1, {24, 5}}, {-4, {1, 120}}};
    for (const auto& [axis, expected] : cases) expect_relabel("Flatten", s, {}, {{"axis", axis}}, expected);
    expect_relabel("Flatten", s, {}, {}, {2, 60});  // default axis 1
    EXPECT_THAT(infer_error(node_spec("Flatten", {runtime(random_tensor(s, 1))}, {{"axis", 5}})),
                HasSubstr("node 'under_test' (Flatten): axis 5 is out of range for rank 4 (valid: -4..4)"));
}

TEST(Squeeze, AxesFromInputOrAttributeOrAllOnes) {
    const Shape s{1, 3, 1, 5};
    expect_relabel("Squeeze", s, {}, {}, {3, 5});
    expect_relabel("Squeeze", s, {constant(ints({0}))}, {}, {3, 1, 5});
    expect_relabel("Squeeze", s, {constant(ints({-2, 0}))}, {}, {3, 5});
    expect_relabel("Squeeze", s, {}, {{"axes", Attribute::Ints{-2}}}, {1, 3, 5});  // opset < 13 form
    expect_relabel("Squeeze", {1}, {}, {}, {});
    EXPECT_THAT(infer_error(node_spec("Squeeze", {runtime(random_tensor(s, 1)), constant(ints({1}))})),
                HasSubstr("node 'under_test' (Squeeze): cannot squeeze axis 1 of size 3"));
    EXPECT_THAT(infer_error(node_spec("Squeeze", {runtime(random_tensor(s, 1)), constant(ints({0, -4}))})),
                HasSubstr("axes lists axis 0 twice"));
    EXPECT_THAT(infer_error(node_spec("Squeeze", {runtime(random_tensor(s, 1)), constant(ints({0}))},
                                      {{"axes", Attribute::Ints{0}}})),
                HasSubstr("'axes' is given both as an attribute and as input 1"));
}

TEST(Unsqueeze, AxesIndexTheOutput) {
    const Shape s{3, 5};
    expect_relabel("Unsqueeze", s, {constant(ints({0}))}, {}, {1, 3, 5});
    expect_relabel("Unsqueeze", s, {constant(ints({0, 3}))}, {}, {1, 3, 5, 1});
    expect_relabel("Unsqueeze", s, {constant(ints({3, 0}))}, {}, {1, 3, 5, 1});
    expect_relabel("Unsqueeze", s, {constant(ints({-1}))}, {}, {3, 5, 1});
    expect_relabel("Unsqueeze", s, {constant(ints({1, -2}))}, {}, {3, 1, 1, 5});
    expect_relabel("Unsqueeze", s, {}, {{"axes", Attribute::Ints{1}}}, {3, 1, 5});  // opset < 13 form
    expect_relabel("Unsqueeze", {}, {constant(ints({0}))}, {}, {1});
    EXPECT_THAT(infer_error(node_spec("Unsqueeze", {runtime(random_tensor(s, 1)), constant(ints({3}))})),
                HasSubstr("node 'under_test' (Unsqueeze): axes 3 is out of range for rank 3"));
    EXPECT_THAT(infer_error(node_spec("Unsqueeze", {runtime(random_tensor(s, 1))})),
                HasSubstr("needs a non-empty 'axes'"));
}

TEST(Identity, CopiesAnyDtype) {
    expect_relabel("Identity", {2, 3}, {}, {}, {2, 3});
    expect_relabel("Identity", {}, {}, {}, {});
    const Tensor b = bool_tensor({3}, {1, 0, 1});
    EXPECT_TRUE(tensors_equal(run_node(node_spec("Identity", {runtime(b)})).at(0), b));
}

TEST(Dropout, IsIdentityWithAllOnesMask) {
    const Tensor x = random_tensor({2, 3, 4}, 1);
    auto outs = run_node(node_spec("Dropout", {runtime(x), constant(Tensor::scalar<float>(0.3f))}, {}, 2));
    EXPECT_TRUE(tensors_equal(outs.at(0), x));
    EXPECT_TRUE(tensors_equal(outs.at(1), bool_tensor({2, 3, 4}, std::vector<int>(24, 1))));
    // training_mode = false is inference; opset 7-9 masks have the data's type.
    const auto s =
        infer_node_at_opset(node_spec("Dropout", {runtime(x), omitted(), constant(bool_tensor({}, {0}))}, {}, 2), 9);
    EXPECT_EQ(s.output(1).dtype, DType::Float32);
    EXPECT_TRUE(tensors_equal(s.run().at(1), Tensor::from<float>({2, 3, 4}, std::vector<float>(24, 1.f))));
    EXPECT_THAT(infer_error(node_spec("Dropout", {runtime(x), omitted(), constant(bool_tensor({}, {1}))})),
                HasSubstr("node 'under_test' (Dropout): training_mode is true"));
}

}  // namespace
