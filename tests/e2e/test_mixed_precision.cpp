// End-to-end mixed precision (--layer-bits / PlanOptions::node_bits): each bench model quantized with the nodes
// ESP-PPQ dispatched to 16 bits in its "mixed" file (the first Conv and its activation), the rest 8-bit.
// Checks that the file verifies in the emulator, that the 16-bit layers really are 16-bit, that
// RequantizeLinear nodes change the bit width exactly at the 8/16 boundaries, and the accuracy against
// ESP-PPQ's mixed result on the same data (/work/shared/bench/README.md).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>

#include "e2e_common.hpp"
#include "espq/verify.hpp"
#include "quant/op_classes.hpp"

using namespace espq;

namespace {

int bits_of(DType t) { return t == DType::Int16 ? 16 : t == DType::Int8 ? 8 : 0; }
int quant_bits(const Node& n) {
    const std::string q = n.attr_string("quant_type", "");
    return q == "S16" ? 16 : q == "S8" ? 8 : 0;
}

// The nodes of the optimized float graph that must run at 16 bits: the requested ones and the passive ops
// (MaxPool, Flatten, ...) that follow them, which run at their input's width.
std::set<std::string> sixteen_bit_region(const Graph& g, const std::map<std::string, int>& node_bits) {
    std::set<std::string> region;
    const auto producers = g.producers();
    for (const Node& n : g.nodes) {
        if (node_bits.count(n.name)) region.insert(n.name);
        else if (quant::is_passive(n.op_type) && !n.inputs.empty() && producers[n.inputs[0]] >= 0 &&
                 region.count(g.nodes[producers[n.inputs[0]]].name))
            region.insert(n.name);
    }
    return region;
}

// Where the width changes in the float graph: names of the values read at another width than they are
// produced at, split by direction.
struct Boundaries {
    std::set<std::string> down, up;  // 16 -> 8, 8 -> 16
};

Boundaries expected_boundaries(const Graph& g, const std::set<std::string>& region) {
    const auto producers = g.producers();
    const auto consumers = g.consumers();
    auto node_bits = [&](int node) { return region.count(g.nodes[node].name) ? 16 : 8; };
    Boundaries b;
    for (size_t v = 0; v < g.values.size(); ++v) {
        if (g.values[v].is_constant() || consumers[v].empty()) continue;
        int bits = 8;
        if (producers[v] >= 0) {
            bits = node_bits(producers[v]);
        } else {
            for (int c : consumers[v]) bits = std::max(bits, node_bits(c));  // graph input: widest reader
        }
        for (int c : consumers[v]) {
            if (node_bits(c) < bits) b.down.insert(g.values[v].name);
            if (node_bits(c) > bits) b.up.insert(g.values[v].name);
        }
    }
    return b;
}

// The float value a lowered activation stands for: through inserted Transpose nodes ("<name>/transposed").
std::string source_name(const Graph& m, int v, const Graph& optimized) {
    const auto producers = m.producers();
    while (optimized.find(m.value(v).name) < 0 && producers[v] >= 0 && m.nodes[producers[v]].op_type == "Transpose")
        v = m.nodes[producers[v]].inputs.at(0);
    return m.value(v).name;
}

void check_mixed_structure(const Graph& optimized, const std::map<std::string, int>& node_bits, const Graph& m) {
    const std::set<std::string> region = sixteen_bit_region(optimized, node_bits);
    Boundaries actual;
    int sixteen_bit_nodes = 0;
    for (const Node& n : m.nodes) {
        const int qb = quant_bits(n);
        ASSERT_NE(qb, 0) << "node '" << n.name << "' has no S8/S16 quant_type";
        if (n.op_type == "RequantizeLinear") {
            const Value& in = m.value(n.inputs.at(0));
            const Value& out = m.value(n.outputs.at(0));
            EXPECT_EQ(qb, bits_of(out.dtype)) << n.name << ": quant_type is the output's (the consumer's) width";
            const int64_t shift = out.exponents.at(0) - in.exponents.at(0);
            const Value& scale = m.value(n.inputs.at(1));
            ASSERT_TRUE(scale.constant && scale.constant->dtype() == DType::Float32) << n.name;
            EXPECT_FLOAT_EQ(scale.constant->data<float>()[0], std::ldexp(1.0f, static_cast<int>(shift))) << n.name;
            if (in.dtype == out.dtype) continue;  // exponent alignment (Add inputs), not a width change
            const std::string src = source_name(m, n.inputs[0], optimized);
            if (bits_of(in.dtype) > bits_of(out.dtype)) {
                actual.down.insert(src);
                EXPECT_GE(shift, 0) << n.name << ": 16 -> 8 must shift right (ESP-DL breaks on negative shifts)";
            } else {
                actual.up.insert(src);
            }
            continue;
        }
        // Every other node reads its activations at its own width: the Requantize nodes sit in between.
        const bool in_float_graph = std::any_of(optimized.nodes.begin(), optimized.nodes.end(),
                                                [&](const Node& o) { return o.name == n.name; });
        if (in_float_graph) {
            EXPECT_EQ(qb, region.count(n.name) ? 16 : 8) << "node '" << n.name << "'";
            sixteen_bit_nodes += qb == 16;
        }
        for (int v : n.inputs) {
            if (v < 0 || m.value(v).is_constant()) continue;
            EXPECT_EQ(bits_of(m.value(v).dtype), qb) << "node '" << n.name << "' (S" << qb << ") reads '"
                                                     << m.value(v).name << "' without a RequantizeLinear";
        }
        if (n.op_type == "Conv" || n.op_type == "Gemm") {
            const Value& w = m.value(n.inputs.at(1));
            EXPECT_EQ(w.dtype, qb == 16 ? DType::Int16 : DType::Int8) << n.name << " weight";
            EXPECT_EQ(w.doc_string.rfind(qb == 16 ? "layout ==> (N/8)HWC8" : "layout ==> (N/16)HWC16", 0), 0u)
                << n.name << " weight layout " << w.doc_string;
            if (n.input(2) >= 0) {
                EXPECT_EQ(m.value(n.inputs[2]).dtype, qb == 16 ? DType::Int64 : DType::Int32) << n.name << " bias";
            }
        }
    }
    EXPECT_EQ(sixteen_bit_nodes, static_cast<int>(region.size()));
    const Boundaries expected = expected_boundaries(optimized, region);
    EXPECT_FALSE(expected.down.empty());
    EXPECT_EQ(actual.down, expected.down) << "16 -> 8 RequantizeLinear nodes are not exactly at the boundaries";
    EXPECT_EQ(actual.up, expected.up) << "8 -> 16 RequantizeLinear nodes are not exactly at the boundaries";
}

struct MixedRun {
    Graph float_graph;
    test::PpqMixedChoice choice;
    QuantizeResult result;
};

MixedRun quantize_like_ppq_mixed(const std::string& model, const std::string& size) {
    MixedRun run;
    run.float_graph = load_onnx(test::data_path("bench/" + model + ".onnx"));
    Graph optimized = run.float_graph;
    QuantizeOptions o;
    run_passes(optimized, o.passes);
    run.choice = test::ppq_mixed_choice(read_espdl(test::data_path("ppq/" + model + "_mixed.espdl")), optimized);
    o.plan.node_bits = run.choice.node_bits;
    run.result = quantize_model(run.float_graph, test::bench_calibration(run.float_graph, size), o);
    return run;
}

struct Case {
    const char* model;
    const char* size;
    double min_top1, ppq_sqnr;
};

}  // namespace

