// Per-operator accuracy: every operator probe of `espq ops` (src/support/op_probes.cpp) that quantizes for esp32s3 is
// run in the emulator on fresh samples and compared with the float reference executor (itself checked against
// ONNX Runtime). The support table only says "it runs"; this says "it computes the right thing": a lowering with
// a wrong exponent, table or layout shows up as a low output SQNR.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>

#include "espq/op_probes.hpp"
#include "espq/emulator.hpp"
#include "espq/float_executor.hpp"
#include "espq/onnx_import.hpp"
#include "espq/passes.hpp"
#include "espq/pipeline.hpp"
#include "support.hpp"

using namespace espq;

namespace {

std::vector<Tensor> samples(const ProbeModel& m, uint32_t seed) {
    std::vector<Tensor> out;
    uint32_t s = seed * 2654435761u + 12345u;
    for (const Shape& shape : m.input_shapes()) {
        Tensor t(DType::Float32, shape);
        for (int64_t i = 0; i < t.numel(); ++i) {
            s = s * 1664525u + 1013904223u;
            const float u = static_cast<float>(s >> 8) / static_cast<float>(1u << 24);
            t.data<float>()[i] = m.positive_samples ? 0.25f + 1.75f * u : 4.f * u - 2.f;
        }
        out.push_back(std::move(t));
    }
    return out;
}

struct Measured {
    bool quantized = false;
    double sqnr_db = 0;
};

Measured measure(const Graph& g, const ProbeModel& m, int bits, Target target = Target::ESP32S3) {
    QuantizeOptions o;
    o.plan.target = target;
    o.plan.bits = bits;
    o.plan.narrow_to_supported_widths = false;  // measure the width asked for (an int16 Resize is refused)
    // The default method: evaluation samples may exceed the calibration range, and at 16 bits the default keeps
    // headroom for that (MinMax measured 29.5 dB on MatMul int16 because one output saturated).
    o.plan.method = CalibMethod::Auto;
    o.calibration.threads = 1;
    o.test_values = false;
    const SampleSource calib{32, [&m](size_t i) { return samples(m, static_cast<uint32_t>(i)); }};
    Measured r;
    QuantizeResult q;
    try {
        q = quantize_model(g, calib, o);
    } catch (const UserError&) {
        return r;  // not supported at this width: the ops table says so, tested in tests/cli/test_cli_ops.cpp
    }
    r.quantized = true;
    const FloatExecutor fe(g);
    const Emulator emu(q.lowered.model.graph, target);
    double signal = 0, noise = 0;
    for (uint32_t k = 1000; k < 1008; ++k) {  // samples the calibration did not see (same distribution)
        const std::vector<Tensor> x = samples(m, k);
        const std::vector<Tensor> ref = fe.run(x);
        std::vector<Tensor> qin;
        for (size_t i = 0; i < x.size(); ++i) qin.push_back(quantize_input(q.lowered, static_cast<int>(i), x[i]));
        const std::vector<Tensor> out = emu.run(qin);
        for (size_t o = 0; o < out.size(); ++o) {
            const Tensor y = dequantize_output(q.lowered, static_cast<int>(o), out[o]).cast(DType::Float32);
            const Tensor f = ref[o].cast(DType::Float32);
            for (int64_t e = 0; e < y.numel(); ++e) {
                const double a = f.data<float>()[e], b = y.data<float>()[e];
                signal += a * a;
                noise += (a - b) * (a - b);
            }
        }
    }
    r.sqnr_db = noise > 0 ? 10 * std::log10(signal / noise) : 200;
    return r;
}

}  // namespace

