// lower_to_espdl on hand-made plans: the weights, biases, RequantizeLinear, Transpose and lookup tables it
// emits carry the plan's exponents, deliberately not the ones the planner would choose, so a lowering that
// re-decided them would fail. Expected integers are worked out by hand in the comments.
#include <gtest/gtest.h>

#include <cmath>

#include "espdl/layout.hpp"
#include "espq/onnx_import.hpp"
#include "espq/quantize.hpp"
#include "quant_graphs.hpp"

using namespace espq;
using test::GraphBuilder;

namespace {

const Node& only_node(const Graph& g, const std::string& op) {
    const Node* found = nullptr;
    for (const Node& n : g.nodes)
        if (n.op_type == op) {
            EXPECT_EQ(found, nullptr) << "more than one " << op;
            found = &n;
        }
    if (!found) throw std::runtime_error("no " + op + " node");
    return *found;
}

QuantPlan empty_plan(const Graph& g, Target target) {
    QuantPlan p;
    p.target = target;
    p.tensors.resize(g.values.size());
    p.nodes.resize(g.nodes.size());
    for (size_t i = 0; i < g.nodes.size(); ++i) {
        p.node_bits[static_cast<int>(i)] = 8;
        p.nodes[i].inputs.resize(g.nodes[i].inputs.size());
    }
    return p;
}

void set_tensor(const Graph& g, QuantPlan& p, const std::string& name, int bits, int exponent) {
    TensorQuant& t = p.tensors.at(static_cast<size_t>(g.find(name)));
    t.bits = bits;
    t.exponent = exponent;
    t.reason = "test";
}

}  // namespace

TEST(Lower, PerChannelConvTakesWeightBiasAndInputExponentsFromThePlan) {
    // x[1,2,2,2] -> Conv (w [3,2,1,1], bias [3]) -> a. The plan (made by hand for ESP32-P4) reads x at -6 though
    // x is stored at -7, and gives row 1 the exponent -9 where max-abs would say -10.
    GraphBuilder b;
    const int x = b.input("x", {1, 2, 2, 2});
    const int w = b.constant("w", {3, 2, 1, 1}, {0.5f, -0.25f, 0.1f, 0.05f, -2.f, 1.f});
    const int bias = b.constant("bias", {3}, {1.f, -2.f, 3.f});
    const int a = b.value("a", {1, 3, 2, 2});
    b.node("conv", "Conv", {x, w, bias}, {a});
    const Graph g = b.finish({a});
    QuantPlan p = empty_plan(g, Target::ESP32P4);
    set_tensor(g, p, "x", 8, -7);
    set_tensor(g, p, "a", 8, -3);
    p.nodes[0].inputs = {{8, {-6}, "test"}, {8, {-7, -9, -5}, "test"}, {32, {-13, -15, -11}, "test"}};
    const LoweredModel low = lower_to_espdl(g, p);
    const Graph& m = low.model.graph;

    // x is requantized from -7 to -6 for the Conv.
    const Node& rq = only_node(m, "RequantizeLinear");
    EXPECT_EQ(m.value(rq.inputs[0]).exponents, std::vector<int64_t>{-7});
    EXPECT_EQ(m.value(rq.outputs[0]).exponents, std::vector<int64_t>{-6});
    const Node& conv = only_node(m, "Conv");
    EXPECT_EQ(conv.inputs[0], rq.outputs[0]);
    EXPECT_EQ(m.value(conv.outputs[0]).exponents, std::vector<int64_t>{-3});

    // Weights, row c at 2^e[c], ties to even (P4): row 0 at -7: 0.5*128 = 64, -0.25*128 = -32; row 1 at -9:
    // 0.1*512 = 51.2 -> 51, 0.05*512 = 25.6 -> 26; row 2 at -5: -2*32 = -64, 1*32 = 32.
    const Value& wv = m.value(conv.inputs[1]);
    EXPECT_EQ(wv.exponents, (std::vector<int64_t>{-7, -9, -5}));
    const Tensor onnx_order = espdl::from_blocked(*wv.constant, espdl::WeightKind::Conv, 16);
    ASSERT_EQ(onnx_order.numel(), 6);
    const std::vector<int> expected_w = {64, -32, 51, 26, -64, 32};
    for (int i = 0; i < 6; ++i) EXPECT_EQ(onnx_order.data<int8_t>()[i], expected_w[i]) << i;

    // Bias c at 2^e_b[c]: 1*2^13 = 8192, -2*2^15 = -65536, 3*2^11 = 6144, int32.
    const Value& bv = m.value(conv.inputs[2]);
    EXPECT_EQ(bv.dtype, DType::Int32);
    EXPECT_EQ(bv.exponents, (std::vector<int64_t>{-13, -15, -11}));
    EXPECT_EQ(bv.constant->as_int64s(), (std::vector<int64_t>{8192, -65536, 6144}));
}

