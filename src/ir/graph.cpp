#include <algorithm>
#include <deque>
#include <set>

#include "espq/ir.hpp"
#include "espq/node_error.hpp"

namespace espq {

// ---- Node attribute accessors ----

int64_t Node::attr_int(const std::string& k, int64_t dflt) const {
    auto it = attrs.find(k);
    if (it == attrs.end()) return dflt;
    if (auto p = std::get_if<int64_t>(&it->second.value)) return *p;
    if (auto p = std::get_if<float>(&it->second.value)) return static_cast<int64_t>(*p);
    throw_node_error(*this, "attribute '" + k + "' must be an integer");
}

float Node::attr_float(const std::string& k, float dflt) const {
    auto it = attrs.find(k);
    if (it == attrs.end()) return dflt;
    if (auto p = std::get_if<float>(&it->second.value)) return *p;
    if (auto p = std::get_if<int64_t>(&it->second.value)) return static_cast<float>(*p);
    throw_node_error(*this, "attribute '" + k + "' must be a float");
}

std::string Node::attr_string(const std::string& k, const std::string& dflt) const {
    auto it = attrs.find(k);
    if (it == attrs.end()) return dflt;
    if (auto p = std::get_if<std::string>(&it->second.value)) return *p;
    throw_node_error(*this, "attribute '" + k + "' must be a string");
}

std::vector<int64_t> Node::attr_ints(const std::string& k, const std::vector<int64_t>& dflt) const {
    auto it = attrs.find(k);
    if (it == attrs.end()) return dflt;
    if (auto p = std::get_if<Attribute::Ints>(&it->second.value)) return *p;
    if (auto p = std::get_if<int64_t>(&it->second.value)) return {*p};
    throw_node_error(*this, "attribute '" + k + "' must be a list of integers");
}

std::vector<float> Node::attr_floats(const std::string& k, const std::vector<float>& dflt) const {
    auto it = attrs.find(k);
    if (it == attrs.end()) return dflt;
    if (auto p = std::get_if<Attribute::Floats>(&it->second.value)) return *p;
    if (auto p = std::get_if<float>(&it->second.value)) return {*p};
    throw_node_error(*this, "attribute '" + k + "' must be a list of floats");
}

const Tensor* Node::attr_tensor(const std::string& k) const {
    auto it = attrs.find(k);
    if (it == attrs.end()) return nullptr;
    return std::get_if<Tensor>(&it->second.value);
}

int Node::num_inputs() const {
    int n = static_cast<int>(inputs.size());
    while (n > 0 && inputs[n - 1] == kNoValue) --n;
    return n;
}

// ---- Graph ----

int Graph::add_value(Value v) {
    if (index_.count(v.name)) throw InternalError("duplicate value name '" + v.name + "'");
    int id = static_cast<int>(values.size());
    index_[v.name] = id;
    values.push_back(std::move(v));
    return id;
}

int Graph::add_constant(const std::string& name, Tensor t) {
    Value v;
    v.name = name;
    v.dtype = t.dtype();
    v.shape = t.shape();
    v.shape_known = true;
    v.constant = std::move(t);
    return add_value(std::move(v));
}

int Graph::add_node(Node n) {
    nodes.push_back(std::move(n));
    return static_cast<int>(nodes.size()) - 1;
}

std::string Graph::unique_name(const std::string& base) const {
    if (!index_.count(base)) {
        bool node_clash = false;
        for (const auto& n : nodes) node_clash |= (n.name == base);
        if (!node_clash) return base;
    }
    std::set<std::string> node_names;
    for (const auto& n : nodes) node_names.insert(n.name);
    for (int i = 1;; ++i) {
        std::string c = base + "_" + std::to_string(i);
        if (!index_.count(c) && !node_names.count(c)) return c;
    }
}

int Graph::find(const std::string& value_name) const {
    auto it = index_.find(value_name);
    return it == index_.end() ? -1 : it->second;
}

int Graph::value_id(const std::string& value_name) const {
    int id = find(value_name);
    if (id < 0) throw InternalError("no value named '" + value_name + "'");
    return id;
}

bool Graph::is_graph_output(int vid) const { return std::find(outputs.begin(), outputs.end(), vid) != outputs.end(); }
bool Graph::is_graph_input(int vid) const { return std::find(inputs.begin(), inputs.end(), vid) != inputs.end(); }

std::vector<int> Graph::producers() const {
    std::vector<int> p(values.size(), -1);
    for (size_t i = 0; i < nodes.size(); ++i)
        for (int o : nodes[i].outputs)
            if (o >= 0) p[o] = static_cast<int>(i);
    return p;
}

std::vector<std::vector<int>> Graph::consumers() const {
    std::vector<std::vector<int>> c(values.size());
    for (size_t i = 0; i < nodes.size(); ++i)
        for (int v : nodes[i].inputs)
            if (v >= 0 && (c[v].empty() || c[v].back() != static_cast<int>(i))) c[v].push_back(static_cast<int>(i));
    return c;
}

void Graph::replace_uses(int from, int to) {
    for (auto& n : nodes)
        for (int& v : n.inputs)
            if (v == from) v = to;
    for (int& v : outputs)
        if (v == from) v = to;
}

void Graph::remove_nodes(const std::vector<bool>& dead) {
    std::vector<Node> kept;
    kept.reserve(nodes.size());
    for (size_t i = 0; i < nodes.size(); ++i)
        if (i >= dead.size() || !dead[i]) kept.push_back(std::move(nodes[i]));
    nodes = std::move(kept);
}

void Graph::remove_dead_code() {
    // Walk backwards from the outputs: a node is live if any output is a graph output or used by a live node.
    std::vector<bool> live_value(values.size(), false);
    for (int o : outputs) live_value[o] = true;
    std::vector<bool> dead(nodes.size(), true);
    for (int i = static_cast<int>(nodes.size()) - 1; i >= 0; --i) {
        bool live = false;
        for (int o : nodes[i].outputs) live |= (o >= 0 && live_value[o]);
        if (!live) continue;
        dead[i] = false;
        for (int v : nodes[i].inputs)
            if (v >= 0) live_value[v] = true;
    }
    remove_nodes(dead);
    compact_values();
}

void Graph::compact_values() {
    std::vector<bool> used(values.size(), false);
    for (const auto& n : nodes) {
        for (int v : n.inputs)
            if (v >= 0) used[v] = true;
        for (int v : n.outputs)
            if (v >= 0) used[v] = true;
    }
    for (int v : inputs) used[v] = true;
    for (int v : outputs) used[v] = true;
    std::vector<int> remap(values.size(), -1);
    std::vector<Value> kept;
    for (size_t i = 0; i < values.size(); ++i) {
        if (!used[i]) continue;
        remap[i] = static_cast<int>(kept.size());
        kept.push_back(std::move(values[i]));
    }
    values = std::move(kept);
    auto fix = [&](int& v) {
        if (v >= 0) v = remap[v];
    };
    for (auto& n : nodes) {
        for (int& v : n.inputs) fix(v);
        for (int& v : n.outputs) fix(v);
    }
    for (int& v : inputs) fix(v);
    for (int& v : outputs) fix(v);
    rebuild_name_index();
}

void Graph::rebuild_name_index() {
    index_.clear();
    for (size_t i = 0; i < values.size(); ++i) index_[values[i].name] = static_cast<int>(i);
}

void Graph::topo_sort() {
    // Kahn's algorithm that always picks the earliest ready node in the current order, so an already
    // sorted graph keeps its order exactly (and the result is deterministic).
    const auto prod = producers();
    const size_t n = nodes.size();
    std::vector<int> pending(n, 0);
    std::vector<std::vector<int>> users(n);
    for (size_t i = 0; i < n; ++i) {
        std::set<int> deps;
        for (int v : nodes[i].inputs)
            if (v >= 0 && prod[v] >= 0 && prod[v] != static_cast<int>(i)) deps.insert(prod[v]);
        pending[i] = static_cast<int>(deps.size());
        for (int d : deps) users[d].push_back(static_cast<int>(i));
    }
    std::set<int> ready;
    for (size_t i = 0; i < n; ++i)
        if (pending[i] == 0) ready.insert(static_cast<int>(i));
    std::vector<int> order;
    while (!ready.empty()) {
        int i = *ready.begin();
        ready.erase(ready.begin());
        order.push_back(i);
        for (int u : users[i])
            if (--pending[u] == 0) ready.insert(u);
    }
    if (order.size() != n) throw UserError("graph '" + name + "' has a cycle; ONNX graphs must be acyclic");
    std::vector<Node> sorted;
    sorted.reserve(n);
    for (int i : order) sorted.push_back(std::move(nodes[i]));
    nodes = std::move(sorted);
}

void Graph::verify() const {
    const int nv = static_cast<int>(values.size());
    std::vector<int> prod(values.size(), -1);
    std::set<std::string> node_names;
    for (size_t i = 0; i < nodes.size(); ++i) {
        const Node& nd = nodes[i];
        if (!nd.name.empty() && !node_names.insert(nd.name).second)
            throw InternalError("graph verify: duplicate node name '" + nd.name + "'");
        for (int v : nd.inputs)
            if (v < kNoValue || v >= nv) throw InternalError("graph verify: node '" + nd.name + "' has a bad input id");
        for (int v : nd.outputs) {
            if (v < 0 || v >= nv) throw InternalError("graph verify: node '" + nd.name + "' has a bad output id");
            if (prod[v] >= 0) throw InternalError("graph verify: value '" + values[v].name + "' has two producers");
            if (values[v].is_constant())
                throw InternalError("graph verify: node '" + nd.name + "' writes constant '" + values[v].name + "'");
            prod[v] = static_cast<int>(i);
        }
    }
    std::vector<bool> available(values.size(), false);
    for (int v = 0; v < nv; ++v) available[v] = values[v].is_constant();
    for (int v : inputs) {
        if (v < 0 || v >= nv) throw InternalError("graph verify: bad graph input id");
        available[v] = true;
    }
    for (const Node& nd : nodes) {
        for (int v : nd.inputs)
            if (v >= 0 && !available[v])
                throw InternalError("graph verify: node '" + nd.name + "' reads '" + values[v].name +
                                    "' before it is produced (not topologically sorted or dangling)");
        for (int v : nd.outputs) available[v] = true;
    }
    for (int v : outputs)
        if (v < 0 || v >= nv || !available[v]) throw InternalError("graph verify: a graph output is never produced");
    std::set<std::string> names;
    for (const auto& v : values)
        if (!names.insert(v.name).second) throw InternalError("graph verify: duplicate value name '" + v.name + "'");
    for (const auto& [name_, id] : index_)
        if (id < 0 || id >= nv || values[id].name != name_) throw InternalError("graph verify: stale name index");
}

std::map<std::string, int> Graph::op_counts() const {
    std::map<std::string, int> c;
    for (const auto& n : nodes) c[n.op_type]++;
    return c;
}

int64_t Graph::opset() const {
    for (const auto& [domain, version] : opset_imports)
        if (domain.empty() || domain == "ai.onnx") return version;
    return 13;
}

}  // namespace espq