class MixedPrecision : public ::testing::TestWithParam<Case> {};

TEST_P(MixedPrecision, FirstLayerIn16BitVerifiesAndBeatsEspPpq) {
    const Case c = GetParam();
    const MixedRun run = quantize_like_ppq_mixed(c.model, c.size);
    ASSERT_FALSE(run.choice.node_bits.empty()) << "no 16-bit node in ESP-PPQ's mixed file";

    // Write, read back, and run the embedded test vector in a fresh emulator.
    const EspdlModel m = read_espdl_bytes(write_espdl_bytes(run.result.lowered.model), c.model);
    const TestVectorReport report = verify_test_vectors(m, Target::ESP32S3);
    EXPECT_TRUE(report.pass) << "embedded test values do not verify";
    check_mixed_structure(run.result.optimized, run.choice.node_bits, m.graph);

    const test::Score s = test::score(run.float_graph, run.result, c.model, 1000);
    std::printf("%s mixed (%zu node(s) at 16 bits): top-1 %.1f %%, SQNR %.1f dB, agreement %.1f %% (%d images)\n",
                c.model, run.choice.node_bits.size(), s.top1, s.sqnr_db, s.agreement, s.images);
    EXPECT_GE(s.top1, c.min_top1);
    EXPECT_GE(s.sqnr_db, c.ppq_sqnr + 6.0);
}

