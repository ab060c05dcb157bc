// plan_quantization on small hand-built graphs: alignment groups, passive ops, activation sharing, shift
// constraints, mixed-precision exponent8, user overrides, per-channel weight exponents and the reasons. Every
// expected exponent is worked out by hand in the comments from ESP-PPQ's minmax rule
// e = ceil(log2(2 * absmax / (2^bits - 1))).
#include <gtest/gtest.h>

#include "espq/quantize.hpp"
#include "quant_graphs.hpp"

using namespace espq;
using test::GraphBuilder;

namespace {

PlanOptions minmax(Target target = Target::ESP32S3, int bits = 8) {
    PlanOptions o;
    o.target = target;
    o.bits = bits;
    o.method = CalibMethod::MinMax;
    return o;
}

int node_index(const Graph& g, const std::string& name) {
    for (size_t i = 0; i < g.nodes.size(); ++i)
        if (g.nodes[i].name == name) return static_cast<int>(i);
    ADD_FAILURE() << "no node " << name;
    return -1;
}

const TensorQuant& tensor(const Graph& g, const QuantPlan& p, const std::string& name) {
    return p.tensors.at(static_cast<size_t>(g.find(name)));
}

const OperandQuant& read(const Graph& g, const QuantPlan& p, const std::string& node, int input) {
    return p.nodes.at(static_cast<size_t>(node_index(g, node))).inputs.at(static_cast<size_t>(input));
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// x[1,2,4,4] -> Conv 'conv' (2 -> 3 channels, 1x1, bias) -> a.
// Weight rows (output channels) have max-abs 0.5, 0.1, 2.0: at 8 bits 2*0.5/255 -> log2 = -7.99 -> -7;
// 2*0.1/255 -> -10.31 -> -10; 2*2/255 -> -5.99 -> -5. The whole tensor: -5.
struct ConvGraph {
    Graph g;
    ConvGraph(std::vector<float> bias = {1.f, -2.f, 3.f}) {
        GraphBuilder b;
        const int x = b.input("x", {1, 2, 4, 4});
        const int w = b.constant("w", {3, 2, 1, 1}, {0.5f, -0.25f, 0.1f, 0.05f, -2.f, 1.f});
        const int bias_v = b.constant("bias", {3}, bias);
        const int a = b.value("a", {1, 3, 4, 4});
        b.node("conv", "Conv", {x, w, bias_v}, {a});
        g = b.finish({a});
    }
};

}  // namespace

TEST(ReadExponent, OneRuleForEveryWidthChange) {
    EXPECT_EQ(read_exponent(-7, 8, std::nullopt, 8), -7);     // same width: its own
    EXPECT_EQ(read_exponent(-5, 8, std::nullopt, 16), -13);   // int8 -> int16: 8 more fraction bits
    EXPECT_EQ(read_exponent(-10, 16, std::nullopt, 8), -2);   // int16 -> int8 without exponent8: same range
    EXPECT_EQ(read_exponent(-10, 16, -4, 8), -4);             // its calibrated 8-bit exponent
    EXPECT_EQ(read_exponent(-10, 16, -12, 8), -10);           // never finer than the 16-bit one
}

TEST(Plan, ConvReadsWeightBiasAndInputPerTensorOnS3) {
    const ConvGraph c;
    const QuantPlan p = plan_quantization(c.g, test::stats_by_name(c.g, {{"x", -7}, {"a", -3}}), minmax());
    EXPECT_EQ(tensor(c.g, p, "x").exponent, -7);
    EXPECT_EQ(tensor(c.g, p, "a").exponent, -3);  // -3 >= -7 + -5: no raise
    const OperandQuant& in = read(c.g, p, "conv", 0);
    EXPECT_EQ(in.bits, 8);
    EXPECT_EQ(in.exponents, std::vector<int>{-7});
    const OperandQuant& w = read(c.g, p, "conv", 1);
    EXPECT_EQ(w.bits, 8);
    EXPECT_EQ(w.exponents, std::vector<int>{-5});
    EXPECT_EQ(w.reason, "weight max-abs");
    const OperandQuant& bias = read(c.g, p, "conv", 2);
    EXPECT_EQ(bias.bits, 20);  // S3's 20-bit int8 accumulator lanes
    EXPECT_EQ(bias.exponents, std::vector<int>{-12});  // -7 + -5
    EXPECT_EQ(bias.reason, "bias = e_in + e_w");
}

TEST(Plan, ConvWeightsPerChannelOnP4AndS31) {
    const ConvGraph c;
    for (Target t : {Target::ESP32P4, Target::ESP32S31}) {
        const QuantPlan p = plan_quantization(c.g, test::stats_by_name(c.g, {{"x", -7}, {"a", -3}}), minmax(t));
        const OperandQuant& w = read(c.g, p, "conv", 1);
        EXPECT_EQ(w.exponents, (std::vector<int>{-7, -10, -5}));
        EXPECT_TRUE(w.per_channel());
        EXPECT_EQ(w.reason, "weight max-abs per output channel");
        const OperandQuant& bias = read(c.g, p, "conv", 2);
        EXPECT_EQ(bias.bits, 32);  // PIE V2: 32-bit int8 accumulators
        EXPECT_EQ(bias.exponents, (std::vector<int>{-14, -17, -12}));
        EXPECT_EQ(bias.reason, "bias = e_in + e_w[c]");
    }
}

TEST(Plan, PerChannelExponentRaisedWhereTheBiasWouldNotFit) {
    // Channel 1's weights (max-abs 1e-6) would get 2e-6/255 -> log2 = -26.9 -> -26, bias exponent -33, and its
    // bias 1000 * 2^33 would overflow int32. The largest e with 1000 * 2^-(e - 7) <= 2^31 - 1 is -14
    // (1000 * 2^21 = 2.10e9 fits, 1000 * 2^22 = 4.19e9 does not).
    GraphBuilder b;
    const int x = b.input("x", {1, 2, 4, 4});
    const int w = b.constant("w", {2, 2, 1, 1}, {0.5f, 0.25f, 1e-6f, -1e-6f});
    const int bias = b.constant("bias", {2}, {0.f, 1000.f});
    const int a = b.value("a", {1, 2, 4, 4});
    b.node("conv", "Conv", {x, w, bias}, {a});
    const Graph g = b.finish({a});
    const QuantPlan p = plan_quantization(g, test::stats_by_name(g, {{"x", -7}, {"a", -3}}), minmax(Target::ESP32P4));
    const OperandQuant& wq = read(g, p, "conv", 1);
    EXPECT_EQ(wq.exponents, (std::vector<int>{-7, -14}));
    EXPECT_TRUE(contains(wq.reason, "1 channel(s) raised so that their bias fits 32 bits")) << wq.reason;
    EXPECT_EQ(read(g, p, "conv", 2).exponents, (std::vector<int>{-14, -21}));
}

TEST(Plan, GemmWeightChannelsAreTheOutputColumns) {
    // Gemm weight [K=2, N=3] (normalized, transB = 0): columns have max-abs 0.5, 0.1, 2.0 -> -7, -10, -5.
    GraphBuilder b;
    const int x = b.input("x", {1, 2});
    const int w = b.constant("w", {2, 3}, {0.5f, 0.1f, -2.f, -0.25f, 0.05f, 1.f});
    const int y = b.value("y", {1, 3});
    b.node("fc", "Gemm", {x, w}, {y});
    const Graph g = b.finish({y});
    const auto stats = test::stats_by_name(g, {{"x", -7}, {"y", -3}});
    EXPECT_EQ(read(g, plan_quantization(g, stats, minmax(Target::ESP32P4)), "fc", 1).exponents,
              (std::vector<int>{-7, -10, -5}));
    EXPECT_EQ(read(g, plan_quantization(g, stats, minmax(Target::C)), "fc", 1).exponents, std::vector<int>{-5});
}

TEST(Plan, ShiftConstraintRaisesTheOutputWithAReason) {
    // e_in + e_w = -3 + -5 = -8 > calibrated -9: the output is raised to -8 (same for per-channel weights: the
    // coarsest channel is the per-tensor exponent).
    const ConvGraph c;
    for (Target t : {Target::ESP32S3, Target::ESP32P4}) {
        const QuantPlan p = plan_quantization(c.g, test::stats_by_name(c.g, {{"x", -3}, {"a", -9}}), minmax(t));
        EXPECT_EQ(tensor(c.g, p, "a").exponent, -8);
        EXPECT_EQ(tensor(c.g, p, "a").reason, "raised so that the Conv 'conv' requantization shift is not negative");
        ASSERT_EQ(p.notes.size(), 1u);
        EXPECT_TRUE(contains(p.notes[0], "raised from -9 to -8")) << p.notes[0];
    }
}

TEST(Plan, AddAlignsItsProducersAndReadsEverythingAtItsExponent) {
    // a = Conv(x), b = Conv(x), y = Add(a, b) + a constant: a and b feed only the Add, so they are written at its
    // exponent (-4); the constant is read there too.
    GraphBuilder b;
    const int x = b.input("x", {1, 1, 2, 2});
    const int w1 = b.constant("w1", {1, 1, 1, 1}, {0.5f});
    const int w2 = b.constant("w2", {1, 1, 1, 1}, {0.25f});
    const int a = b.value("a", {1, 1, 2, 2}), bb = b.value("b", {1, 1, 2, 2}), s = b.value("s", {1, 1, 2, 2});
    const int k = b.constant("k", {1}, {0.75f});
    const int y = b.value("y", {1, 1, 2, 2});
    b.node("c1", "Conv", {x, w1}, {a});
    b.node("c2", "Conv", {x, w2}, {bb});
    b.node("add", "Add", {a, bb}, {s});
    b.node("add_k", "Add", {s, k}, {y});
    const Graph g = b.finish({y});
    const QuantPlan p =
        plan_quantization(g, test::stats_by_name(g, {{"x", -7}, {"a", -5}, {"b", -6}, {"s", -4}, {"y", -4}}), minmax());
    EXPECT_EQ(tensor(g, p, "a").exponent, -4);
    EXPECT_EQ(tensor(g, p, "b").exponent, -4);
    EXPECT_EQ(tensor(g, p, "a").reason, "aligned to Add 'add'");
    EXPECT_EQ(tensor(g, p, "s").reason, "aligned to Add 'add_k'");
    for (int j = 0; j < 2; ++j) {
        EXPECT_EQ(read(g, p, "add", j).exponents, std::vector<int>{-4});
        EXPECT_EQ(read(g, p, "add", j).reason, "aligned to the output of Add 'add'");
    }
    EXPECT_EQ(read(g, p, "add_k", 1).bits, 8);
    EXPECT_EQ(read(g, p, "add_k", 1).exponents, std::vector<int>{-4});  // the constant, at the output exponent
}

TEST(Plan, MulReadsAConstantAtItsMaxAbsExponent) {
    // y = Mul(x, k): k = [3, -0.5] -> 2*3/255 -> log2 = -5.41 -> -5; e_y >= -7 + -5 = -12 holds for -6.
    GraphBuilder b;
    const int x = b.input("x", {1, 2});
    const int k = b.constant("k", {2}, {3.f, -0.5f});
    const int y = b.value("y", {1, 2});
    b.node("mul", "Mul", {x, k}, {y});
    const Graph g = b.finish({y});
    const QuantPlan p = plan_quantization(g, test::stats_by_name(g, {{"x", -7}, {"y", -6}}), minmax());
    EXPECT_EQ(read(g, p, "mul", 0).exponents, std::vector<int>{-7});
    EXPECT_EQ(read(g, p, "mul", 1).exponents, std::vector<int>{-5});
    EXPECT_EQ(read(g, p, "mul", 1).reason, "constant operand max-abs");
    EXPECT_EQ(tensor(g, p, "y").exponent, -6);
}

TEST(Plan, MatMulOfTwoActivationsReadsBothAtTheNodeWidthAndRaisesTheOutput) {
    // y = MatMul(q, k) of two activations (docs/esp-dl-arithmetic.md §6.18): both are read at their own exponent,
    // and e_y >= e_q + e_k = -5 + -6 = -11 raises the calibrated -12.
    GraphBuilder b;
    const int q = b.input("q", {1, 2, 4, 8}), k = b.input("k", {1, 1, 8, 4});
    const int y = b.value("y", {1, 2, 4, 4});
    b.node("mm", "MatMul", {q, k}, {y});
    const Graph g = b.finish({y});
    const QuantPlan p = plan_quantization(g, test::stats_by_name(g, {{"q", -5}, {"k", -6}, {"y", -12}}), minmax());
    EXPECT_EQ(read(g, p, "mm", 0).exponents, std::vector<int>{-5});
    EXPECT_EQ(read(g, p, "mm", 1).exponents, std::vector<int>{-6});
    EXPECT_EQ(read(g, p, "mm", 1).bits, 8);
    EXPECT_EQ(tensor(g, p, "y").exponent, -11);
    EXPECT_EQ(tensor(g, p, "y").reason, "raised so that the MatMul 'mm' requantization shift is not negative");
    // Mixed precision: a 16-bit MatMul reads an 8-bit operand (r = Relu(k), e -6) at 16 bits, i.e. at -6 - 8 =
    // -14, and the shift constraint uses that read: -8 + -14 = -22 raises the calibrated -25 (the tensor's own
    // 8-bit exponent would have given -14).
    GraphBuilder b2;
    const int q2 = b2.input("q", {1, 2, 4, 8}), k2 = b2.input("k", {1, 1, 8, 4});
    const int r2 = b2.value("r", {1, 1, 8, 4}), y2 = b2.value("y", {1, 2, 4, 4});
    b2.node("relu", "Relu", {k2}, {r2});
    b2.node("mm", "MatMul", {q2, r2}, {y2});
    const Graph g2 = b2.finish({y2});
    PlanOptions o = minmax(Target::ESP32S3, 8);
    o.node_bits = {{"mm", 16}};
    std::vector<TensorStats> stats(g2.values.size());
    stats[static_cast<size_t>(q2)] = test::stats_for_exponent(-8, 16);
    stats[static_cast<size_t>(k2)] = test::stats_for_exponent(-6);
    stats[static_cast<size_t>(r2)] = test::stats_for_exponent(-6);
    stats[static_cast<size_t>(y2)] = test::stats_for_exponent(-25, 16);
    const QuantPlan p16 = plan_quantization(g2, stats, o);
    EXPECT_EQ(tensor(g2, p16, "r").bits, 8);
    EXPECT_EQ(read(g2, p16, "mm", 0).exponents, std::vector<int>{-8});
    EXPECT_EQ(read(g2, p16, "mm", 1).bits, 16);
    EXPECT_EQ(read(g2, p16, "mm", 1).exponents, std::vector<int>{-14});
    EXPECT_EQ(tensor(g2, p16, "y").exponent, -22);
}

TEST(Plan, PassiveOpsShareTheirInputExponent) {
    // x -> Conv -> a -> MaxPool -> m -> Reshape -> r: m and r take a's exponent whatever their statistics say.
    GraphBuilder b;
    const int x = b.input("x", {1, 1, 2, 2});
    const int w = b.constant("w", {1, 1, 1, 1}, {0.5f});
    const int a = b.value("a", {1, 1, 2, 2}), m = b.value("m", {1, 1, 1, 1}), r = b.value("r", {1, 1});
    const int shape = b.int64_constant("shape", {1, 1});
    b.node("conv", "Conv", {x, w}, {a});
    b.node("pool", "MaxPool", {a}, {m}, {{"kernel_shape", Attribute::Ints({2, 2})}, {"strides", Attribute::Ints({2, 2})}});
    b.node("reshape", "Reshape", {m, shape}, {r});
    const Graph g = b.finish({r});
    const QuantPlan p =
        plan_quantization(g, test::stats_by_name(g, {{"x", -7}, {"a", -3}, {"m", -6}, {"r", -1}}), minmax());
    EXPECT_EQ(tensor(g, p, "m").exponent, -3);
    EXPECT_EQ(tensor(g, p, "r").exponent, -3);
    EXPECT_EQ(tensor(g, p, "m").reason, "passive (MaxPool)");
    EXPECT_EQ(read(g, p, "reshape", 0).exponents, std::vector<int>{-3});
    EXPECT_FALSE(read(g, p, "reshape", 1).quantized());  // the shape stays int64
}

TEST(Plan, ReluSharesItsProducerExponentAndNeedsNoTable) {
    // Conv -> a -> Relu -> y: the Conv writes at the Relu's exponent (-4), so the Relu is an integer max(x, 0);
    // a Sigmoid after it needs a table at its output exponent (-7).
    GraphBuilder b;
    const int x = b.input("x", {1, 1, 2, 2});
    const int w = b.constant("w", {1, 1, 1, 1}, {0.5f});
    const int a = b.value("a", {1, 1, 2, 2}), y = b.value("y", {1, 1, 2, 2}), s = b.value("s", {1, 1, 2, 2});
    b.node("conv", "Conv", {x, w}, {a});
    b.node("relu", "Relu", {a}, {y});
    b.node("sig", "Sigmoid", {y}, {s});
    const Graph g = b.finish({s});
    const QuantPlan p =
        plan_quantization(g, test::stats_by_name(g, {{"x", -7}, {"a", -2}, {"y", -4}, {"s", -7}}), minmax());
    EXPECT_EQ(tensor(g, p, "a").exponent, -4);
    EXPECT_EQ(tensor(g, p, "a").reason, "shares the exponent of Relu 'relu'");
    EXPECT_FALSE(p.nodes[1].table.has_value());
    ASSERT_TRUE(p.nodes[2].table.has_value());
    EXPECT_EQ(p.nodes[2].table->bits, 8);
    EXPECT_EQ(p.nodes[2].table->exponents, std::vector<int>{-7});
}

TEST(Plan, MixedPrecisionReadsA16BitTensorAtItsOwn8BitExponent) {
    // conv16 runs at 16 bits, conv8 at 8. a (16-bit minmax exponent -13) has absmax 65535/2 * 2^-13, whose 8-bit
    // minmax exponent is -13 + ceil(log2(65535/255)) = -13 + 9 = -4 (not -13 + 8: 257 > 256).
    GraphBuilder b;
    const int x = b.input("x", {1, 1, 2, 2});
    const int w1 = b.constant("w1", {1, 1, 1, 1}, {0.5f});
    const int w2 = b.constant("w2", {1, 1, 1, 1}, {0.5f});
    const int a = b.value("a", {1, 1, 2, 2}), y = b.value("y", {1, 1, 2, 2});
    b.node("conv16", "Conv", {x, w1}, {a});
    b.node("conv8", "Conv", {a, w2}, {y});
    const Graph g = b.finish({y});
    PlanOptions o = minmax();
    o.node_bits = {{"conv16", 16}};
    std::vector<TensorStats> stats(g.values.size());
    stats[static_cast<size_t>(x)] = test::stats_for_exponent(-14, 16);
    stats[static_cast<size_t>(a)] = test::stats_for_exponent(-13, 16);
    stats[static_cast<size_t>(y)] = test::stats_for_exponent(-3, 8);
    const QuantPlan p = plan_quantization(g, stats, o);
    EXPECT_EQ(tensor(g, p, "x").bits, 16);  // a graph input takes its widest reader's width
    EXPECT_EQ(tensor(g, p, "a").bits, 16);
    EXPECT_EQ(tensor(g, p, "a").exponent, -13);
    ASSERT_TRUE(tensor(g, p, "a").exponent8.has_value());
    EXPECT_EQ(*tensor(g, p, "a").exponent8, -4);
    const OperandQuant& r = read(g, p, "conv8", 0);
    EXPECT_EQ(r.bits, 8);
    EXPECT_EQ(r.exponents, std::vector<int>{-4});
    EXPECT_TRUE(contains(r.reason, "8-bit exponent")) << r.reason;
    // The 16-bit conv's weight at 16 bits: 2*0.5/65535 -> log2 = -15.99998 -> -15.
    EXPECT_EQ(read(g, p, "conv16", 1).exponents, std::vector<int>{-15});
    EXPECT_EQ(read(g, p, "conv16", 1).bits, 16);
}

TEST(Plan, UserOverridePinsTheWholeGroupWithAReasonAndANote) {
    // a -> MaxPool -> m: pinning a at -2 moves m with it.
    GraphBuilder b;
    const int x = b.input("x", {1, 1, 2, 2});
    const int w = b.constant("w", {1, 1, 1, 1}, {0.5f});
    const int a = b.value("a", {1, 1, 2, 2}), m = b.value("m", {1, 1, 1, 1});
    b.node("conv", "Conv", {x, w}, {a});
    b.node("pool", "MaxPool", {a}, {m}, {{"kernel_shape", Attribute::Ints({2, 2})}, {"strides", Attribute::Ints({2, 2})}});
    const Graph g = b.finish({m});
    PlanOptions o = minmax();
    o.exponent_overrides = {{"a", -2}};
    const QuantPlan p = plan_quantization(g, test::stats_by_name(g, {{"x", -7}, {"a", -5}, {"m", -5}}), o);
    EXPECT_EQ(tensor(g, p, "a").exponent, -2);
    EXPECT_EQ(tensor(g, p, "m").exponent, -2);
    EXPECT_EQ(tensor(g, p, "a").reason, "pinned by the user (exponent override)");
    EXPECT_EQ(tensor(g, p, "m").reason, "passive (MaxPool); pinned by the user (exponent override)");
    ASSERT_EQ(p.notes.size(), 1u);
    EXPECT_EQ(p.notes[0], "tensor 'a': exponent set to -2 by override");
}

TEST(Plan, Int16PReluSlopeExponentCappedSoTheShiftIsNotNegative) {
    // 16-bit: x at -2, y at -18, slope 0.5 -> max-abs exponent 2*0.5/65535 -> -15, but e_out - e_in = -16 caps it.
    GraphBuilder b;
    const int x = b.input("x", {1, 4});
    const int slope = b.constant("slope", {1}, {0.5f});
    const int y = b.value("y", {1, 4});
    b.node("prelu", "PRelu", {x, slope}, {y});
    const Graph g = b.finish({y});
    const QuantPlan p =
        plan_quantization(g, test::stats_by_name(g, {{"x", -2}, {"y", -18}}, 16), minmax(Target::ESP32S3, 16));
    const OperandQuant& s = read(g, p, "prelu", 1);
    EXPECT_EQ(s.bits, 16);
    EXPECT_EQ(s.exponents, std::vector<int>{-16});
    EXPECT_EQ(s.reason, "slope exponent capped at e_out - e_in so that the PRelu shift is >= 0");
    EXPECT_FALSE(p.nodes[0].table.has_value());  // int16 PRelu multiplies, no table
}

TEST(Plan, Int16ClipBoundsAtTheInputExponent) {
    GraphBuilder b;
    const int x = b.input("x", {1, 4});
    const int lo = b.constant("lo", {1}, {0.f});
    const int hi = b.constant("hi", {1}, {6.f});
    const int y = b.value("y", {1, 4});
    b.node("clip", "Clip", {x, lo, hi}, {y});
    const Graph g = b.finish({y});
    const QuantPlan p =
        plan_quantization(g, test::stats_by_name(g, {{"x", -9}, {"y", -12}}, 16), minmax(Target::ESP32S3, 16));
    for (int k = 1; k <= 2; ++k) {
        EXPECT_EQ(read(g, p, "clip", k).bits, 16);
        EXPECT_EQ(read(g, p, "clip", k).exponents, std::vector<int>{-9});
    }
}

TEST(Plan, AFloatSoftmaxOutputIsReadThroughAQuantizeExponentCalibratedPerWidth) {
    // x -> Softmax -> s (float in ESP-DL) -> Transpose -> t, and s -> Concat(s, x) -> c. The Concat reads s at
    // its output exponent like any aligned input; the Transpose, a copy, reads s quantized at t's own exponent;
    // a Sigmoid reads s at the exponent calibrated for s at 8 bits (-7).
    GraphBuilder b;
    const int x = b.input("x", {1, 4});
    const int s = b.value("s", {1, 4}), t = b.value("t", {4, 1}), c = b.value("c", {1, 8}), q = b.value("q", {1, 4});
    b.node("softmax", "Softmax", {x}, {s});
    b.node("transpose", "Transpose", {s}, {t}, {{"perm", Attribute::Ints({1, 0})}});
    b.node("concat", "Concat", {s, x}, {c}, {{"axis", Attribute(1)}});
    b.node("sigmoid", "Sigmoid", {s}, {q});
    const Graph g = b.finish({t, c, q});
    const QuantPlan p = plan_quantization(
        g, test::stats_by_name(g, {{"x", -4}, {"s", -7}, {"t", -6}, {"c", -4}, {"q", -7}}), minmax());
    EXPECT_EQ(tensor(g, p, "s").bits, 0);
    ASSERT_EQ(tensor(g, p, "s").quantize_exponents.count(8), 1u);
    EXPECT_EQ(tensor(g, p, "s").quantize_exponents.at(8), -7);
    EXPECT_EQ(read(g, p, "transpose", 0).bits, 8);
    EXPECT_EQ(read(g, p, "transpose", 0).exponents, std::vector<int>{-6});
    EXPECT_TRUE(contains(read(g, p, "transpose", 0).reason, "QuantizeLinear")) << read(g, p, "transpose", 0).reason;
    EXPECT_EQ(read(g, p, "concat", 0).exponents, std::vector<int>{-4});
    EXPECT_EQ(read(g, p, "sigmoid", 0).exponents, std::vector<int>{-7});
    EXPECT_EQ(read_exponent(tensor(g, p, "s"), 8), -7);
    EXPECT_THROW(read_exponent(tensor(g, p, "s"), 16), InternalError);  // no 16-bit reader was planned
}

TEST(Plan, AResizeStaysAt8BitsInA16BitModelWithOneNote) {
    // ESP-DL has no int16 Resize: at --bits 16 the planner keeps it at 8 bits (unless the user names it), and
    // its 16-bit neighbours read it through the usual width change.
    GraphBuilder b;
    const int x = b.input("x", {1, 1, 2, 2});
    const int scales = b.constant("scales", {4}, {1.f, 1.f, 2.f, 2.f});
    const int r1 = b.value("r1", {1, 1, 4, 4}), r2 = b.value("r2", {1, 1, 8, 8}), y = b.value("y", {1, 1, 8, 8});
    b.node("resize1", "Resize", {x, -1, scales}, {r1}, {{"mode", Attribute("nearest")}});
    b.node("resize2", "Resize", {r1, -1, scales}, {r2}, {{"mode", Attribute("nearest")}});
    b.node("sigmoid", "Sigmoid", {r2}, {y});
    const Graph g = b.finish({y});
    const auto stats = test::stats_by_name(g, {{"x", -12}, {"r1", -12}, {"r2", -12}, {"y", -15}});
    const QuantPlan p = plan_quantization(g, stats, minmax(Target::ESP32S3, 16));
    EXPECT_EQ(p.node_bits.at(node_index(g, "resize1")), 8);
    EXPECT_EQ(p.node_bits.at(node_index(g, "resize2")), 8);
    EXPECT_EQ(p.node_bits.at(node_index(g, "sigmoid")), 16);
    EXPECT_EQ(tensor(g, p, "x").bits, 16);  // the graph input keeps the model's width
    ASSERT_EQ(p.notes.size(), 1u);
    EXPECT_TRUE(contains(p.notes[0], "2 Resize node(s) kept at 8 bits")) << p.notes[0];
    // Named by the user, a node keeps the width asked for (and the lowering then says why it cannot).
    PlanOptions pinned = minmax(Target::ESP32S3, 16);
    pinned.node_bits = {{"resize1", 16}};
    EXPECT_EQ(plan_quantization(g, stats, pinned).node_bits.at(node_index(g, "resize1")), 16);
    pinned.narrow_to_supported_widths = false;
    pinned.node_bits.clear();
    EXPECT_EQ(plan_quantization(g, stats, pinned).node_bits.at(node_index(g, "resize2")), 16);
}
