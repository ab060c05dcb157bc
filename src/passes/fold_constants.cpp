// Nodes whose inputs are all constant are evaluated once with the float kernel and become constants.
#include "espq/onnx_import.hpp"
#include "passes/factories.hpp"

namespace espq::passes {

namespace {
class FoldConstants : public GraphPass {
public:
    std::string name() const override { return "fold_constants"; }
    int run(Graph& g) const override { return fold_constant_nodes(g); }
};
}  // namespace

std::unique_ptr<GraphPass> make_fold_constants() { return std::make_unique<FoldConstants>(); }

}  // namespace espq::passes
