// x * Clip(x + 3, 0, 6) / 6 -> HardSwish(x): the hard-swish Paddle2ONNX writes (118 times in PP-OCRv4 det) and
// PyTorch code spelled `x * F.relu6(x + 3) / 6` exports. Runs after div_to_mul, so the division is a Mul by 1/6;
// matched as (x * gate) * 1/6 and as x * (gate * 1/6). As four quantized nodes every product is rounded to the
// activation grid in turn; as one HardSwish it is one int8 table (or ESP-DL's int16 kernel).
#include <algorithm>
#include <cmath>

#include "passes/factories.hpp"

namespace espq::passes {

namespace {

bool is_scalar(const Graph& g, int v, float expected) {
    const Tensor* t = pass_util::constant_of(g, v);
    return t && t->dtype() == DType::Float32 && t->numel() == 1 &&
           std::fabs(t->data<float>()[0] - expected) <= 1e-5f * std::max(1.f, std::fabs(expected));
}

// The node producing v when it is `op` and v has no reader but `reader`, else -1.
int sole_producer(const Graph& g, int v, const std::string& op, int reader) {
    const int p = pass_util::producer_of(g, v);
    if (p < 0 || g.nodes[p].op_type != op || pass_util::sole_consumer(g, v) != reader) return -1;
    return p;
}

// gate = Clip(x + 3, 0, 6) read only by node `reader`: returns x, else -1.
int gate_input(const Graph& g, int gate, int reader) {
    const int c = sole_producer(g, gate, "Clip", reader);
    if (c < 0) return -1;
    const Node& clip = g.nodes[c];
    if (clip.num_inputs() != 3 || !is_scalar(g, clip.inputs[1], 0.f) || !is_scalar(g, clip.inputs[2], 6.f)) return -1;
    const int a = sole_producer(g, clip.inputs[0], "Add", c);
    if (a < 0 || g.nodes[a].num_inputs() != 2) return -1;
    const Node& add = g.nodes[a];
    for (int side = 0; side < 2; ++side)
        if (is_scalar(g, add.inputs[side], 3.f) && !pass_util::constant_of(g, add.inputs[1 - side]))
            return add.inputs[1 - side];
    return -1;
}

class FuseDecomposedHardSwish : public RewriteRule {
public:
    std::string name() const override { return "fuse_decomposed_hardswish"; }
    std::vector<std::string> target_ops() const override { return {"Mul"}; }
    bool condition(const Graph& g, int i) const override { return match(g, i) >= 0; }
    void apply(Graph& g, int i) const override {
        const int x = match(g, i);
        Node& n = g.nodes[i];  // keeps its name and output; the bypassed nodes are left dead
        n.op_type = "HardSwish";
        n.attrs.clear();
        n.inputs = {x};
    }

private:
    // x when Mul node i is the end of a decomposed hard-swish of x, else -1.
    static int match(const Graph& g, int i) {
        const Node& n = g.nodes[i];
        if (n.num_inputs() != 2 || g.value(n.outputs[0]).dtype != DType::Float32) return -1;
        for (int side = 0; side < 2; ++side) {
            const int a = n.inputs[side], b = n.inputs[1 - side];
            // (x * gate) * 1/6
            if (is_scalar(g, b, 1.f / 6.f)) {
                const int m = sole_producer(g, a, "Mul", i);
                if (m < 0 || g.nodes[m].num_inputs() != 2) continue;
                for (int ms = 0; ms < 2; ++ms) {
                    const int x = g.nodes[m].inputs[1 - ms];
                    if (gate_input(g, g.nodes[m].inputs[ms], m) == x) return x;
                }
                continue;
            }
            // x * (gate * 1/6)
            const int m = sole_producer(g, b, "Mul", i);
            if (m < 0 || g.nodes[m].num_inputs() != 2) continue;
            const Node& scaled = g.nodes[m];
            for (int ms = 0; ms < 2; ++ms)
                if (is_scalar(g, scaled.inputs[1 - ms], 1.f / 6.f) && gate_input(g, scaled.inputs[ms], m) == a)
                    return a;
        }
        return -1;
    }
};
}  // namespace

std::unique_ptr<GraphPass> make_fuse_decomposed_hardswish() { return std::make_unique<FuseDecomposedHardSwish>(); }

}  // namespace espq::passes