TEST(OpAccuracy, EveryQuantizableProbeMatchesTheFloatReference) {
    const std::string dir = test::temp_dir();
    int checked = 0;
    for (const OpProbe& probe : op_probes()) {
        ProbeModel m(probe.opset);
        m.set_probed_op(probe.op);
        probe.build(m);
        const std::string file = dir + "/" + probe.op + ".onnx";
        {
            std::ofstream f(file, std::ios::binary);
            ASSERT_TRUE(m.proto().SerializeToOstream(&f));
        }
        Graph g;
        try {
            g = load_onnx(file);
        } catch (const UserError&) {
            continue;
        }
        for (int bits : {8, 16}) {
            const Measured r = measure(g, m, bits);
            if (!r.quantized) continue;
            ++checked;
            std::printf("[ info ] %-22s int%-2d output SQNR %6.1f dB\n", probe.op.c_str(), bits, r.sqnr_db);
            // A uniform input quantized at 8 bits is ~40 dB; operators that compress or expand the range (Exp,
            // Sigmoid tails, products) lose some, but a wrong exponent or table loses everything.
            EXPECT_GE(r.sqnr_db, bits == 8 ? 20.0 : 50.0) << probe.op << " int" << bits;
        }
    }
    EXPECT_GE(checked, 60);
}

namespace {

Graph load_probe(const ProbeModel& m, const std::string& name) {
    const std::string file = test::temp_dir() + "/" + name + ".onnx";
    {
        std::ofstream f(file, std::ios::binary);
        EXPECT_TRUE(m.proto().SerializeToOstream(&f));
    }
    return load_onnx(file);
}

}  // namespace

// MatMul of two activations (attention's Q x K^T and P x V) on every target: the second input is blocked at run
// time by nodes the lowering inserts, differently per target and width (docs/esp-dl-arithmetic.md §6.18), so
// each target is measured, with batch broadcasting at 3-D and 4-D.
TEST(OpAccuracy, MatMulOfTwoActivationsMatchesTheFloatReferenceOnEveryTarget) {
    const std::pair<Shape, Shape> shapes[] = {
        {{1, 8, 40, 8}, {1, 8, 8, 40}},  // Q x K^T of 8 heads
        {{2, 1, 5, 3}, {1, 4, 3, 6}},    // both batch dimensions broadcast
        {{3, 4, 20}, {1, 20, 24}},       // 3-D
        {{1, 2, 6, 24}, {2, 24, 20}},    // 4-D x 3-D
    };
    int i = 0;
    for (const auto& [as, bs] : shapes) {
        ProbeModel m(17);
        m.set_probed_op("MatMul");
        const std::string a = m.input(as), b = m.input(bs);
        m.output(m.node1("MatMul", {a, b}));
        const Graph g = load_probe(m, "matmul_two_inputs_" + std::to_string(i++));
        for (Target t : {Target::ESP32S3, Target::ESP32P4, Target::C})
            for (int bits : {8, 16}) {
                const Measured r = measure(g, m, bits, t);
                ASSERT_TRUE(r.quantized) << target_name(t) << " int" << bits;
                std::printf("[ info ] MatMul %s x %s %-7s int%-2d output SQNR %6.1f dB\n", shape_str(as).c_str(),
                            shape_str(bs).c_str(), target_name(t), bits, r.sqnr_db);
                EXPECT_GE(r.sqnr_db, bits == 8 ? 20.0 : 50.0) << shape_str(as) << " x " << shape_str(bs) << " "
                                                             << target_name(t) << " int" << bits;
            }
    }
}

// Self-attention as PP-OCRv4 rec's SVTR blocks compute it (head dimension 15, not a lane multiple):
// P = Softmax(Q x K^T), O = P x V. P is float in ESP-DL and reaches the second MatMul through a QuantizeLinear.
TEST(OpAccuracy, AttentionQKSoftmaxPVMatchesTheFloatReferenceOnEveryTarget) {
    ProbeModel m(17);
    m.set_probed_op("MatMul");
    const std::string q = m.input({1, 2, 10, 15}), k = m.input({1, 2, 10, 15}), v = m.input({1, 2, 10, 15});
    const std::string kt = m.node1("Transpose", {k});
    m.attr("perm", std::vector<int64_t>{0, 1, 3, 2});
    const std::string p = m.node1("Softmax", {m.node1("MatMul", {q, kt})});
    m.attr("axis", int64_t{-1});
    m.output(m.node1("MatMul", {p, v}));
    const Graph g = load_probe(m, "attention");
    for (Target t : {Target::ESP32S3, Target::ESP32P4, Target::C})
        for (int bits : {8, 16}) {
            const Measured r = measure(g, m, bits, t);
            ASSERT_TRUE(r.quantized) << target_name(t) << " int" << bits;
            std::printf("[ info ] attention %-7s int%-2d output SQNR %6.1f dB\n", target_name(t), bits, r.sqnr_db);
            EXPECT_GE(r.sqnr_db, bits == 8 ? 20.0 : 50.0) << target_name(t) << " int" << bits;
        }
}

