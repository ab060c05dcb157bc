// Layerwise equalization (--equalize): hand-computed scales on small graphs, groups it must refuse, and float
// equivalence on the bench models (the rescaling is exact up to float rounding across homogeneous ops).
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "espq/float_executor.hpp"
#include "espq/onnx_import.hpp"
#include "espq/passes.hpp"
#include "support.hpp"

using namespace espq;

namespace {

PassOptions only_equalize() {
    PassOptions o;
    o.equalize = true;
    for (const std::string& name : all_pass_names())
        if (name != "equalize_layers") o.disabled.insert(name);
    return o;
}

int rewrites_of(const std::vector<PassReport>& r, const std::string& name) {
    for (const auto& p : r)
        if (p.name == name) return p.rewrites;
    return -1;
}

// x[1,1,4,4] -> Conv1 (1x1, 2 output channels, bias) -> mid_op -> Conv2 (1x1, 1 output channel) -> y.
// With the Add variant, a second 1x1 Conv of x joins Conv1's output before mid_op.
struct TinyNet {
    Graph g;
    int w1 = -1, b1 = -1, w2 = -1, w3 = -1;
};

TinyNet tiny_net(const std::string& mid_op, bool residual_add = false) {
    TinyNet t;
    Graph& g = t.g;
    g.name = "tiny";
    auto act = [&](const std::string& name, Shape shape) {
        Value v;
        v.name = name;
        v.shape = std::move(shape);
        v.shape_known = true;
        return g.add_value(v);
    };
    const int x = act("x", {1, 1, 4, 4});
    t.w1 = g.add_constant("w1", Tensor::from<float>({2, 1, 1, 1}, {4.f, 0.25f}));
    t.b1 = g.add_constant("b1", Tensor::from<float>({2}, {0.5f, -0.125f}));
    t.w2 = g.add_constant("w2", Tensor::from<float>({1, 2, 1, 1}, {1.f, 16.f}));
    const int a = act("a", {1, 2, 4, 4}), m = act("m", {1, 2, 4, 4}), y = act("y", {1, 1, 4, 4});
    g.inputs = {x};
    g.outputs = {y};
    g.add_node(Node{"conv1", "Conv", "", {x, t.w1, t.b1}, {a}, {}});
    int into_mid = a;
    if (residual_add) {
        t.w3 = g.add_constant("w3", Tensor::from<float>({2, 1, 1, 1}, {-2.f, 0.5f}));
        const int c = act("c", {1, 2, 4, 4}), s = act("s", {1, 2, 4, 4});
        g.add_node(Node{"conv3", "Conv", "", {x, t.w3}, {c}, {}});
        g.add_node(Node{"add", "Add", "", {a, c}, {s}, {}});
        into_mid = s;
    }
    Node mid{"mid", mid_op, "", {into_mid}, {m}, {}};
    if (mid_op == "Clip") {
        mid.inputs.push_back(g.add_constant("lo", Tensor::scalar<float>(0.f)));
        mid.inputs.push_back(g.add_constant("hi", Tensor::scalar<float>(6.f)));
    }
    g.add_node(mid);
    g.add_node(Node{"conv2", "Conv", "", {m, t.w2}, {y}, {}});
    g.topo_sort();
    g.verify();
    return t;
}

std::vector<float> values(const Graph& g, int id) { return g.value(id).constant->to_vector<float>(); }

double relative_change(const Graph& before, const Graph& after, uint32_t seed = 3) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(-1.f, 1.f);
    FloatExecutor a(before), b(after);
    double worst = 0;
    for (int k = 0; k < 3; ++k) {
        Tensor x(DType::Float32, before.value(before.inputs[0]).shape);
        for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = u(rng);
        const Tensor ya = a.run({x})[0], yb = b.run({x})[0];
        worst = std::max(worst, test::max_abs_diff(ya, yb) / std::max(1e-12, test::max_abs(ya)));
    }
    return worst;
}

}  // namespace

