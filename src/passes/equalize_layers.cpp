// Opt-in (--equalize): layerwise (cross-layer) weight equalization.
//
// Why: ESP32-S3 quantizes every weight tensor with one power-of-two exponent. When the output channels of a
// layer have very different weight ranges (typical after BatchNorm folding, worst in depthwise convolutions),
// the small channels are quantized to a few levels. Scaling output channel c of a layer by 1/s_c and the
// matching input channel of every consumer by s_c leaves the function unchanged as long as everything in between
// is positively homogeneous (f(x/s) = f(x)/s for s > 0: Relu, PRelu, LeakyRelu, max/average pooling, Add of two
// scaled tensors). Choosing s_c = sqrt(r1_c / r2_c), with r1_c the range of the producers' channel c and r2_c the
// range of the consumers' input channel c, makes both ranges sqrt(r1_c * r2_c).
//
// A channel group is a set of tensors connected through such homogeneous ops (a residual stream joined by Adds is
// one group); its producers must all be Conv/Gemm with constant weights and a Linear or Relu activation, and its
// consumers Conv/Gemm reading it as their data input. Groups touching anything else (Clip, Sigmoid, Mul,
// Concat, graph inputs/outputs) are left alone, so ReLU6 models need --relu6-to-relu first. Each channel's
// scale is limited to [1/kMaxScale, kMaxScale] so that a nearly dead channel is not blown up; the groups are
// balanced repeatedly because a depthwise layer is consumer of one group and producer of the next.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "passes/factories.hpp"

namespace espq::passes {

namespace {

constexpr int kIterations = 10;  // as ESP-PPQ's equalization recipe; measured: 1, 2 and 10 sweeps are within noise
constexpr double kNoticeable = 1e-3;  // a first sweep below this everywhere means "already balanced"
constexpr double kMaxScale = 64.0;

bool is_weighted(const Node& n) { return n.op_type == "Conv" || n.op_type == "Gemm"; }

// Ops that commute with a positive per-channel scale and keep the channel axis (axis 1 of NCHW / [N, C]).
bool is_homogeneous(const Graph& g, const Node& n) {
    static const char* const kOps[] = {"Relu",        "LeakyRelu",         "MaxPool",          "AveragePool",
                                       "GlobalAveragePool", "GlobalMaxPool", "Identity", "Dropout"};
    if (std::find(std::begin(kOps), std::end(kOps), n.op_type) != std::end(kOps)) return true;
    if (n.op_type == "PRelu") {
        // The slope must broadcast along channels only (or be a scalar) to commute with channel scaling.
        return pass_util::constant_of(g, n.input(1)) != nullptr;
    }
    if (n.op_type == "Add") {
        for (int v : n.inputs)
            if (v < 0 || pass_util::constant_of(g, v) || g.value(v).shape != g.value(n.outputs[0]).shape) return false;
        return true;
    }
    if (n.op_type == "Flatten" || n.op_type == "Reshape") {
        // [N, C, 1, 1] -> [N, C]: the channel index survives.
        const Shape& in = g.value(n.inputs[0]).shape;
        const Shape& out = g.value(n.outputs[0]).shape;
        return in.size() >= 2 && out.size() == 2 && in[1] == out[1] &&
               std::all_of(in.begin() + 2, in.end(), [](int64_t d) { return d == 1; });
    }
    return false;
}

// A layer whose channels are scaled: its constant weight (float copy) and where the channel axis lies.
struct Layer {
    int node = -1;
    Tensor weight;   // Conv [M, C/g, kh, kw]; Gemm [K, N] (normalize_gemm's form)
    Tensor bias;     // empty when absent
};

struct Group {
    std::vector<int> producers;  // node indices, scaled on output channels
    std::vector<int> consumers;  // node indices, scaled on input channels
    int64_t channels = 0;
};

class EqualizeLayers : public GraphPass {
public:
    explicit EqualizeLayers(int iterations) : iterations_(iterations) {}
    std::string name() const override { return "equalize_layers"; }
    bool run_once() const override { return true; }

