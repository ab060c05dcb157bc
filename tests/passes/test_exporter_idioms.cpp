// Exporter idioms rewritten into operators ESP-DL has: Max/Min with a constant (tf2onnx's clamps), Paddle's and
// hand-written PyTorch's decomposed hard-swish, and an open Clip bound written as +-Inf (torch clamp(min=...)).
// Each fires where it should, leaves near misses alone, and keeps the float function (float executor).
#include <gtest/gtest.h>

#include <fstream>
#include <limits>
#include <random>

#include "espq/float_executor.hpp"
#include "espq/onnx_import.hpp"
#include "espq/op_probes.hpp"
#include "espq/passes.hpp"
#include "support.hpp"

using namespace espq;

namespace {

PassOptions only(const std::string& pass) {
    PassOptions o;
    for (const std::string& name : all_pass_names())
        if (name != pass) o.disabled.insert(name);
    return o;
}

class Builder {
public:
    Builder() { g_.name = "t"; }
    int input() {
        const int v = value("x");
        g_.inputs.push_back(v);
        return v;
    }
    int scalar(float x) { return g_.add_constant("c" + std::to_string(counter_++), Tensor::scalar<float>(x)); }
    int op(const std::string& type, std::vector<int> inputs) {
        const int y = value(type + std::to_string(counter_++));
        g_.add_node(Node{"n" + std::to_string(counter_++), type, "", std::move(inputs), {y}, {}});
        return y;
    }
    Graph finish(std::vector<int> outputs) {
        g_.outputs = std::move(outputs);
        g_.verify();
        return g_;
    }

private:
    int value(const std::string& name) {
        Value v;
        v.name = name;
        v.shape = {1, 3, 5, 4};
        v.shape_known = true;
        return g_.add_value(v);
    }
    Graph g_;
    int counter_ = 0;
};

double max_change(const Graph& a, const Graph& b) {
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> u(-8.f, 8.f);  // both sides of every bound and knee
    Tensor x(DType::Float32, a.value(a.inputs[0]).shape);
    for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = u(rng);
    const auto ya = FloatExecutor(a).run({x}), yb = FloatExecutor(b).run({x});
    double worst = 0;
    for (size_t k = 0; k < ya.size(); ++k)
        worst = std::max(worst, test::max_abs_diff(ya[k], yb[k]) / std::max(1e-12, test::max_abs(ya[k])));
    return worst;
}

// Runs `pass` alone (and the dead-node clean-up) and returns the op counts.
std::map<std::string, int> after(Graph& g, const std::string& pass) {
    PassOptions o = only(pass);
    o.disabled.erase("remove_dead_nodes");
    run_passes(g, o);
    g.verify();
    return g.op_counts();
}

}  // namespace

TEST(ExporterIdioms, MaxAndMinByAConstantBecomeClipOrRelu) {
    Builder b;
    const int x = b.input();
    const int lo = b.op("Max", {x, b.scalar(-1.5f)});
    const int hi = b.op("Min", {b.scalar(2.f), lo});  // constant first, as tf2onnx sometimes writes it
    const int relu = b.op("Max", {hi, b.scalar(0.f)});
    const Graph before = b.finish({relu});
    Graph g = before;
    EXPECT_EQ(after(g, "minmax_to_clip"), (std::map<std::string, int>{{"Clip", 2}, {"Relu", 1}}));
    EXPECT_EQ(max_change(before, g), 0.0);
}

TEST(ExporterIdioms, MaxOfTwoActivationsIsLeftAlone) {
    Builder b;
    const int x = b.input();
    const int s = b.op("Sigmoid", {x});
    const int m = b.op("Max", {x, s});
    Graph g = b.finish({m});
    EXPECT_EQ(after(g, "minmax_to_clip").count("Max"), 1u);
}