TEST(Lower, TransposeBeforeAPassiveOpAndATableAtThePlannedExponent) {
    // x[1,2,2,2] -> Conv 1x1 -> a (stored NHWC) -> Flatten -> f[1,8] -> Sigmoid -> s. Flatten runs in the ONNX
    // layout, so a Transpose NHWC -> NCHW comes first; the Sigmoid table is built at the plan's -7.
    GraphBuilder b;
    const int x = b.input("x", {1, 2, 2, 2});
    const int w = b.constant("w", {2, 2, 1, 1}, {1.f, 0.5f, -0.75f, 1.f});
    const int a = b.value("a", {1, 2, 2, 2}), f = b.value("f", {1, 8}), s = b.value("s", {1, 8});
    b.node("conv", "Conv", {x, w}, {a});
    b.node("flat", "Flatten", {a}, {f});
    b.node("sig", "Sigmoid", {f}, {s});
    const Graph g = b.finish({s});
    QuantPlan p = empty_plan(g, Target::ESP32S3);
    set_tensor(g, p, "x", 8, -6);
    set_tensor(g, p, "a", 8, -4);
    set_tensor(g, p, "f", 8, -4);
    set_tensor(g, p, "s", 8, -7);
    p.nodes[0].inputs = {{8, {-6}, "test"}, {8, {-5}, "test"}};  // max-abs would give -6
    p.nodes[1].inputs = {{8, {-4}, "test"}};
    p.nodes[2].inputs = {{8, {-4}, "test"}};
    p.nodes[2].table = OperandQuant{8, {-7}, "test"};
    const LoweredModel low = lower_to_espdl(g, p);
    const Graph& m = low.model.graph;

    const Node& conv = only_node(m, "Conv");
    const Value& wv = m.value(conv.inputs[1]);
    EXPECT_EQ(wv.exponents, std::vector<int64_t>{-5});
    const Tensor onnx_order = espdl::from_blocked(*wv.constant, espdl::WeightKind::Conv, 16);
    const std::vector<int> expected_w = {32, 16, -24, 32};  // w * 2^5
    for (int i = 0; i < 4; ++i) EXPECT_EQ(onnx_order.data<int8_t>()[i], expected_w[i]) << i;

    const Node& tr = only_node(m, "Transpose");
    EXPECT_EQ(tr.inputs[0], conv.outputs[0]);
    EXPECT_EQ(tr.attr_ints("perm"), (std::vector<int64_t>{0, 3, 1, 2}));
    const Node& flat = only_node(m, "Flatten");
    EXPECT_EQ(flat.inputs[0], tr.outputs[0]);

    // Table entry i (input integer i - 128 at 2^-4) = round_half_up(sigmoid((i - 128) / 16) * 128), saturated.
    const Node& sig = only_node(m, "Sigmoid");
    const int lut = m.find(sig.attr_string("lut", ""));
    ASSERT_GE(lut, 0);
    EXPECT_EQ(m.value(lut).exponents, std::vector<int64_t>{-7});
    const Tensor& table = *m.value(lut).constant;
    ASSERT_EQ(table.numel(), 256);
    for (int i : {0, 100, 128, 140, 200, 255}) {
        const double y = 1.0 / (1.0 + std::exp(-(i - 128) / 16.0)) * 128.0;
        const double expected = std::min(127.0, std::floor(y + 0.5));
        EXPECT_EQ(table.data<int8_t>()[i], expected) << i;
    }
}

TEST(Lower, FailsLoudlyWithoutPlannedReads) {
    GraphBuilder b;
    const int x = b.input("x", {1, 4});
    const int y = b.value("y", {1, 4});
    b.node("sig", "Sigmoid", {x}, {y});
    const Graph g = b.finish({y});
    QuantPlan p = empty_plan(g, Target::ESP32S3);
    set_tensor(g, p, "x", 8, -5);
    set_tensor(g, p, "y", 8, -7);
    p.nodes.clear();  // a plan from before the operand reads existed
    EXPECT_THROW(lower_to_espdl(g, p), InternalError);
}

