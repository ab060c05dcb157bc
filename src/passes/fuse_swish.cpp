// x * Sigmoid(x) -> Swish(x). ESP-DL has a Swish module: one int8 table lookup instead of a Sigmoid table
// followed by an integer Mul that rounds twice.
#include "passes/factories.hpp"

namespace espq::passes {

namespace {
class FuseSwish : public RewriteRule {
public:
    std::string name() const override { return "fuse_swish"; }
    std::vector<std::string> target_ops() const override { return {"Mul"}; }
    bool condition(const Graph& g, int i) const override { return gate_side(g, i) >= 0; }
    void apply(Graph& g, int i) const override {
        const int side = gate_side(g, i);
        Node& mul = g.nodes[i];
        const int x = mul.inputs[1 - side];
        mul.op_type = "Swish";
        mul.attrs.clear();
        mul.inputs = {x};
    }

private:
    // Which input (0/1) of Mul i is Sigmoid(other input), with the Sigmoid used only here; -1 if none.
    static int gate_side(const Graph& g, int i) {
        const Node& mul = g.nodes[i];
        if (mul.num_inputs() != 2 || mul.inputs[0] == mul.inputs[1]) return -1;
        for (int side = 0; side < 2; ++side) {
            const int p = pass_util::producer_of(g, mul.inputs[side]);
            if (p < 0 || g.nodes[p].op_type != "Sigmoid") continue;
            if (g.nodes[p].inputs.at(0) != mul.inputs[1 - side]) continue;
            if (pass_util::sole_consumer(g, mul.inputs[side]) != i) continue;
            return side;
        }
        return -1;
    }
};
}  // namespace

std::unique_ptr<GraphPass> make_fuse_swish() { return std::make_unique<FuseSwish>(); }

}  // namespace espq::passes
