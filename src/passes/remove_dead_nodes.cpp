// Nodes whose results reach no graph output are dropped, with the values only they used.
#include "passes/factories.hpp"

namespace espq::passes {

namespace {
class RemoveDeadNodes : public GraphPass {
public:
    std::string name() const override { return "remove_dead_nodes"; }
    int run(Graph& g) const override {
        const size_t before = g.nodes.size();
        g.remove_dead_code();
        return static_cast<int>(before - g.nodes.size());
    }
};
}  // namespace

std::unique_ptr<GraphPass> make_remove_dead_nodes() { return std::make_unique<RemoveDeadNodes>(); }

}  // namespace espq::passes
