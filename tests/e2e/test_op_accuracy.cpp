// Per-operator accuracy: every operator probe of `espq ops` (src/support/op_probes.cpp) that quantizes for esp32s3 is
// run in the emulator on fresh samples and compared with the float reference executor (itself checked against
// ONNX Runtime). The support table only says "it runs"; this says "it computes the right thing": a lowering with
// a wrong exponent, table or layout shows up as a low output SQNR.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>

#include "espq/op_probes.hpp"
#include "espq/emulator.hpp"
#include "espq/float_executor.hpp"
#include "espq/onnx_import.hpp"
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
        const std::string file = test::temp_dir() + "/clip_attributes.onnx";
        {
            std::ofstream f(file, std::ios::binary);
            ASSERT_TRUE(m.proto().SerializeToOstream(&f));
        }
        const Graph g = load_onnx(file);
        for (int bits : {8, 16}) {
            const Measured r = measure(g, m, bits);
            ASSERT_TRUE(r.quantized) << "int" << bits;
            std::printf("[ info ] Clip (attributes%s) int%-2d output SQNR %6.1f dB\n", both_bounds ? "" : ", min only",
                        bits, r.sqnr_db);
            EXPECT_GE(r.sqnr_db, bits == 8 ? 20.0 : 50.0) << "int" << bits;
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
