// Identity and inference-mode Dropout compute nothing: their users read the input directly.
#include "passes/factories.hpp"

namespace espq::passes {

namespace {
class RemoveIdentity : public RewriteRule {
public:
    std::string name() const override { return "remove_identity"; }
    std::vector<std::string> target_ops() const override { return {"Identity", "Dropout"}; }
    bool condition(const Graph& g, int i) const override {
        const Node& n = g.nodes[i];
        if (n.inputs.empty() || n.inputs[0] < 0 || n.outputs.empty()) return false;
        // Dropout's optional mask output must be unused.
        for (size_t k = 1; k < n.outputs.size(); ++k)
            if (g.is_graph_output(n.outputs[k]) || pass_util::sole_consumer(g, n.outputs[k]) >= 0) return false;
        if (n.op_type == "Dropout" && n.num_inputs() >= 3) {  // training_mode input must be constant false
            const Tensor* t = pass_util::constant_of(g, n.inputs[2]);
            if (!t || t->as_int64s().at(0) != 0) return false;
        }
        return pass_util::can_bypass(g, i, n.inputs[0]);
    }
    void apply(Graph& g, int i) const override {
        Node& n = g.nodes[i];
        n.outputs.resize(1);
        pass_util::bypass(g, i, n.inputs[0]);
    }
};
}  // namespace

std::unique_ptr<GraphPass> make_remove_identity() { return std::make_unique<RemoveIdentity>(); }

}  // namespace espq::passes