// The attribute form of Clip (opset 6-10: min/max attributes) computes what the input form does at both widths.
// At int16 it used to be lowered without bounds (values passed through unclipped): the probes above only use
// the input form, so this form gets its own check.
TEST(OpAccuracy, ClipWithAttributeBoundsMatchesTheFloatReference) {
    for (const bool both_bounds : {true, false}) {
        ProbeModel m(10);
        m.set_probed_op("Clip");
        const std::string y = m.node1("Clip", {m.input({1, 3, 6, 6})});
        m.attr("min", -0.5f);  // inside the samples' range [-2, 2), so that both bounds clip
        if (both_bounds) m.attr("max", 1.f);
        m.output(y);
        const Graph g = load_probe(m, "clip_attributes");
        for (int bits : {8, 16}) {
            const Measured r = measure(g, m, bits);
            ASSERT_TRUE(r.quantized) << "int" << bits;
            std::printf("[ info ] Clip (attributes%s) int%-2d output SQNR %6.1f dB\n", both_bounds ? "" : ", min only",
                        bits, r.sqnr_db);
            EXPECT_GE(r.sqnr_db, bits == 8 ? 20.0 : 50.0) << "int" << bits;
        }
    }
}

// Softmax inside the graph: ESP-DL's Softmax writes float, and the quantized operators after it read it through a
// QuantizeLinear at an exponent calibrated for their width. The shapes are FastestDet's head (Transpose ->
// Softmax over the last axis -> Transpose -> Concat with another branch), Softmax feeding a Concat directly, a
// Softmax read by a Mul, and a Softmax that is also a graph output; on every target, at both widths.
TEST(OpAccuracy, SoftmaxInsideTheGraphMatchesTheFloatReference) {
    struct Case {
        const char* name;
        std::function<void(ProbeModel&)> build;
    };
    const std::vector<Case> cases = {
        {"transpose_softmax_transpose_concat",
         [](ProbeModel& m) {
             const std::string x = m.input({1, 6, 5, 4});
             const std::string t = m.node1("Transpose", {x});
             m.attr("perm", std::vector<int64_t>{0, 2, 3, 1});
             const std::string s = m.node1("Softmax", {t});
             m.attr("axis", int64_t{3});
             const std::string back = m.node1("Transpose", {s});
             m.attr("perm", std::vector<int64_t>{0, 3, 1, 2});
             const std::string other = m.node1("Sigmoid", {x});
             m.output(m.node1("Concat", {other, back}));
             m.attr("axis", int64_t{1});
         }},
        {"softmax_concat",
         [](ProbeModel& m) {
             const std::string x = m.input({1, 12});
             const std::string s = m.node1("Softmax", {x});
             m.output(m.node1("Concat", {s, m.node1("Tanh", {x})}));
             m.attr("axis", int64_t{1});
         }},
        {"softmax_mul",
         [](ProbeModel& m) {
             const std::string x = m.input({1, 4, 10});
             const std::string s = m.node1("Softmax", {x});
             m.output(m.node1("Mul", {s, m.node1("Sigmoid", {x})}));
         }},
        {"softmax_output_and_reshape",
         [](ProbeModel& m) {
             const std::string x = m.input({1, 3, 8});
             const std::string s = m.node1("Softmax", {x});
             m.output(s);
             m.output(m.node1("Reshape", {s, m.constant(Tensor::from<int64_t>({2}, {1, 24}))}));
         }},
    };
    for (const Case& c : cases) {
        ProbeModel m(17);
        m.set_probed_op("Softmax");
        c.build(m);
        const Graph g = load_probe(m, c.name);
        for (Target target : {Target::ESP32S3, Target::ESP32P4, Target::C})
            for (int bits : {8, 16}) {
                const Measured r = measure(g, m, bits, target);
                ASSERT_TRUE(r.quantized) << c.name << " int" << bits << " " << target_name(target);
                std::printf("[ info ] %-36s %-8s int%-2d output SQNR %6.1f dB\n", c.name, target_name(target),
                            bits, r.sqnr_db);
                // Probabilities quantized at 8 bits over [0, 1) keep ~30 dB; a float tensor read as raw integers
                // (or a wrong QuantizeLinear exponent) keeps nothing.
                EXPECT_GE(r.sqnr_db, bits == 8 ? 20.0 : 50.0) << c.name << " int" << bits << " " << target_name(target);
            }
    }
}