// An operator espq handles only through a rewrite reaches the lowering when the node lacks the rewritable form
// (here a Div by a computed divisor); the message says so instead of claiming the pass rewrote it.
TEST(Lower, RefusesARewritableOpNotInTheRewrittenFormAndSaysWhy) {
    GraphBuilder b;
    const int x = b.input("x", {1, 4});
    const int d = b.input("d", {1, 4});
    const int y = b.value("y", {1, 4});
    b.node("div", "Div", {x, d}, {y});
    const Graph g = b.finish({y});
    QuantPlan p = empty_plan(g, Target::ESP32S3);
    set_tensor(g, p, "x", 8, -5);
    set_tensor(g, p, "d", 8, -5);
    set_tensor(g, p, "y", 8, -5);
    try {
        lower_to_espdl(g, p);
        FAIL() << "a Div of two activations was lowered";
    } catch (const UnsupportedError& e) {
        EXPECT_EQ(std::string(e.what()),
                  "node 'div' (Div): cannot be lowered to ESP-DL for esp32s3; espq handles Div only by rewriting it "
                  "with pass div_to_mul, which takes: constant divisor only (becomes a Mul by its reciprocal); this "
                  "node is not of that form");
    }
}

// ConvTranspose becomes InsertZeros + Conv (docs/esp-dl-arithmetic.md §6.19). x[1,2,3,3] -> ConvTranspose (w
// [2,3,3,3], stride 2, pads 1, output_padding 1) -> y[1,3,6,6], planned for ESP32-P4 with per-channel weight
// exponents (-6, -5, -6) on the Conv's output channels and x read at -4 though stored at -5.
TEST(Lower, ConvTransposeBecomesInsertZerosAndAConvWithTheFlippedWeight) {
    GraphBuilder b;
    const int x = b.input("x", {1, 2, 3, 3});
    // w[i][o][t] = (27 i + 9 o + t) / 64 for input channel i, output channel o, tap t = 3 ky + kx.
    std::vector<float> wv;
    for (int i = 0; i < 2; ++i)
        for (int o = 0; o < 3; ++o)
            for (int t = 0; t < 9; ++t) wv.push_back(static_cast<float>(27 * i + 9 * o + t) / 64.f);
    const int w = b.constant("w", {2, 3, 3, 3}, wv);
    const int y = b.value("y", {1, 3, 6, 6});
    b.node("up", "ConvTranspose", {x, w}, {y},
           {{"strides", Attribute::Ints({2, 2})},
            {"pads", Attribute::Ints({1, 1, 1, 1})},
            {"output_padding", Attribute::Ints({1, 1})}});
    const Graph g = b.finish({y});
    QuantPlan p = empty_plan(g, Target::ESP32P4);
    set_tensor(g, p, "x", 8, -5);
    set_tensor(g, p, "y", 8, -2);
    p.nodes[0].inputs = {{8, {-4}, "test"}, {8, {-6, -5, -6}, "test"}};
    const LoweredModel low = lower_to_espdl(g, p);
    const Graph& m = low.model.graph;

    // InsertZeros reads the requantized x (NHWC) and keeps its exponent: 3 pixels with one zero between
    // neighbours and one output_padding zero at the end make 6 per axis.
    const Node& rq = only_node(m, "RequantizeLinear");
    const Node& iz = only_node(m, "InsertZeros");
    EXPECT_EQ(iz.inputs[0], rq.outputs[0]);
    EXPECT_EQ(iz.attr_ints("stride"), (std::vector<int64_t>{2, 2}));
    EXPECT_EQ(iz.attr_ints("output_padding"), (std::vector<int64_t>{1, 1}));
    EXPECT_EQ(iz.attr_string("quant_type", ""), "S8");
    const Value& z = m.value(iz.outputs[0]);
    EXPECT_EQ(z.shape, (Shape{1, 6, 6, 2}));
    EXPECT_EQ(z.exponents, std::vector<int64_t>{-4});

    // A stride-1 Conv, padded by dilation*(kernel-1) - pad = 1 on each side, keeps the ConvTranspose's name.
    const Node& conv = only_node(m, "Conv");
    EXPECT_EQ(conv.name, "up");
    EXPECT_EQ(conv.inputs[0], iz.outputs[0]);
    EXPECT_EQ(conv.attr_ints("strides"), (std::vector<int64_t>{1, 1}));
    EXPECT_EQ(conv.attr_ints("pads"), (std::vector<int64_t>{1, 1, 1, 1}));
    EXPECT_EQ(conv.attr_ints("kernel_shape"), (std::vector<int64_t>{3, 3}));
    EXPECT_EQ(conv.attr_int("group", 0), 1);
    EXPECT_EQ(m.value(conv.outputs[0]).shape, (Shape{1, 6, 6, 3}));
    EXPECT_EQ(m.value(conv.outputs[0]).exponents, std::vector<int64_t>{-2});

    // Conv weight [o][i][ky][kx] = w[i][o][2-ky][2-kx] at 2^e[o]: channel o = 1 at -5 halves the integer, ties to
    // even (P4).
    const Value& cw = m.value(conv.inputs[1]);
    EXPECT_EQ(cw.exponents, (std::vector<int64_t>{-6, -5, -6}));
    const Tensor onnx_order = espdl::from_blocked(*cw.constant, espdl::WeightKind::Conv, 16);
    ASSERT_EQ(onnx_order.shape(), (Shape{3, 2, 3, 3}));
    for (int o = 0; o < 3; ++o)
        for (int i = 0; i < 2; ++i)
            for (int t = 0; t < 9; ++t) {
                const int raw = 27 * i + 9 * o + (8 - t);
                const int want = o == 1 ? static_cast<int>(std::nearbyint(raw / 2.0)) : raw;
                EXPECT_EQ(onnx_order.data<int8_t>()[(o * 2 + i) * 9 + t], want) << o << " " << i << " " << t;
            }
}

