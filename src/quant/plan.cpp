// Precision and exponent planning (see include/espq/quantize.hpp).
//
// Tensors that must share an exponent form groups (union-find): passive ops join their output to their
// input's group; Add/Sub/Concat/Resize join a producer's output to their own output when the producer is
// not passive and feeds only them (ESP-PPQ's force_alignment_overlap = False rule) — other inputs get a
// RequantizeLinear at lowering. Every group has one exponent. Shift constraints then raise group exponents
// until e_out >= e_in + e_w holds everywhere (exponents only grow, so this terminates).
#include <spdlog/spdlog.h>

#include <algorithm>
#include <numeric>

#include "espq/quantize.hpp"
#include "quant/op_classes.hpp"

namespace espq {

namespace {

struct Groups {
    std::vector<int> parent;
    explicit Groups(size_t n) : parent(n) { std::iota(parent.begin(), parent.end(), 0); }
    int find(int v) { return parent[v] == v ? v : parent[v] = find(parent[v]); }
    // Joins b's group into a's group; a's root stays the root (its exponent is the group's).
    void join_into(int a, int b) { parent[find(b)] = find(a); }
};

}  // namespace

QuantPlan plan_quantization(const Graph& g, const std::vector<TensorStats>& stats, const PlanOptions& options) {
    if (options.bits != 8 && options.bits != 16)
        throw UserError("--bits " + std::to_string(options.bits) + ": ESP-DL quantizes to 8 or 16 bits");
    QuantPlan plan;
    plan.target = options.target;
    const size_t nv = g.values.size();
    plan.tensors.assign(nv, TensorQuant{});

    // 1. Precision per node (mixed precision overrides by node name).
    std::map<std::string, int> pending = options.node_bits;
    for (size_t i = 0; i < g.nodes.size(); ++i) {
        int bits = options.bits;
        auto it = pending.find(g.nodes[i].name);
        if (it != pending.end()) {
            if (it->second != 8 && it->second != 16)
                throw UserError("node '" + it->first + "': precision must be 8 or 16, got " + std::to_string(it->second));
            bits = it->second;
            pending.erase(it);
        }
        plan.node_bits[static_cast<int>(i)] = bits;
    }
    if (!pending.empty())
        throw UserError("precision override names node '" + pending.begin()->first +
                        "', which is not in the (optimized) graph; run 'espq inspect' to list node names");

    const auto producers = g.producers();
    const auto consumers = g.consumers();
    // Passive ops run at their input's precision so that no Requantize is needed around them.
    for (size_t i = 0; i < g.nodes.size(); ++i) {
        const Node& n = g.nodes[i];
        if (!quant::is_passive(n.op_type) || n.inputs.empty() || n.inputs[0] < 0) continue;
        const int p = producers[n.inputs[0]];
        if (p >= 0) plan.node_bits[static_cast<int>(i)] = plan.node_bits[p];
    }

    // 2. Bits and calibrated exponent of every activation.
    auto quantized_dtype = [&](int v) { return g.value(v).dtype == DType::Float32 && !g.value(v).is_constant(); };
    for (size_t i = 0; i < g.nodes.size(); ++i) {
        const Node& n = g.nodes[i];
        for (int o : n.outputs) {
            if (!quantized_dtype(o)) continue;
            TensorQuant& t = plan.tensors[o];
            t.bits = quant::has_float_output(n.op_type) ? 0 : plan.node_bits[static_cast<int>(i)];
        }
    }
    for (int v : g.inputs) {
        if (!quantized_dtype(v)) continue;
        int bits = options.bits;
        for (int c : consumers[v]) bits = std::max(bits, plan.node_bits[c]);  // never lose input precision
        plan.tensors[v].bits = bits;
    }
    for (size_t v = 0; v < nv; ++v) {
        TensorQuant& t = plan.tensors[v];
        if (t.bits == 0) continue;
        if (stats.size() != nv || stats[v].count == 0)
            throw InternalError("plan_quantization: no statistics for tensor '" + g.value(static_cast<int>(v)).name + "'");
        t.exponent = choose_exponent(stats[v], t.bits, options.method);
        t.reason = calib_method_name(options.method);
    }

    // 3. Groups of tensors that must share an exponent.
    Groups groups(nv);
    // Alignment first, in reverse order so that chains of Adds propagate their exponent upstream.
    for (size_t k = g.nodes.size(); k-- > 0;) {
        const Node& n = g.nodes[k];
        if (!quant::aligns_inputs_to_output(n.op_type) || n.outputs.empty()) continue;
        const int out = n.outputs[0];
        if (plan.tensors[out].bits == 0) continue;
        const int in_count = n.op_type == "Resize" ? 1 : n.num_inputs();
        for (int j = 0; j < in_count; ++j) {
            const int in = n.inputs[j];
            if (in < 0 || plan.tensors[in].bits != plan.tensors[out].bits) continue;
            const int p = producers[in];
            const bool repointable = p >= 0 && !quant::is_passive(g.nodes[p].op_type) && consumers[in].size() == 1 &&
                                     !g.is_graph_output(in) && g.nodes[p].outputs.size() == 1 &&
                                     !quant::has_float_output(g.nodes[p].op_type);
            if (!repointable) continue;
            groups.join_into(out, in);
            plan.tensors[in].reason = "aligned to " + n.op_type + " '" + n.name + "'";
        }
    }
    // Activation sharing (ESP-PPQ's fusion rule): a computing op whose only consumer is a clipping activation
    // (Clip, Relu) writes its output directly at the activation's exponent, so the table only clamps and
    // the op's output is not quantized over a range the activation throws away.
    for (size_t k = g.nodes.size(); k-- > 0;) {
        const Node& n = g.nodes[k];
        if ((n.op_type != "Clip" && n.op_type != "Relu") || n.inputs.empty() || n.inputs[0] < 0) continue;
        const int in = n.inputs[0], out = n.outputs.at(0);
        const int p = producers[in];
        if (p < 0 || consumers[in].size() != 1 || g.is_graph_output(in) || plan.tensors[in].bits != plan.tensors[out].bits)
            continue;
        const std::string& pop = g.nodes[p].op_type;
        if (!quant::is_weighted(pop) && pop != "Add" && pop != "Sub") continue;
        groups.join_into(out, in);
        plan.tensors[in].reason = "shares the exponent of " + n.op_type + " '" + n.name + "'";
    }
    for (const Node& n : g.nodes) {
        if (!quant::is_passive(n.op_type) || n.inputs.empty() || n.inputs[0] < 0) continue;
        for (int o : n.outputs) {
            if (plan.tensors[o].bits == 0 || plan.tensors[o].bits != plan.tensors[n.inputs[0]].bits) continue;
            groups.join_into(n.inputs[0], o);
            plan.tensors[o].reason = "passive (" + n.op_type + ")";
        }
    }
    std::vector<int> group_exp(nv, 0);
    for (size_t v = 0; v < nv; ++v) group_exp[v] = plan.tensors[v].exponent;
    auto E = [&](int v) -> int& { return group_exp[groups.find(v)]; };

    for (const auto& [name, e] : options.tuned_exponents) {
        const int v = g.find(name);
        if (v < 0 || plan.tensors[v].bits == 0) throw UserError("tuned exponent for unknown tensor '" + name + "'");
        E(v) = e;
        plan.tensors[v].reason = "minmax, chosen by emulated output error";
    }
    // User overrides pin a group's exponent.
    for (const auto& [name, e] : options.exponent_overrides) {
        const int v = g.find(name);
        if (v < 0 || plan.tensors[v].bits == 0)
            throw UserError("exponent override names tensor '" + name +
                            "', which is not a quantized activation of the (optimized) graph");
        E(v) = e;
        plan.notes.push_back("tensor '" + name + "': exponent set to " + std::to_string(e) + " by override");
    }

    // 4. Shift constraints, raising the output group's exponent where needed.
    for (int round = 0; round < 64; ++round) {
        bool changed = false;
        for (const Node& n : g.nodes) {
            if (n.outputs.empty() || plan.tensors[n.outputs[0]].bits == 0) continue;
            const int out = n.outputs[0];
            int need = INT32_MIN;
            if (quant::is_weighted(n.op_type) && n.input(1) >= 0) {
                const int in = n.inputs[0];
                const Value& wv = g.value(n.inputs[1]);
                const int bits = plan.node_bits.at(static_cast<int>(&n - g.nodes.data()));
                const int ew = wv.constant ? weight_exponent(*wv.constant, bits) : E(n.inputs[1]);
                // The input is read at the node's width: int8 -> int16 gains 8 fraction bits, 16 -> 8 loses them.
                need = E(in) + (plan.tensors[in].bits - bits) + ew;
            } else if (n.op_type == "Mul" && n.num_inputs() == 2) {
                int sum = 0;
                for (int j = 0; j < 2; ++j) {
                    const Value& iv = g.value(n.inputs[j]);
                    const int ob = plan.tensors[out].bits;
                    sum += iv.constant ? weight_exponent(*iv.constant, ob)
                                       : E(n.inputs[j]) + (plan.tensors[n.inputs[j]].bits - ob);
                }
                need = sum;
            }
            if (need != INT32_MIN && E(out) < need) {
                plan.notes.push_back("tensor '" + g.value(out).name + "': exponent raised from " +
                                     std::to_string(E(out)) + " to " + std::to_string(need) + " so that the " +
                                     n.op_type + " '" + n.name + "' requantization shift is not negative");
                E(out) = need;
                changed = true;
            }
        }
        if (!changed) break;
        if (round == 63) throw InternalError("plan_quantization: shift constraints did not converge");
    }
    for (size_t v = 0; v < nv; ++v)
        if (plan.tensors[v].bits) plan.tensors[v].exponent = E(static_cast<int>(v));
    return plan;
}

}  // namespace espq