// ESP-PPQ mixed on the first 1000 images: fmnist_cnn 92.7 % / 14.6 dB, gesture_mbv2 89.1 % / 21.8 dB,
// fmnist_mbv3 87.6 % / 12.0 dB. Bars: top-1 >= ESP-PPQ's and SQNR >= ESP-PPQ's + 6 dB (the bench target; the
// issue asks for + 3). gesture_mbv2: ESP-PPQ's 89.1 % lies above the float model's own 88.8 % (its errors
// happen to fix 3 images); espq's model agrees with float on ~99 % of the images, so its bar is float - 0.5 pt
// as in test_quantize_bench.
INSTANTIATE_TEST_SUITE_P(Bench, MixedPrecision,
                         ::testing::Values(Case{"fmnist_cnn", "28", 92.7, 14.6},
                                           Case{"gesture_mbv2", "96", 88.3, 21.8},
                                           Case{"fmnist_mbv3", "64", 87.6, 12.0}),
                         [](const auto& info) { return std::string(info.param.model); });

// A 16-bit first layer must not make the model noisier than all-int8: the 8-bit consumers read the 16-bit
// tensor through a Requantize to an exponent chosen at 8 bits, not to the 16-bit range (which carried the
// 16-bit headroom into 8 bits and cost fmnist_cnn 8 dB: 27.2 dB mixed against 35.5 dB int8).
TEST(MixedPrecision, NotNoisierThanInt8) {
    const MixedRun run = quantize_like_ppq_mixed("fmnist_cnn", "28");
    QuantizeOptions o8;
    const QuantizeResult int8 = quantize_model(run.float_graph, test::bench_calibration(run.float_graph, "28"), o8);
    const test::Score mixed = test::score(run.float_graph, run.result, "fmnist_cnn", 1000);
    const test::Score plain = test::score(run.float_graph, int8, "fmnist_cnn", 1000);
    std::printf("fmnist_cnn: mixed %.2f dB, int8 %.2f dB\n", mixed.sqnr_db, plain.sqnr_db);
    EXPECT_GE(mixed.sqnr_db, plain.sqnr_db - 1.0);
    // The 8-bit copy of the 16-bit tensor has the exponent the plan chose for it at 8 bits.
    const QuantPlan& plan = run.result.plan;
    int copies = 0;
    for (size_t v = 0; v < plan.tensors.size(); ++v) {
        if (!plan.tensors[v].exponent8) continue;
        ++copies;
        EXPECT_EQ(plan.tensors[v].bits, 16);
        EXPECT_LT(*plan.tensors[v].exponent8, plan.tensors[v].exponent + 8)
            << run.result.optimized.value(static_cast<int>(v)).name << ": the 8-bit copy kept the 16-bit range";
    }
    EXPECT_EQ(copies, 1);
}

// Bad --layer-bits: one line on stderr naming the node and what to do, exit 1, before any calibration, no files.
TEST(MixedPrecision, BadLayerBitsIsAOneLineUserError) {
    const std::string dir = test::temp_dir();
    struct Bad {
        std::string flag, must_name, must_say;
    };
    const Bad cases[] = {
        {"/no/such/Conv=16", "'/no/such/Conv'", "not in the model"},
        {"/f/f.0/f.0.0/Conv=12", "'/f/f.0/f.0.0/Conv'", "8 or 16"},
        {"/f/f.0/f.0.2/Relu=16", "'/f/f.0/f.0.2/Relu'", "merged"},  // fused into the Conv by the passes
        {"/f.0/Conv=16", "did you mean '/f/f.0/f.0.0/Conv'", "not in the model"},
    };
    for (const Bad& b : cases) {
        const auto r = test::run_cli({"quantize", test::data_path("bench/fmnist_cnn.onnx"), "--calib",
                                      test::data_path("bench/fashion28/calib.npy"), "--scale", "1/255",
                                      "--layer-bits", b.flag, "-o", dir + "/bad.espdl"});
        EXPECT_EQ(r.exit_code, 1) << b.flag;
        EXPECT_NE(r.err.find(b.must_name), std::string::npos) << b.flag << ": " << r.err;
        EXPECT_NE(r.err.find(b.must_say), std::string::npos) << b.flag << ": " << r.err;
        EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << b.flag << ": " << r.err;
        EXPECT_FALSE(std::ifstream(dir + "/bad.espdl").good()) << b.flag << ": output left behind";
    }
}
