// Graph optimisation passes on the float (ONNX-semantics) IR, run before calibration.
//
// In the style of ONNX Runtime's optimizer: a local rewrite declares the op types it anchors on, a condition
// and an apply step; every pass has a name, is listed once in the ordered pass list (src/passes/pass_list.cpp)
// and can be disabled by name. A pass that finds nothing to do leaves the graph untouched ("no-op is not an
// error"). Every pass preserves the float function (tested before/after on real models), except the opt-in
// ones marked `changes_function`.
#pragma once

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "espq/ir.hpp"

namespace espq {

struct PassOptions {
    bool relu6_to_relu = false;             // Clip(0,6) -> Relu: changes the function, opt-in (--relu6-to-relu)
    bool equalize = false;                  // layerwise weight equalization, opt-in (--equalize)
    std::set<std::string> disabled;         // pass names to skip
};

class GraphPass {
public:
    virtual ~GraphPass() = default;
    virtual std::string name() const = 0;
    virtual bool changes_function() const { return false; }
    // A pass that is not a local rewrite (e.g. a global rebalancing) runs in the first round of the list only;
    // running it again would keep refining instead of reaching a fixed point.
    virtual bool run_once() const { return false; }
    // Returns the number of rewrites made (0 = graph untouched).
    virtual int run(Graph& graph) const = 0;
};

// A local rewrite anchored on single nodes: run() visits every node whose op type is in target_ops(), in
// topological order, and applies the rewrite where condition() holds. apply() may edit the graph freely
// but must leave it valid; the driver re-sorts and removes dead code afterwards.
class RewriteRule : public GraphPass {
public:
    virtual std::vector<std::string> target_ops() const = 0;
    virtual bool condition(const Graph& graph, int node_index) const = 0;
    virtual void apply(Graph& graph, int node_index) const = 0;
    int run(Graph& graph) const override;
};

struct PassReport {
    std::string name;
    int rewrites = 0;
};

// The ordered list of passes for these options (disabled ones omitted).
std::vector<std::unique_ptr<GraphPass>> make_pass_list(const PassOptions& options);
std::vector<std::string> all_pass_names();
// Runs the list to a fixed point (at most a few rounds), verifying the graph after each pass.
std::vector<PassReport> run_passes(Graph& graph, const PassOptions& options);

// Helpers for rules.
namespace pass_util {
// The single node consuming `value` (and the value is not a graph output), or -1.
int sole_consumer(const Graph& g, int value);
// The constant tensor of value id v, or nullptr.
const Tensor* constant_of(const Graph& g, int v);
// Index of the node producing `value`, or -1.
int producer_of(const Graph& g, int value);
// Removes single-output node `node_index` so that its output's users read `kept_value` instead. If the removed
// output is a graph output, its name is kept by re-pointing kept_value's producer (only possible when that
// producer exists and the node is kept_value's sole consumer). can_bypass tells whether bypass will succeed.
bool can_bypass(const Graph& g, int node_index, int kept_value);
bool bypass(Graph& g, int node_index, int kept_value);
// The axes a Reduce* node reduces (the `axes` attribute before opset 18, a constant second input from 18 on),
// made non-negative for an input of rank `rank` and sorted; empty when not given or not constant.
std::vector<int64_t> reduce_axes(const Graph& g, const Node& n, size_t rank);
}  // namespace pass_util

}  // namespace espq