    int run(Graph& g) const override {
        std::vector<Group> groups = find_groups(g);
        if (groups.empty()) return 0;
        std::map<int, Layer> layers;
        for (const Group& grp : groups)
            for (const auto* list : {&grp.producers, &grp.consumers})
                for (int n : *list)
                    if (!layers.count(n)) layers[n] = load_layer(g, n);

        int changed_groups = 0;
        for (int it = 0; it < iterations_; ++it) {
            for (const Group& grp : groups) {
                const std::vector<double> s = balance_scales(g, layers, grp);
                double change = 0;
                for (double x : s) change = std::max(change, std::abs(x - 1));
                if (it == 0 && change > kNoticeable) ++changed_groups;
                for (int n : grp.producers) scale_outputs(g, layers[n], s);
                for (int n : grp.consumers) scale_inputs(g, layers[n], s);
            }
            if (changed_groups == 0) return 0;  // already balanced
        }
        for (auto& [n, layer] : layers) store_layer(g, layer);
        spdlog::debug("equalize_layers: {} channel group(s) balanced", changed_groups);
        return changed_groups;
    }

private:
    static std::vector<Group> find_groups(const Graph& g) {
        const auto consumers = g.consumers();
        const auto producers = g.producers();
        std::vector<int> group_of(g.values.size(), -1);
        std::vector<Group> groups;
        std::vector<bool> valid;
        for (size_t start = 0; start < g.nodes.size(); ++start) {
            const Node& p = g.nodes[start];
            if (!is_weighted(p) || p.outputs.size() != 1 || group_of[p.outputs[0]] >= 0) continue;
            // Flood the tensors reachable from this layer's output through homogeneous ops (both directions).
            const int id = static_cast<int>(groups.size());
            groups.emplace_back();
            valid.push_back(true);
            Group& grp = groups.back();
            std::vector<int> stack = {p.outputs[0]};
            group_of[p.outputs[0]] = id;
            std::vector<int> members;
            auto add_value = [&](int v) {
                if (v < 0 || pass_util::constant_of(g, v)) return;
                if (group_of[v] == id) return;
                if (group_of[v] >= 0) valid[id] = false;  // touches a group already judged: keep it simple
                group_of[v] = id;
                stack.push_back(v);
            };
            while (!stack.empty()) {
                const int v = stack.back();
                stack.pop_back();
                members.push_back(v);
                if (g.is_graph_output(v) || g.is_graph_input(v)) valid[id] = false;
                const int prod = producers[v];
                if (prod < 0) {
                    valid[id] = false;
                } else if (is_weighted(g.nodes[prod])) {
                    if (std::find(grp.producers.begin(), grp.producers.end(), prod) == grp.producers.end())
                        grp.producers.push_back(prod);
                } else if (is_homogeneous(g, g.nodes[prod])) {
                    for (int in : g.nodes[prod].inputs) add_value(in);
                } else {
                    valid[id] = false;
                }
                for (int c : consumers[v]) {
                    const Node& cn = g.nodes[c];
                    if (is_weighted(cn) && cn.inputs[0] == v &&
                        std::count(cn.inputs.begin(), cn.inputs.end(), v) == 1) {
                        if (std::find(grp.consumers.begin(), grp.consumers.end(), c) == grp.consumers.end())
                            grp.consumers.push_back(c);
                    } else if (is_homogeneous(g, cn)) {
                        for (int in : cn.inputs) add_value(in);
                        for (int out : cn.outputs) add_value(out);
                    } else {
                        valid[id] = false;
                    }
                }
            }
            if (valid[id]) valid[id] = usable(g, consumers, grp, members);
        }
        std::vector<Group> out;
        for (size_t i = 0; i < groups.size(); ++i)
            if (valid[i] && !groups[i].producers.empty() && !groups[i].consumers.empty()) out.push_back(groups[i]);
        // Layers shared between groups would be scaled by both; the flood above already rejects shared tensors,
        // and a layer is producer of at most one group (one output) and consumer of at most one (one data input).
        return out;
    }

    // Every layer has a constant float weight only it reads, a constant bias (if any) only it reads, a
    // scale-compatible activation, and all of them agree on the channel count.
    static bool usable(const Graph& g, const std::vector<std::vector<int>>& consumers, Group& grp,
                       const std::vector<int>& members) {
        auto private_constant = [&](int v) {
            return v >= 0 && pass_util::constant_of(g, v) && consumers[v].size() == 1 &&
                   !g.is_graph_output(v) && is_float(pass_util::constant_of(g, v)->dtype());
        };
        int64_t channels = -1;
        auto agree = [&](int64_t c) {
            if (channels < 0) channels = c;
            return channels == c;
        };
        for (int n : grp.producers) {
            const Node& node = g.nodes[n];
            const std::string act = node.attr_string("activation", "Linear");
            if (act != "Linear" && act != "Relu") return false;
            if (!private_constant(node.input(1))) return false;
            if (node.input(2) >= 0 && !private_constant(node.input(2))) return false;
            const Tensor& w = *pass_util::constant_of(g, node.input(1));
            const int64_t out_channels = node.op_type == "Conv" ? w.dim(0) : w.rank() == 2 ? w.dim(1) : -1;
            if (node.input(2) >= 0 && pass_util::constant_of(g, node.input(2))->numel() != out_channels)
                return false;  // a broadcast bias cannot take per-channel scales
            if (node.op_type == "Gemm" && (node.attr_int("transB", 0) != 0 || w.rank() != 2)) return false;
            if (!agree(node.op_type == "Conv" ? w.dim(0) : w.dim(1))) return false;
        }
        for (int n : grp.consumers) {
            const Node& node = g.nodes[n];
            if (!private_constant(node.input(1))) return false;
            const Tensor& w = *pass_util::constant_of(g, node.input(1));
            if (node.op_type == "Gemm" && (node.attr_int("transB", 0) != 0 || w.rank() != 2)) return false;
            const int64_t in_channels =
                node.op_type == "Conv" ? w.dim(1) * node.attr_int("group", 1) : w.dim(0);
            if (!agree(in_channels)) return false;
        }
        // Every member tensor carries the channels on axis 1.
        for (int v : members) {
            const Shape& s = g.value(v).shape;
            if (s.size() < 2 || s[1] != channels) return false;
        }
        grp.channels = channels;
        return channels > 0;
    }