// LayerNormalization runs in float inside ESP-DL's module, from int8/int16 input, Scale and B: on every target,
// the opset-17 node of the probe and the decomposed form paddle2onnx writes at opset 9 (PP-OCRv4 rec), which pass
// fuse_layer_norm turns into that node.
TEST(OpAccuracy, LayerNormalizationOnEveryTarget) {
    auto probe = std::find_if(op_probes().begin(), op_probes().end(),
                              [](const OpProbe& p) { return p.op == "LayerNormalization"; });
    ASSERT_NE(probe, op_probes().end());
    ProbeModel node(probe->opset);
    node.set_probed_op(probe->op);
    probe->build(node);

    ProbeModel decomposed(9);
    decomposed.set_probed_op("LayerNormalization");
    Tensor gamma(DType::Float32, {16}), beta(DType::Float32, {16});
    for (int i = 0; i < 16; ++i) {
        gamma.data<float>()[i] = 0.4f + 0.05f * static_cast<float>(i);
        beta.data<float>()[i] = 0.1f * static_cast<float>(i % 5) - 0.2f;
    }
    const std::string x = decomposed.input({1, 10, 16});
    const std::string mean = decomposed.node1("ReduceMean", {x});
    decomposed.attr("axes", std::vector<int64_t>{-1});
    const std::string d = decomposed.node1("Sub", {x, mean});
    const std::string square = decomposed.node1("Pow", {d, decomposed.constant(Tensor::scalar<float>(2.f))});
    const std::string var = decomposed.node1("ReduceMean", {square});
    decomposed.attr("axes", std::vector<int64_t>{-1});
    const std::string sum = decomposed.node1("Add", {var, decomposed.constant(Tensor::scalar<float>(1e-5f))});
    const std::string y = decomposed.node1("Div", {d, decomposed.node1("Sqrt", {sum})});
    const std::string scaled = decomposed.node1("Mul", {y, decomposed.constant(gamma)});
    decomposed.output(decomposed.node1("Add", {scaled, decomposed.constant(beta)}));

    for (const auto& [name, model] : {std::pair<const char*, const ProbeModel*>{"node", &node},
                                      std::pair<const char*, const ProbeModel*>{"decomposed", &decomposed}}) {
        const Graph g = load_probe(*model, std::string("layer_norm_") + name);
        Graph optimized = g;
        run_passes(optimized, PassOptions{});
        EXPECT_EQ(optimized.op_counts(), (std::map<std::string, int>{{"LayerNormalization", 1}})) << name;
        for (Target t : {Target::ESP32S3, Target::ESP32P4, Target::C})
            for (int bits : {8, 16}) {
                const Measured r = measure(g, *model, bits, t);
                ASSERT_TRUE(r.quantized) << name << " " << target_name(t) << " int" << bits;
                std::printf("[ info ] LayerNormalization (%s) %-8s int%-2d output SQNR %6.1f dB\n", name,
                            target_name(t), bits, r.sqnr_db);
                EXPECT_GE(r.sqnr_db, bits == 8 ? 20.0 : 50.0) << name << " " << target_name(t) << " int" << bits;
            }
    }
}