TEST(ExporterIdioms, PaddleAndPyTorchDecomposedHardSwishBecomesHardSwish) {
    // (x * clip(x + 3, 0, 6)) * (1/6): Paddle's Div by 6 after div_to_mul; x * (clip(3 + x, 0, 6) * (1/6)).
    Builder b;
    const int x = b.input();
    const int gate1 = b.op("Clip", {b.op("Add", {x, b.scalar(3.f)}), b.scalar(0.f), b.scalar(6.f)});
    const int y1 = b.op("Mul", {b.op("Mul", {x, gate1}), b.scalar(1.f / 6.f)});
    const int gate2 = b.op("Clip", {b.op("Add", {b.scalar(3.f), y1}), b.scalar(0.f), b.scalar(6.f)});
    const int y2 = b.op("Mul", {y1, b.op("Mul", {gate2, b.scalar(1.f / 6.f)})});
    const Graph before = b.finish({y2});
    Graph g = before;
    EXPECT_EQ(after(g, "fuse_decomposed_hardswish"), (std::map<std::string, int>{{"HardSwish", 2}}));
    EXPECT_LE(max_change(before, g), 1e-6);
}

TEST(ExporterIdioms, HardSwishLookalikesAreLeftAlone) {
    Builder b;
    const int x = b.input();
    // A different knee (x + 2), a clip to 5, a gate read twice: none is a hard-swish.
    const int g1 = b.op("Clip", {b.op("Add", {x, b.scalar(2.f)}), b.scalar(0.f), b.scalar(6.f)});
    const int y1 = b.op("Mul", {b.op("Mul", {x, g1}), b.scalar(1.f / 6.f)});
    const int g2 = b.op("Clip", {b.op("Add", {x, b.scalar(3.f)}), b.scalar(0.f), b.scalar(5.f)});
    const int y2 = b.op("Mul", {b.op("Mul", {x, g2}), b.scalar(1.f / 6.f)});
    const int g3 = b.op("Clip", {b.op("Add", {x, b.scalar(3.f)}), b.scalar(0.f), b.scalar(6.f)});
    const int y3 = b.op("Mul", {b.op("Mul", {x, g3}), b.scalar(1.f / 6.f)});
    Graph g = b.finish({y1, y2, y3, g3});  // g3 is also a graph output
    EXPECT_EQ(after(g, "fuse_decomposed_hardswish").count("HardSwish"), 0u);
}

TEST(ExporterIdioms, ClipWithAnInfiniteUpperBoundLoadsAndKeepsItsFunction) {
    // torch.clamp(x, min=-0.5) exports Clip(x, -0.5, +inf): legal ONNX, not broken weights.
    ProbeModel m(17);
    const std::string y = m.node1("Clip", {m.input({1, 3, 5, 4}), m.constant(Tensor::scalar<float>(-0.5f)),
                                           m.constant(Tensor::scalar<float>(std::numeric_limits<float>::infinity()))});
    m.output(y);
    const std::string file = test::temp_dir() + "/clip_inf.onnx";
    {
        std::ofstream f(file, std::ios::binary);
        ASSERT_TRUE(m.proto().SerializeToOstream(&f));
    }
    const Graph before = load_onnx(file);
    Graph g = before;
    after(g, "clip_bounds_to_inputs");
    for (const Node& n : g.nodes)
        for (int v : n.inputs)
            if (const auto& c = g.value(v).constant; c && c->dtype() == DType::Float32)
                EXPECT_TRUE(std::isfinite(c->data<float>()[0]));
    EXPECT_EQ(max_change(before, g), 0.0);

    // Inf anywhere else is still broken weights, with the reader named.
    ProbeModel bad(17);
    bad.output(bad.node1("Add", {bad.input({1, 3, 5, 4}),
                                 bad.constant(Tensor::scalar<float>(std::numeric_limits<float>::infinity()))}));
    const std::string bad_file = test::temp_dir() + "/add_inf.onnx";
    {
        std::ofstream f(bad_file, std::ios::binary);
        ASSERT_TRUE(bad.proto().SerializeToOstream(&f));
    }
    try {
        load_onnx(bad_file);
        FAIL() << "an infinite Add operand loaded";
    } catch (const UserError& e) {
        EXPECT_NE(std::string(e.what()).find("only as a Clip bound"), std::string::npos) << e.what();
    }
}
