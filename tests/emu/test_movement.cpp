// Data movement ops copy raw values in the stored layout: Concat, Transpose, Reshape, Flatten, Squeeze,
// Unsqueeze, Identity, Slice, Split, Gather, Pad (docs/esp-dl-arithmetic.md §6.6, §6.15).
#include <numeric>

#include "emu_harness.hpp"

namespace espq::test {
namespace {

Tensor iota8(Shape s) {
    std::vector<int8_t> v(shape_numel(s));
    std::iota(v.begin(), v.end(), int8_t(0));
    return Tensor::from<int8_t>(std::move(s), v);
}

// One node with input x (+ constants) -> outputs; returns all outputs.
std::vector<Tensor> run_op(const std::string& op, const Tensor& x, std::vector<Tensor> consts, Attributes attrs,
                           int outputs = 1) {
    EmuGraph eg;
    std::vector<int> ins{eg.input("x", x.dtype(), x.shape(), -3)};
    for (size_t i = 0; i < consts.size(); ++i) ins.push_back(eg.constant("c" + std::to_string(i), consts[i]));
    std::vector<int> outs;
    for (int i = 0; i < outputs; ++i) outs.push_back(eg.value("y" + std::to_string(i), x.dtype(), -3));
    eg.node(op, ins, outs, attrs);
    for (int o : outs) eg.output(o);
    return eg.run({x});
}

TEST(EmuMovement, TransposeWithNegativePermAndConcat) {
    Tensor x = iota8({1, 2, 3});
    Tensor y = run_op("Transpose", x, {}, {{"perm", Attribute::Ints{0, -1, 1}}})[0];
    EXPECT_EQ(y.shape(), (Shape{1, 3, 2}));
    EXPECT_EQ(y.to_vector<int8_t>(), (std::vector<int8_t>{0, 3, 1, 4, 2, 5}));
    EmuGraph eg;
    int a = eg.input("a", DType::Int8, {1, 2, 2}, -4);
    int b = eg.input("b", DType::Int8, {1, 2, 1}, -7);  // a different exponent is ignored: raw copy
    int out = eg.value("y", DType::Int8, -4);
    eg.node("Concat", {a, b}, {out}, {{"axis", int64_t(-1)}});
    eg.output(out);
    auto c = eg.run({Tensor::from<int8_t>({1, 2, 2}, {1, 2, 3, 4}), Tensor::from<int8_t>({1, 2, 1}, {9, 8})}).at(0);
    EXPECT_EQ(c.shape(), (Shape{1, 2, 3}));
    EXPECT_EQ(c.to_vector<int8_t>(), (std::vector<int8_t>{1, 2, 9, 3, 4, 8}));
}

TEST(EmuMovement, ReshapeFlattenSqueezeUnsqueeze) {
    Tensor x = iota8({1, 2, 3, 4});
    EXPECT_EQ(run_op("Reshape", x, {Tensor::from<int64_t>({3}, {0, -1, 4})}, {})[0].shape(), (Shape{1, 6, 4}));
    EXPECT_EQ(run_op("Flatten", x, {}, {{"axis", int64_t(2)}})[0].shape(), (Shape{2, 12}));
    Tensor s = iota8({1, 3, 1, 2});
    EXPECT_EQ(run_op("Squeeze", s, {Tensor::from<int64_t>({1}, {2})}, {})[0].shape(), (Shape{1, 3, 2}));
    EXPECT_EQ(run_op("Squeeze", s, {}, {})[0].shape(), (Shape{3, 2}));
    Tensor u = run_op("Unsqueeze", iota8({3, 2}), {Tensor::from<int64_t>({2}, {0, -1})}, {})[0];
    EXPECT_EQ(u.shape(), (Shape{1, 3, 2, 1}));
    EXPECT_EQ(u.to_vector<int8_t>(), iota8({6}).to_vector<int8_t>());
    EXPECT_EQ(run_op("Identity", x, {}, {})[0].to_vector<int8_t>(), x.to_vector<int8_t>());
}

TEST(EmuMovement, SliceSplitGather) {
    Tensor x = iota8({1, 4, 6});
    // The streaming model's Slice: last 3 of the last axis.
    Tensor s = run_op("Slice", x, {Tensor::from<int64_t>({1}, {-3}), Tensor::from<int64_t>({1}, {INT64_MAX}),
                                   Tensor::from<int64_t>({1}, {-1}), Tensor::from<int64_t>({1}, {1})}, {})[0];
    EXPECT_EQ(s.shape(), (Shape{1, 4, 3}));
    EXPECT_EQ(s.to_vector<int8_t>()[0], 3);
    EXPECT_EQ(s.to_vector<int8_t>()[3], 9);
    // Negative step.
    Tensor r = run_op("Slice", x, {Tensor::from<int64_t>({1}, {-1}), Tensor::from<int64_t>({1}, {-5}),
                                   Tensor::from<int64_t>({1}, {1}), Tensor::from<int64_t>({1}, {-2})}, {})[0];
    EXPECT_EQ(r.shape(), (Shape{1, 2, 6}));
    EXPECT_EQ(r.to_vector<int8_t>()[0], 18);
    EXPECT_EQ(r.to_vector<int8_t>()[6], 6);
    auto parts = run_op("Split", x, {Tensor::from<int64_t>({2}, {2, 4})}, {{"axis", int64_t(2)}}, 2);
    EXPECT_EQ(parts[0].shape(), (Shape{1, 4, 2}));
    EXPECT_EQ(parts[1].to_vector<int8_t>()[0], 2);
    EXPECT_EQ(parts[1].to_vector<int8_t>()[4], 8);
    auto halves = run_op("Split", x, {}, {{"axis", int64_t(1)}}, 2);
    EXPECT_EQ(halves[1].to_vector<int8_t>()[0], 12);
    Tensor g = run_op("Gather", x, {Tensor::from<int64_t>({2}, {-1, 0})}, {{"axis", int64_t(1)}})[0];
    EXPECT_EQ(g.shape(), (Shape{1, 2, 6}));
    EXPECT_EQ(g.to_vector<int8_t>()[0], 18);
    EXPECT_EQ(g.to_vector<int8_t>()[6], 0);
}

TEST(EmuMovement, PadModes) {
    Tensor x = Tensor::from<int8_t>({1, 3}, {1, 2, 3});
    Tensor pads = Tensor::from<int64_t>({4}, {0, 2, 0, 1});
    Tensor c = run_op("Pad", x, {pads, Tensor::from<int8_t>({}, {-5})}, {})[0];
    EXPECT_EQ(c.to_vector<int8_t>(), (std::vector<int8_t>{-5, -5, 1, 2, 3, -5}));
    Tensor e = run_op("Pad", x, {pads}, {{"mode", std::string("edge")}})[0];
    EXPECT_EQ(e.to_vector<int8_t>(), (std::vector<int8_t>{1, 1, 1, 2, 3, 3}));
    Tensor f = run_op("Pad", x, {pads}, {{"mode", std::string("reflect")}})[0];
    EXPECT_EQ(f.to_vector<int8_t>(), (std::vector<int8_t>{3, 2, 1, 2, 3, 2}));
}

}  // namespace
}  // namespace espq::test
