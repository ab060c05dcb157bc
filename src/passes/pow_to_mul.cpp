// Pow(x, c) with a constant scalar exponent in forms ESP-DL runs: c = 2 -> Mul(x, x) (a same-shape elementwise
// product, which ESP-DL quantizes like a gate Mul), c = 0.5 -> Sqrt (a lookup table at 8 bits), c = 1 -> x.
// Normalisation layers exported from PyTorch/Paddle write squares and square roots as Pow.
#include "passes/factories.hpp"

namespace espq::passes {

namespace {

bool scalar_exponent(const Graph& g, const Node& n, double& c) {
    const Tensor* e = pass_util::constant_of(g, n.input(1));
    if (!e || e->numel() != 1) return false;
    c = e->as_doubles()[0];
    return true;
}

class PowToMul : public RewriteRule {
public:
    std::string name() const override { return "pow_to_mul"; }
    std::vector<std::string> target_ops() const override { return {"Pow"}; }
    bool condition(const Graph& g, int i) const override {
        const Node& n = g.nodes[i];
        double c = 0;
        if (n.num_inputs() != 2 || pass_util::constant_of(g, n.inputs[0]) || !scalar_exponent(g, n, c)) return false;
        if (g.value(n.outputs[0]).dtype != DType::Float32 || g.value(n.inputs[0]).shape != g.value(n.outputs[0]).shape)
            return false;
        if (c == 1) return pass_util::can_bypass(g, i, n.inputs[0]);
        return c == 2 || c == 0.5;
    }
    void apply(Graph& g, int i) const override {
        double c = 0;
        scalar_exponent(g, g.nodes[i], c);
        Node& n = g.nodes[i];
        if (c == 1) {
            pass_util::bypass(g, i, n.inputs[0]);
        } else if (c == 2) {
            n.op_type = "Mul";
            n.inputs[1] = n.inputs[0];
        } else {
            n.op_type = "Sqrt";
            n.inputs.resize(1);
        }
    }
};

}  // namespace

std::unique_ptr<GraphPass> make_pow_to_mul() { return std::make_unique<PowToMul>(); }

}  // namespace espq::passes