    static Layer load_layer(const Graph& g, int n) {
        Layer l;
        l.node = n;
        l.weight = pass_util::constant_of(g, g.nodes[n].input(1))->cast(DType::Float32);
        if (g.nodes[n].input(2) >= 0) l.bias = pass_util::constant_of(g, g.nodes[n].input(2))->cast(DType::Float32);
        return l;
    }

    static void store_layer(Graph& g, Layer& l) {
        Node& node = g.nodes[l.node];
        const DType wt = g.value(node.inputs[1]).constant->dtype();
        g.value(node.inputs[1]).constant = l.weight.cast(wt);
        if (!l.bias.empty()) {
            const DType bt = g.value(node.inputs[2]).constant->dtype();
            g.value(node.inputs[2]).constant = l.bias.cast(bt);
        }
    }

    // Visits every weight element of channel c on the producer side (output channel) ...
    template <typename F>
    static void for_output_channel(const Node& n, Tensor& w, int64_t c, F&& f) {
        float* d = w.data<float>();
        if (n.op_type == "Conv") {
            const int64_t per = w.numel() / w.dim(0);
            for (int64_t i = 0; i < per; ++i) f(d[c * per + i]);
        } else {
            const int64_t k = w.dim(0), cols = w.dim(1);
            for (int64_t r = 0; r < k; ++r) f(d[r * cols + c]);
        }
    }

    // ... and on the consumer side (input channel).
    template <typename F>
    static void for_input_channel(const Node& n, Tensor& w, int64_t c, F&& f) {
        float* d = w.data<float>();
        if (n.op_type == "Conv") {
            const int64_t groups = n.attr_int("group", 1);
            const int64_t m = w.dim(0), cpg = w.dim(1), m_per_group = m / groups;
            const int64_t kernel = w.numel() / (m * cpg);
            const int64_t grp = c / cpg, col = c % cpg;
            for (int64_t o = grp * m_per_group; o < (grp + 1) * m_per_group; ++o)
                for (int64_t k = 0; k < kernel; ++k) f(d[(o * cpg + col) * kernel + k]);
        } else {
            const int64_t cols = w.dim(1);
            for (int64_t j = 0; j < cols; ++j) f(d[c * cols + j]);
        }
    }

    static std::vector<double> balance_scales(const Graph& g, std::map<int, Layer>& layers, const Group& grp) {
        std::vector<double> s(grp.channels, 1.0);
        for (int64_t c = 0; c < grp.channels; ++c) {
            double r1 = 0, r2 = 0;
            for (int n : grp.producers)
                for_output_channel(g.nodes[n], layers[n].weight, c,
                                   [&](float& x) { r1 = std::max(r1, double(std::abs(x))); });
            for (int n : grp.consumers)
                for_input_channel(g.nodes[n], layers[n].weight, c,
                                  [&](float& x) { r2 = std::max(r2, double(std::abs(x))); });
            if (r1 > 0 && r2 > 0) s[c] = std::clamp(std::sqrt(r1 / r2), 1.0 / kMaxScale, kMaxScale);
        }
        return s;
    }

    static void scale_outputs(const Graph& g, Layer& l, const std::vector<double>& s) {
        const Node& n = g.nodes[l.node];
        for (size_t c = 0; c < s.size(); ++c) {
            const float inv = static_cast<float>(1.0 / s[c]);
            for_output_channel(n, l.weight, static_cast<int64_t>(c), [&](float& x) { x *= inv; });
            if (!l.bias.empty()) l.bias.data<float>()[c] *= inv;
        }
    }

    static void scale_inputs(const Graph& g, Layer& l, const std::vector<double>& s) {
        const Node& n = g.nodes[l.node];
        for (size_t c = 0; c < s.size(); ++c) {
            const float k = static_cast<float>(s[c]);
            for_input_channel(n, l.weight, static_cast<int64_t>(c), [&](float& x) { x *= k; });
        }
    }

    int iterations_;

    static bool is_float(DType t) { return t == DType::Float32 || t == DType::Float16 || t == DType::Float64; }
};

}  // namespace

std::unique_ptr<GraphPass> make_equalize_layers() { return std::make_unique<EqualizeLayers>(kIterations); }

}  // namespace espq::passes