// ConvTranspose runs on ESP-DL as InsertZeros followed by a Conv with the flipped weight (src/quant/
// lower_conv_transpose.cpp). The geometries of real decoders, on every target policy (S3: half up, per-tensor;
// P4: half even, per-channel weights; C: plain C) at both widths: a wrong flip, channel swap, pad or
// output_padding shows up as a low SQNR.
TEST(OpAccuracy, ConvTransposeMatchesTheFloatReferenceOnEveryTarget) {
    struct Case {
        const char* name;
        Shape x, w;
        std::vector<int64_t> strides, pads, output_padding, dilations;
        int64_t group;
    };
    const std::vector<Case> cases = {
        {"k2 s2 (PP-OCR det)", {1, 4, 6, 6}, {4, 8, 2, 2}, {2, 2}, {0, 0, 0, 0}, {}, {}, 1},
        {"k3 s2 p1 op1", {1, 4, 5, 6}, {4, 6, 3, 3}, {2, 2}, {1, 1, 1, 1}, {1, 1}, {}, 1},
        {"k4 s2 p1 (DCGAN), 20 out", {1, 8, 5, 5}, {8, 20, 4, 4}, {2, 2}, {1, 1, 1, 1}, {}, {}, 1},
        {"k3 s(1,2) asymmetric pads", {1, 4, 5, 6}, {4, 5, 3, 3}, {1, 2}, {0, 1, 2, 0}, {0, 1}, {}, 1},
        {"depthwise k3 s2 p1 op1", {1, 6, 5, 5}, {6, 1, 3, 3}, {2, 2}, {1, 1, 1, 1}, {1, 1}, {}, 6},
        {"depthwise k4 s2 p1", {1, 16, 4, 4}, {16, 1, 4, 4}, {2, 2}, {1, 1, 1, 1}, {}, {}, 16},
        {"dilation 2 k3 s2 p1", {1, 4, 5, 5}, {4, 4, 3, 3}, {2, 2}, {1, 1, 1, 1}, {1, 1}, {2, 2}, 1},
        {"1-D k4 s2 p1", {1, 4, 9}, {4, 6, 4}, {2}, {1, 1}, {}, {}, 1},
        {"k3 s1 p1 (no InsertZeros)", {1, 4, 5, 5}, {4, 4, 3, 3}, {1, 1}, {1, 1, 1, 1}, {}, {}, 1},
    };
    for (const Case& c : cases) {
        ProbeModel m(17);
        m.set_probed_op("ConvTranspose");
        Tensor w(DType::Float32, c.w), b(DType::Float32, {c.w[1] * c.group});
        for (int64_t i = 0; i < w.numel(); ++i) w.data<float>()[i] = 0.5f * std::sin(0.7f * static_cast<float>(i));
        for (int64_t i = 0; i < b.numel(); ++i) b.data<float>()[i] = 0.1f * static_cast<float>(i % 5) - 0.2f;
        m.output(m.node1("ConvTranspose", {m.input(c.x), m.constant(w), m.constant(b)}));
        m.attr("strides", c.strides).attr("pads", c.pads).attr("group", c.group);
        if (!c.output_padding.empty()) m.attr("output_padding", c.output_padding);
        if (!c.dilations.empty()) m.attr("dilations", c.dilations);
        const std::string file = test::temp_dir() + "/conv_transpose.onnx";
        {
            std::ofstream f(file, std::ios::binary);
            ASSERT_TRUE(m.proto().SerializeToOstream(&f));
        }
        const Graph g = load_onnx(file);
        for (Target t : {Target::ESP32S3, Target::ESP32P4, Target::C})
            for (int bits : {8, 16}) {
                const Measured r = measure(g, m, bits, t);
                ASSERT_TRUE(r.quantized) << c.name << " " << target_name(t) << " int" << bits;
                std::printf("[ info ] ConvTranspose %-26s %-7s int%-2d output SQNR %6.1f dB\n", c.name,
                            target_name(t), bits, r.sqnr_db);
                EXPECT_GE(r.sqnr_db, bits == 8 ? 20.0 : 50.0) << c.name << " " << target_name(t) << " int" << bits;
            }
    }
}