// What ESP-DL's InsertZeros + Conv cannot compute is refused with the node, the rule and a fix.
TEST(Lower, ConvTransposeRefusalsNameTheRuleAndTheFix) {
    auto refusal = [](Shape xs, Shape ws, Attributes attrs) -> std::string {
        GraphBuilder b;
        const int x = b.input("x", xs);
        const int w = b.constant("w", ws, std::vector<float>(static_cast<size_t>(shape_numel(ws)), 0.25f));
        const int y = b.value("y", {});
        b.node("up", "ConvTranspose", {x, w}, {y}, std::move(attrs));
        Graph g = b.finish({y});
        infer_shapes(g);
        QuantPlan p = empty_plan(g, Target::ESP32S3);
        set_tensor(g, p, "x", 8, -5);
        set_tensor(g, p, "y", 8, -2);
        p.nodes[0].inputs = {{8, {-5}, "test"}, {8, {-3}, "test"}};
        try {
            lower_to_espdl(g, p);
        } catch (const UnsupportedError& e) {
            return e.what();
        }
        return "";
    };
    // pads beyond the kernel's reach (2 for a 3x3 kernel) would need a negative Conv padding.
    const std::string big = refusal({1, 2, 4, 4}, {2, 2, 3, 3},
                                    {{"strides", Attribute::Ints({2, 2})}, {"pads", Attribute::Ints({3, 3, 3, 3})}});
    EXPECT_NE(big.find("node 'up' (ConvTranspose)"), std::string::npos) << big;
    EXPECT_NE(big.find("begin pad 3 exceeds dilation*(kernel-1) = 2"), std::string::npos) << big;
    EXPECT_NE(big.find("Slice"), std::string::npos) << big;
    // group 2 of 4 channels is not depthwise: ESP-DL would run it as depthwise.
    const std::string grouped = refusal({1, 4, 3, 3}, {4, 2, 2, 2},
                                        {{"strides", Attribute::Ints({2, 2})}, {"group", int64_t{2}}});
    EXPECT_NE(grouped.find("group=2"), std::string::npos) << grouped;
    EXPECT_NE(grouped.find("Concat"), std::string::npos) << grouped;
    // Depthwise (group = channels in = channels out) and dilation are computed.
    EXPECT_EQ(refusal({1, 4, 3, 3}, {4, 1, 3, 3}, {{"strides", Attribute::Ints({2, 2})}, {"group", int64_t{4}}}), "");
    EXPECT_EQ(refusal({1, 2, 3, 3}, {2, 2, 3, 3},
                      {{"strides", Attribute::Ints({2, 2})}, {"dilations", Attribute::Ints({2, 2})}}),
              "");
}
