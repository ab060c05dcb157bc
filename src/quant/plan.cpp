// Precision and exponent planning (see include/espq/quantize.hpp).
//
// Tensors that must share an exponent form groups (union-find): passive ops join their output to their
// input's group; Add/Sub/Concat/Resize join a producer's output to their own output when the producer is
// not passive and feeds only them (ESP-PPQ's force_alignment_overlap = False rule) — other inputs get a
// RequantizeLinear at lowering. Every group has one exponent. Shift constraints then raise group exponents
// until e_out >= e_in + e_w holds everywhere (exponents only grow, so this terminates). Each tensor keeps the
// reason for its exponent (calibration method, alignment, sharing, override, refinement, shift constraint).
// Last, plan_operands (src/quant/plan_operands.cpp) records how every node reads each operand from the final
// exponents; read_exponent below is the one rule for reading a tensor at another width.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <optional>

#include "espq/quantize.hpp"
#include "espq/support.hpp"
#include "quant/op_classes.hpp"
#include "quant/plan_operands.hpp"

namespace espq {

namespace {

struct Groups {
    std::vector<int> parent;
    explicit Groups(size_t n) : parent(n) { std::iota(parent.begin(), parent.end(), 0); }
    int find(int v) { return parent[v] == v ? v : parent[v] = find(parent[v]); }
    // Joins b's group into a's group; a's root stays the root (its exponent is the group's).
    void join_into(int a, int b) { parent[find(b)] = find(a); }
};

// Levenshtein distance, for suggesting the node name a user probably meant.
size_t edit_distance(const std::string& a, const std::string& b) {
    std::vector<size_t> row(b.size() + 1);
    std::iota(row.begin(), row.end(), size_t{0});
    for (size_t i = 1; i <= a.size(); ++i) {
        size_t diagonal = row[0];
        row[0] = i;
        for (size_t j = 1; j <= b.size(); ++j) {
            const size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = up;
        }
    }
    return row.back();
}

}  // namespace

void check_node_bits(const Graph& graph, const std::map<std::string, int>& node_bits, const Graph* original) {
    auto has_node = [](const Graph& g, const std::string& name) {
        return std::any_of(g.nodes.begin(), g.nodes.end(), [&](const Node& n) { return n.name == name; });
    };
    for (const auto& [name, bits] : node_bits) {
        if (!has_node(graph, name)) {
            if (original && has_node(*original, name))
                throw UserError("precision override names node '" + name + "', which the optimizer passes merged "
                                "into a neighbouring node (a fused Conv/Gemm keeps the Conv's or Gemm's name, a fused "
                                "HardSwish/Swish the Mul's, a fused LayerNormalization the Div's): name the node that "
                                "remains");
            // Suggest a node whose name contains every '/'-separated part of the given one (users shorten the
            // exporter's long scope paths), else the nearest by edit distance.
            std::vector<std::string> parts;
            for (size_t b = 0, e; b <= name.size(); b = e + 1) {
                e = std::min(name.find('/', b), name.size());
                if (e > b) parts.push_back(name.substr(b, e - b));
            }
            std::string nearest;
            std::pair<bool, size_t> best{true, SIZE_MAX};
            for (const Node& n : graph.nodes) {
                const bool all_parts = std::all_of(parts.begin(), parts.end(), [&](const std::string& p) {
                    return n.name.find(p) != std::string::npos;
                });
                const std::pair<bool, size_t> score{!all_parts, edit_distance(name, n.name)};
                if (score < best) best = score, nearest = n.name;
            }
            throw UserError("precision override names node '" + name + "', which is not in the model" +
                            (nearest.empty() ? std::string() : "; did you mean '" + nearest + "'?") +
                            " (node names are the ONNX node names)");
        }
        if (bits != 8 && bits != 16)
            throw UserError("node '" + name + "': precision override of " + std::to_string(bits) +
                            " bits; ESP-DL runs a layer at 8 or 16 bits");
    }
}

int read_exponent(int exponent, int from_bits, const std::optional<int>& exponent8, int bits) {
    if (bits > from_bits) return exponent - (bits - from_bits);
    if (bits < from_bits) return exponent8 ? std::max(*exponent8, exponent) : exponent + (from_bits - bits);
    return exponent;
}

int read_exponent(const TensorQuant& t, int bits) {
    if (t.bits != 0) return read_exponent(t.exponent, t.bits, t.exponent8, bits);
    auto it = t.quantize_exponents.find(bits);
    if (it == t.quantize_exponents.end())
        throw InternalError("plan: a float tensor is read at " + std::to_string(bits) +
                            " bits but no QuantizeLinear exponent was planned for that width");
    return it->second;
}

QuantPlan plan_quantization(const Graph& g, const std::vector<TensorStats>& stats, const PlanOptions& options) {
    if (options.bits != 8 && options.bits != 16)
        throw UserError("--bits " + std::to_string(options.bits) + ": ESP-DL quantizes to 8 or 16 bits");
    QuantPlan plan;
    plan.target = options.target;
    const size_t nv = g.values.size();
    plan.tensors.assign(nv, TensorQuant{});

    // 1. Precision per node (mixed precision overrides by node name).
    check_node_bits(g, options.node_bits);
    for (size_t i = 0; i < g.nodes.size(); ++i) {
        auto it = options.node_bits.find(g.nodes[i].name);
        plan.node_bits[static_cast<int>(i)] = it != options.node_bits.end() ? it->second : options.bits;
    }

    if (options.narrow_to_supported_widths) {
        std::map<std::string, int> narrowed;  // op type -> node count
        for (size_t i = 0; i < g.nodes.size(); ++i) {
            const Node& n = g.nodes[i];
            const OpSupportEntry* e = find_op_support(n.op_type);
            int& bits = plan.node_bits[static_cast<int>(i)];
            if (!e || bits <= e->widest_bits || options.node_bits.count(n.name)) continue;
            bits = e->widest_bits;
            ++narrowed[n.op_type];
        }
        for (const auto& [op, count] : narrowed)
            plan.notes.push_back(std::to_string(count) + " " + op + " node(s) kept at " +
                                 std::to_string(find_op_support(op)->widest_bits) + " bits: ESP-DL runs " + op +
                                 " at no wider integer width (their neighbours read them through a "
                                 "RequantizeLinear)");
    }

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
        t.reason = options.method == CalibMethod::Auto && t.bits >= 16
                       ? "minmax with one bit of headroom (auto, 16-bit)"
                   : options.method == CalibMethod::Auto ? "mse (auto, 8-bit)"
                                                         : calib_method_name(options.method);
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
    // Why a group's exponent was moved from its root's calibrated one (override, refinement, shift constraint).
    std::vector<std::string> group_reason(nv);
    auto set_group_exponent = [&](int v, int e, const std::string& why) {
        E(v) = e;
        group_reason[groups.find(v)] = why;
    };

    for (const auto& [name, e] : options.tuned_exponents) {
        const int v = g.find(name);
        if (v < 0 || plan.tensors[v].bits == 0) throw UserError("tuned exponent for unknown tensor '" + name + "'");
        set_group_exponent(v, e, "minmax, chosen by emulated output error");
    }
    // User overrides pin a group's exponent.
    for (const auto& [name, e] : options.exponent_overrides) {
        const int v = g.find(name);
        if (v < 0 || plan.tensors[v].bits == 0)
            throw UserError("exponent override names tensor '" + name +
                            "', which is not a quantized activation of the (optimized) graph");
        set_group_exponent(v, e, "pinned by the user (exponent override)");
        plan.notes.push_back("tensor '" + name + "': exponent set to " + std::to_string(e) + " by override");
    }

    // Mixed precision: 8-bit readers of a 16-bit tensor get an 8-bit exponent of their own, chosen from the
    // tensor's statistics like any 8-bit tensor's. Deriving it as exponent + 8 would carry the 16-bit range
    // (and its headroom) into 8 bits and waste one to three bits there.
    std::vector<std::optional<int>> e8(nv);
    for (size_t i = 0; i < g.nodes.size(); ++i)
        for (int in : g.nodes[i].inputs)
            if (in >= 0 && plan.tensors[in].bits == 16 && plan.node_bits[static_cast<int>(i)] == 8 && !e8[in])
                e8[in] = choose_exponent(stats[in], 8, options.method);
    // Float tensors (a mid-graph Softmax output) read by integer nodes: a QuantizeLinear per reading width, its
    // exponent calibrated at that width like any activation's.
    for (size_t i = 0; i < g.nodes.size(); ++i)
        for (int in : g.nodes[i].inputs) {
            if (in < 0 || !quantized_dtype(in) || plan.tensors[in].bits != 0) continue;
            const int bits = plan.node_bits[static_cast<int>(i)];
            auto& qe = plan.tensors[in].quantize_exponents;
            if (qe.count(bits)) continue;
            if (stats.size() != nv || stats[in].count == 0)
                throw InternalError("plan_quantization: no statistics for tensor '" + g.value(in).name + "'");
            qe[bits] = choose_exponent(stats[in], bits, options.method);
        }
    auto read_exponent_of = [&](int v, int bits) {
        const TensorQuant& t = plan.tensors[v];
        return t.bits == 0 ? read_exponent(t, bits) : read_exponent(E(v), t.bits, e8[v], bits);
    };

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
                // Per-channel weights too: max-abs over the whole tensor is the coarsest channel's exponent,
                // which bounds every channel's shift. A computed MatMul operand is read at the node's width like
                // the first one (docs/esp-dl-arithmetic.md §6.18).
                const int ew = wv.constant ? weight_exponent(*wv.constant, bits) : read_exponent_of(n.inputs[1], bits);
                need = read_exponent_of(in, bits) + ew;  // the input is read at the node's width
            } else if (n.op_type == "Mul" && n.num_inputs() == 2) {
                int sum = 0;
                for (int j = 0; j < 2; ++j) {
                    const Value& iv = g.value(n.inputs[j]);
                    const int ob = plan.tensors[out].bits;
                    sum += iv.constant ? weight_exponent(*iv.constant, ob)
                                       : read_exponent_of(n.inputs[j], ob);
                }
                need = sum;
            }
            if (need != INT32_MIN && E(out) < need) {
                plan.notes.push_back("tensor '" + g.value(out).name + "': exponent raised from " +
                                     std::to_string(E(out)) + " to " + std::to_string(need) + " so that the " +
                                     n.op_type + " '" + n.name + "' requantization shift is not negative");
                set_group_exponent(out, need, "raised so that the " + n.op_type + " '" + n.name +
                                                  "' requantization shift is not negative");
                changed = true;
            }
        }
        if (!changed) break;
        if (round == 63) throw InternalError("plan_quantization: shift constraints did not converge");
    }
    for (size_t v = 0; v < nv; ++v) {
        TensorQuant& t = plan.tensors[v];
        if (t.bits) t.exponent = E(static_cast<int>(v));
        const int root = groups.find(static_cast<int>(v));
        if (t.bits && !group_reason[root].empty())
            t.reason = root == static_cast<int>(v) ? group_reason[root] : t.reason + "; " + group_reason[root];
        if (e8[v]) plan.tensors[v].exponent8 = read_exponent_of(static_cast<int>(v), 8);
    }
    // 5. How every node reads its operands, from the final exponents.
    quant::plan_operands(g, plan);
    return plan;
}

}  // namespace espq
