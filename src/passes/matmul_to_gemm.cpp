// MatMul of a 2-D activation by a constant 2-D matrix is a Gemm (transB = 0); as a Gemm it can take a
// bias (fuse_bias_add runs after this pass) and it is exported as ESP-DL's Gemm module like ESP-PPQ does.
#include "passes/factories.hpp"

namespace espq::passes {

namespace {
class MatMulToGemm : public RewriteRule {
public:
    std::string name() const override { return "matmul_to_gemm"; }
    std::vector<std::string> target_ops() const override { return {"MatMul"}; }
    bool condition(const Graph& g, int i) const override {
        const Node& n = g.nodes[i];
        if (n.num_inputs() != 2) return false;
        const Tensor* b = pass_util::constant_of(g, n.inputs[1]);
        if (!b || b->rank() != 2 || pass_util::constant_of(g, n.inputs[0])) return false;
        return g.value(n.inputs[0]).shape.size() == 2;
    }
    void apply(Graph& g, int i) const override {
        Node& n = g.nodes[i];
        n.op_type = "Gemm";
        n.attrs.clear();
        n.attrs["transB"] = int64_t{0};
    }
};
}  // namespace

std::unique_ptr<GraphPass> make_matmul_to_gemm() { return std::make_unique<MatMulToGemm>(); }

}  // namespace espq::passes