TEST(EqualizeLayers, BalancesAConvReluConvPairToTheGeometricMean) {
    TinyNet t = tiny_net("Relu");
    const Graph before = t.g;
    const auto report = run_passes(t.g, only_equalize());
    EXPECT_EQ(rewrites_of(report, "equalize_layers"), 1);
    // r1 = (4, 0.25), r2 = (1, 16): s = sqrt(r1 / r2) = (2, 1/8); both sides become sqrt(r1 * r2) = (2, 2).
    const auto w1 = values(t.g, t.w1), b1 = values(t.g, t.b1), w2 = values(t.g, t.w2);
    EXPECT_FLOAT_EQ(w1[0], 2.f);
    EXPECT_FLOAT_EQ(w1[1], 2.f);
    EXPECT_FLOAT_EQ(b1[0], 0.25f);  // the bias follows its channel: 0.5 / 2, -0.125 * 8
    EXPECT_FLOAT_EQ(b1[1], -1.f);
    EXPECT_FLOAT_EQ(w2[0], 2.f);
    EXPECT_FLOAT_EQ(w2[1], 2.f);
    EXPECT_LE(relative_change(before, t.g), 1e-6);
}

TEST(EqualizeLayers, ResidualAddScalesBothProducersTogether) {
    TinyNet t = tiny_net("Relu", /*residual_add=*/true);
    const Graph before = t.g;
    EXPECT_EQ(rewrites_of(run_passes(t.g, only_equalize()), "equalize_layers"), 1);
    // Producer range per channel is the max over conv1 and conv3: (4, 0.5); consumer (1, 16); s = (2, 1/sqrt(32)).
    const auto w1 = values(t.g, t.w1), w3 = values(t.g, t.w3), w2 = values(t.g, t.w2);
    EXPECT_FLOAT_EQ(w1[0], 2.f);
    EXPECT_FLOAT_EQ(w3[0], -1.f);
    EXPECT_NEAR(w3[1], 0.5 * std::sqrt(32.0), 1e-5);
    EXPECT_NEAR(w2[1], 16.0 / std::sqrt(32.0), 1e-5);
    EXPECT_NEAR(std::max(std::abs(w1[1]), std::abs(w3[1])), std::abs(w2[1]), 1e-5);
    EXPECT_LE(relative_change(before, t.g), 1e-6);
}

TEST(EqualizeLayers, LeavesNonHomogeneousPathsAlone) {
    for (const std::string op : {"Clip", "Sigmoid"}) {
        TinyNet t = tiny_net(op);
        const auto w1 = values(t.g, t.w1);
        EXPECT_EQ(rewrites_of(run_passes(t.g, only_equalize()), "equalize_layers"), 0) << op;
        EXPECT_EQ(values(t.g, t.w1), w1) << op;
    }
}

TEST(EqualizeLayers, IsOptInAndRunsOnce) {
    TinyNet t = tiny_net("Relu");
    PassOptions defaults;
    EXPECT_EQ(rewrites_of(run_passes(t.g, defaults), "equalize_layers"), -1);  // not in the default list
    TinyNet u = tiny_net("Relu");
    run_passes(u.g, only_equalize());
    const auto once = values(u.g, u.w1);
    EXPECT_EQ(rewrites_of(run_passes(u.g, only_equalize()), "equalize_layers"), 0);  // balanced already
    EXPECT_EQ(values(u.g, u.w1), once);
}

class EqualizeOnBenchModels : public ::testing::TestWithParam<const char*> {};

TEST_P(EqualizeOnBenchModels, KeepsTheFunctionAndFires) {
    const Graph original = load_onnx(test::data_path(std::string("bench/") + GetParam() + ".onnx"));
    // ReLU6 blocks equalization, so the MobileNetV2 model is compared after Clip(0,6) -> Relu on both sides.
    PassOptions base;
    base.relu6_to_relu = std::string(GetParam()) == "gesture_mbv2";
    Graph reference = original, equalized = original;
    run_passes(reference, base);
    PassOptions with = base;
    with.equalize = true;
    const auto report = run_passes(equalized, with);
    equalized.verify();
    EXPECT_GT(rewrites_of(report, "equalize_layers"), 0) << GetParam();
    EXPECT_LE(relative_change(reference, equalized), 1e-5) << GetParam();
}

INSTANTIATE_TEST_SUITE_P(Bench, EqualizeOnBenchModels,
                         ::testing::Values("fmnist_cnn", "gesture_mbv2", "fmnist_mbv3", "fmnist_mbv3_bn"));
