// x * HardSigmoid(x; alpha = 1/6, beta = 1/2) -> HardSwish(x), the form older PyTorch exports produce for
// nn.Hardswish. As one int8 table the result is exact to the output's resolution; as HardSigmoid + Mul the
// gate is rounded to int8 first and the product rounded again (a main error source in MobileNetV3 on S3).
#include <cmath>

#include "passes/factories.hpp"

namespace espq::passes {

namespace {
class FuseHardSwish : public RewriteRule {
public:
    std::string name() const override { return "fuse_hardswish"; }
    std::vector<std::string> target_ops() const override { return {"Mul"}; }
    bool condition(const Graph& g, int i) const override { return gate_side(g, i) >= 0; }
    void apply(Graph& g, int i) const override {
        const int side = gate_side(g, i);
        Node& mul = g.nodes[i];
        const int x = mul.inputs[1 - side];
        mul.op_type = "HardSwish";
        mul.attrs.clear();
        mul.inputs = {x};
    }

private:
    static int gate_side(const Graph& g, int i) {
        const Node& mul = g.nodes[i];
        if (mul.num_inputs() != 2 || mul.inputs[0] == mul.inputs[1]) return -1;
        for (int side = 0; side < 2; ++side) {
            const int p = pass_util::producer_of(g, mul.inputs[side]);
            if (p < 0 || g.nodes[p].op_type != "HardSigmoid") continue;
            const Node& hs = g.nodes[p];
            if (hs.inputs.at(0) != mul.inputs[1 - side]) continue;
            // HardSwish is defined with exactly these constants; anything else must stay as it is.
            if (std::fabs(hs.attr_float("alpha", 0.2f) - 1.f / 6.f) > 1e-6f) continue;
            if (std::fabs(hs.attr_float("beta", 0.5f) - 0.5f) > 1e-6f) continue;
            if (pass_util::sole_consumer(g, mul.inputs[side]) != i) continue;
            return side;
        }
        return -1;
    }
};
}  // namespace

std::unique_ptr<GraphPass> make_fuse_hardswish() { return std::make_unique<FuseHardSwish>(); }

}  // namespace espq::passes
