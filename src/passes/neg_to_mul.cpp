// Neg(x) -> Mul(x, -1): espq lowers a Mul by a constant but not Neg; the result is exact in float and in the
// quantized model (-1 is representable at every exponent).
#include "passes/factories.hpp"

namespace espq::passes {

namespace {
class NegToMul : public RewriteRule {
public:
    std::string name() const override { return "neg_to_mul"; }
    std::vector<std::string> target_ops() const override { return {"Neg"}; }
    bool condition(const Graph& g, int i) const override {
        const Node& n = g.nodes[i];
        return n.num_inputs() == 1 && g.value(n.outputs[0]).dtype == DType::Float32 &&
               !pass_util::constant_of(g, n.inputs[0]);
    }
    void apply(Graph& g, int i) const override {
        const int minus_one = g.add_constant(g.unique_name(g.nodes[i].name + "_minus_one"), Tensor::scalar<float>(-1.f));
        Node& n = g.nodes[i];
        n.op_type = "Mul";
        n.inputs.push_back(minus_one);
    }
};
}  // namespace

std::unique_ptr<GraphPass> make_neg_to_mul() { return std::make_unique<NegToMul>(); }

}  // namespace espq::passes
