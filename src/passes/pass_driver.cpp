// RewriteRule driver, pass-list runner and helpers shared by the passes.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "espq/passes.hpp"

namespace espq {

int RewriteRule::run(Graph& graph) const {
    const auto targets = target_ops();
    int rewrites = 0;
    // Node indices shift when a rule edits the graph, so restart the scan after every rewrite. Graphs are
    // small (hundreds of nodes) and rewrites few, so the quadratic worst case does not matter.
    for (bool changed = true; changed;) {
        changed = false;
        for (size_t i = 0; i < graph.nodes.size(); ++i) {
            if (std::find(targets.begin(), targets.end(), graph.nodes[i].op_type) == targets.end()) continue;
            if (!condition(graph, static_cast<int>(i))) continue;
            apply(graph, static_cast<int>(i));
            graph.topo_sort();
            graph.remove_dead_code();
            ++rewrites;
            changed = true;
            break;
        }
    }
    return rewrites;
}

std::vector<PassReport> run_passes(Graph& graph, const PassOptions& options) {
    std::vector<PassReport> reports;
    const auto passes = make_pass_list(options);
    for (const auto& p : passes) reports.push_back({p->name(), 0});
    // A later pass can expose work for an earlier one (e.g. removing an Identity between Conv and BN),
    // so iterate the whole list until nothing changes; a handful of rounds always suffices.
    for (int round = 0; round < 4; ++round) {
        int total = 0;
        for (size_t k = 0; k < passes.size(); ++k) {
            if (round > 0 && passes[k]->run_once()) continue;
            const int n = passes[k]->run(graph);
            if (n) {
                graph.verify();
                spdlog::debug("pass {}: {} rewrite(s)", passes[k]->name(), n);
            }
            reports[k].rewrites += n;
            total += n;
        }
        if (total == 0) break;
    }
    return reports;
}

namespace pass_util {

int sole_consumer(const Graph& g, int value) {
    if (g.is_graph_output(value)) return -1;
    int found = -1;
    for (size_t i = 0; i < g.nodes.size(); ++i)
        for (int v : g.nodes[i].inputs)
            if (v == value) {
                if (found >= 0 && found != static_cast<int>(i)) return -1;
                found = static_cast<int>(i);
            }
    return found;
}

const Tensor* constant_of(const Graph& g, int v) {
    if (v < 0) return nullptr;
    const Value& val = g.value(v);
    return val.constant ? &*val.constant : nullptr;
}

int producer_of(const Graph& g, int value) {
    for (size_t i = 0; i < g.nodes.size(); ++i)
        for (int o : g.nodes[i].outputs)
            if (o == value) return static_cast<int>(i);
    return -1;
}

bool bypass(Graph& g, int node_index, int kept_value) {
    const int removed_value = g.nodes[node_index].outputs.at(0);
    if (g.is_graph_output(removed_value)) {
        // Keep the graph output's name: let the producer of kept_value write removed_value instead.
        const int p = producer_of(g, kept_value);
        if (p < 0 || g.is_graph_output(kept_value) || sole_consumer(g, kept_value) != node_index) return false;
        for (int& o : g.nodes[p].outputs)
            if (o == kept_value) o = removed_value;
        g.nodes[node_index].inputs.clear();
    } else {
        g.replace_uses(removed_value, kept_value);
    }
    g.nodes[node_index].outputs.clear();
    std::vector<bool> dead(g.nodes.size(), false);
    dead[node_index] = true;
    g.remove_nodes(dead);
    return true;
}

bool can_bypass(const Graph& g, int node_index, int kept_value) {
    const int removed_value = g.nodes[node_index].outputs.at(0);
    if (!g.is_graph_output(removed_value)) return true;
    return producer_of(g, kept_value) >= 0 && !g.is_graph_output(kept_value) &&
           sole_consumer(g, kept_value) == node_index;
}

std::vector<int64_t> reduce_axes(const Graph& g, const Node& n, size_t rank) {
    std::vector<int64_t> axes;
    if (n.has_attr("axes")) {
        axes = n.attr_ints("axes");
    } else if (n.input(1) >= 0) {
        const Tensor* t = constant_of(g, n.input(1));
        if (!t) return {};
        axes = t->as_int64s();
    }
    for (int64_t& a : axes) a = a < 0 ? a + static_cast<int64_t>(rank) : a;
    std::sort(axes.begin(), axes.end());
    return axes;
}

}  // namespace pass_util

}  // namespace espq
