// Every optimizer pass must keep the float function: outputs before and after agree within 1e-5 relative
// on real models (ONNX Runtime-style TransformerTester), and each pass must actually fire where expected.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "espq/float_executor.hpp"
#include "espq/onnx_import.hpp"
#include "espq/passes.hpp"
#include "support.hpp"

using namespace espq;

namespace {

std::vector<Tensor> sample_inputs(const Graph& g, int count, uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(0.f, 1.f);  // image-like inputs, as the bench models expect
    std::vector<Tensor> xs;
    for (int k = 0; k < count; ++k) {
        const Value& v = g.value(g.inputs[0]);
        Tensor t(DType::Float32, v.shape);
        for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = u(rng);
        xs.push_back(std::move(t));
    }
    return xs;
}

// max |a-b| / max |a| over several inputs
double relative_change(const Graph& before, const Graph& after, int samples = 4) {
    FloatExecutor a(before), b(after);
    double worst = 0;
    for (const Tensor& x : sample_inputs(before, samples, 7)) {
        const Tensor ya = a.run({x})[0], yb = b.run({x})[0];
        worst = std::max(worst, test::max_abs_diff(ya, yb) / std::max(1e-12, test::max_abs(ya)));
    }
    return worst;
}

int rewrites_of(const std::vector<PassReport>& r, const std::string& name) {
    for (const auto& p : r)
        if (p.name == name) return p.rewrites;
    return -1;
}

}  // namespace

class PassesOnBenchModels : public ::testing::TestWithParam<const char*> {};

TEST_P(PassesOnBenchModels, FullListKeepsTheFunction) {
    const Graph original = load_onnx(test::data_path(std::string("bench/") + GetParam() + ".onnx"));
    Graph g = original;
    run_passes(g, PassOptions{});
    g.verify();
    EXPECT_LE(relative_change(original, g), 1e-5) << GetParam();
    for (const auto& n : g.nodes) {
        EXPECT_NE(n.op_type, "BatchNormalization");
        EXPECT_NE(n.op_type, "Identity");
        EXPECT_NE(n.op_type, "Relu") << "every Relu in the bench models follows a Conv/Gemm";
    }
}

TEST_P(PassesOnBenchModels, EachPassAloneKeepsTheFunction) {
    const Graph original = load_onnx(test::data_path(std::string("bench/") + GetParam() + ".onnx"));
    for (const std::string& name : all_pass_names()) {
        if (name == "relu6_to_relu") continue;  // changes the function by design; tested separately
        PassOptions only;
        for (const std::string& other : all_pass_names())
            if (other != name) only.disabled.insert(other);
        Graph g = original;
        run_passes(g, only);
        g.verify();
        EXPECT_LE(relative_change(original, g, 2), 1e-5) << GetParam() << " pass " << name;
    }
}

INSTANTIATE_TEST_SUITE_P(Bench, PassesOnBenchModels,
                         ::testing::Values("fmnist_cnn", "gesture_mbv2", "fmnist_mbv3", "fmnist_mbv3_bn"));

TEST(Passes, BatchNormFoldingMakesTheBnModelEqualTheFoldedOne) {
    Graph bn = load_onnx(test::data_path("bench/fmnist_mbv3_bn.onnx"));
    Graph folded = load_onnx(test::data_path("bench/fmnist_mbv3.onnx"));
    EXPECT_EQ(bn.op_counts()["BatchNormalization"], 20);
    auto r = run_passes(bn, PassOptions{});
    EXPECT_EQ(rewrites_of(r, "fold_batchnorm"), 20);
    run_passes(folded, PassOptions{});
    EXPECT_EQ(bn.op_counts(), folded.op_counts());
    // Same function as the exporter-folded twin (trained weights are identical up to float rounding).
    EXPECT_LE(relative_change(folded, bn), 1e-4);
}

TEST(Passes, HardSwishAndReluFusionFireOnMobileNetV3) {
    Graph g = load_onnx(test::data_path("bench/fmnist_mbv3.onnx"));
    const int hardsigmoids = g.op_counts()["HardSigmoid"];
    ASSERT_GT(hardsigmoids, 0);
    auto r = run_passes(g, PassOptions{});
    EXPECT_GT(rewrites_of(r, "fuse_hardswish"), 0);
    EXPECT_GT(rewrites_of(r, "fuse_conv_relu"), 0);
    // Gates x * HardSigmoid(y) with y != x (squeeze-excitation) must stay as HardSigmoid + Mul.
    EXPECT_EQ(g.op_counts()["HardSwish"] + g.op_counts()["HardSigmoid"], hardsigmoids);
}

TEST(Passes, Relu6ToReluIsOptInAndOnlyTouchesClip06) {
    Graph g = load_onnx(test::data_path("bench/gesture_mbv2.onnx"));
    const int clips = g.op_counts()["Clip"];
    ASSERT_GT(clips, 0);
    Graph d = g;
    run_passes(d, PassOptions{});
    EXPECT_EQ(d.op_counts()["Clip"], clips) << "off by default";
    PassOptions o;
    o.relu6_to_relu = true;
    auto r = run_passes(g, o);
    EXPECT_EQ(rewrites_of(r, "relu6_to_relu"), clips);
    EXPECT_EQ(g.op_counts().count("Clip"), 0u);
}

TEST(Passes, DisabledPassDoesNotRun) {
    Graph g = load_onnx(test::data_path("bench/fmnist_mbv3_bn.onnx"));
    PassOptions o;
    o.disabled = {"fold_batchnorm"};
    run_passes(g, o);
    EXPECT_EQ(g.op_counts()["BatchNormalization"], 20);
}
