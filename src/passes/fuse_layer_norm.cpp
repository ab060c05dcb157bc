// The decomposed layer normalisation that exporters write for opset <= 16 (paddle2onnx, older PyTorch), fused
// back into one LayerNormalization node, which ESP-DL runs as one module in float (docs/esp-dl-arithmetic.md
// §6.17). Left decomposed, the divisor of Div(d, Sqrt(...)) is computed at run time, which ESP-DL cannot run.
//
//   mean = ReduceMean(x, axes = the last k axes, keepdims = 1)
//   d    = Sub(x, mean)
//   p    = Pow(d, 2) | Mul(d, d)
//   v    = ReduceMean(p, same axes, keepdims = 1)
//   s    = Sqrt(Add(v, eps))                        eps: a constant scalar, on either side of the Add
//   y    = Div(d, s) | Mul(d, Reciprocal(s))
//   [y   = Mul(y, gamma)]  [y = Add(y, beta)]       gamma, beta: constants over the normalised axes
//   ->  LayerNormalization(x, gamma or ones, [beta]; axis = rank - k, epsilon = eps)
//
// Every intermediate must feed only the next node of the pattern and must not be a graph output, else the graph
// is left as it is. The fused node takes the name of the Div (or normalising Mul), the node `espq check` would
// otherwise report. It computes the statistics in double where the pattern computed in float32: same function.
#include <algorithm>
#include <optional>
#include <set>

#include "passes/factories.hpp"

namespace espq::passes {

namespace {

struct LayerNormMatch {
    int x = -1;         // normalised input
    int64_t axis = 0;   // first normalised axis
    float epsilon = 0;
    int last = -1;      // node replaced by the fused node (the last node of the pattern)
    int normalize = -1; // the Div / normalising Mul, whose name the fused node keeps
    int out = -1;       // value the fused node writes
    int gamma = -1, beta = -1;  // constant value ids, -1 when absent
};

bool is_op(const Graph& g, int node, const char* op) { return node >= 0 && g.nodes[node].op_type == op; }

// The other input of binary node n, when `v` is one of its inputs (-1 otherwise).
int other_input(const Node& n, int v) {
    if (n.inputs.size() != 2) return -1;
    if (n.inputs[0] == v) return n.inputs[1];
    if (n.inputs[1] == v) return n.inputs[0];
    return -1;
}

bool scalar_constant(const Graph& g, int v, double& value) {
    const Tensor* t = pass_util::constant_of(g, v);
    if (!t || t->numel() != 1 || t->dtype() != DType::Float32) return false;
    value = t->as_doubles()[0];
    return true;
}

// The reduced axes of a ReduceMean with keepdims = 1 when they are the last k axes of a rank-`rank` input:
// returns the first of them, or -1.
int64_t trailing_axes_start(const Graph& g, const Node& n, size_t rank) {
    if (n.attr_int("keepdims", 1) != 1) return -1;
    std::vector<int64_t> axes = pass_util::reduce_axes(g, n, rank);
    const bool axes_given = n.has_attr("axes") || n.input(1) >= 0;
    if (axes.empty()) {
        // No axes: every axis, unless noop_with_empty_axes (opset 18) makes it an identity.
        if (axes_given || n.attr_int("noop_with_empty_axes", 0) != 0) return -1;
        return 0;
    }
    const int64_t first = static_cast<int64_t>(rank) - static_cast<int64_t>(axes.size());
    for (size_t k = 0; k < axes.size(); ++k)
        if (axes[k] != first + static_cast<int64_t>(k)) return -1;
    return first;
}

// gamma / beta: a float constant whose shape, right-aligned against x's, is 1 on every axis before `axis`, so
// that it only varies over the normalised axes.
bool per_normalized_position(const Graph& g, int v, const Shape& x, int64_t axis) {
    const Tensor* t = pass_util::constant_of(g, v);
    if (!t || t->dtype() != DType::Float32 || t->rank() > static_cast<int>(x.size())) return false;
    const Shape& s = t->shape();
    for (size_t i = 0; i < s.size(); ++i) {
        const int64_t xi = static_cast<int64_t>(x.size() - s.size() + i);
        if (s[i] != 1 && (xi < axis || s[i] != x[static_cast<size_t>(xi)])) return false;
    }
    return true;
}

class FuseLayerNorm : public RewriteRule {
public:
    std::string name() const override { return "fuse_layer_norm"; }
    std::vector<std::string> target_ops() const override { return {"ReduceMean"}; }
    bool condition(const Graph& g, int i) const override { return match(g, i).has_value(); }
    void apply(Graph& g, int i) const override {
        const LayerNormMatch m = *match(g, i);
        const Shape x_shape = g.value(m.x).shape;
        const Shape normalized(x_shape.begin() + m.axis, x_shape.end());
        const std::string base = g.nodes[m.normalize].name;
        // gamma / beta over (a suffix of) the normalised shape: drop the axes that lie before `axis` (all of size
        // 1, checked by the match).
        auto parameter = [&](int v, const std::string& suffix) {
            Tensor t = *pass_util::constant_of(g, v);
            Shape s = t.shape();
            if (s.size() > normalized.size()) s.erase(s.begin(), s.end() - static_cast<std::ptrdiff_t>(normalized.size()));
            if (s.empty()) s = {1};
            if (s == t.shape()) return v;
            t.reshape(s);
            return g.add_constant(g.unique_name(base + suffix), std::move(t));
        };
        int gamma = m.gamma >= 0 ? parameter(m.gamma, "_scale") : -1;
        if (gamma < 0) {
            Tensor ones(DType::Float32, normalized);
            std::fill(ones.data<float>(), ones.data<float>() + ones.numel(), 1.0f);
            gamma = g.add_constant(g.unique_name(base + "_scale"), std::move(ones));
        }
        Node ln;
        ln.name = base;
        ln.op_type = "LayerNormalization";
        ln.inputs = {m.x, gamma};
        if (m.beta >= 0) ln.inputs.push_back(parameter(m.beta, "_bias"));
        ln.outputs = {m.out};
        ln.attrs["axis"] = m.axis;
        ln.attrs["epsilon"] = m.epsilon;
        // The other nodes of the pattern lose their last reader; the driver removes them.
        g.nodes[m.last] = std::move(ln);
    }

private:
    static std::optional<LayerNormMatch> match(const Graph& g, int i) {
        using pass_util::sole_consumer;
        const Node& mean = g.nodes[i];
        LayerNormMatch m;
        m.x = mean.inputs.at(0);
        const Value& xv = g.value(m.x);
        if (xv.is_constant() || xv.dtype != DType::Float32 || !xv.shape_known || xv.shape.empty()) return {};
        const Shape& x_shape = xv.shape;
        m.axis = trailing_axes_start(g, mean, x_shape.size());
        if (m.axis < 0) return {};
        // d = x - mean
        const int sub = sole_consumer(g, mean.outputs[0]);
        if (!is_op(g, sub, "Sub") || g.nodes[sub].inputs != std::vector<int>{m.x, mean.outputs[0]}) return {};
        const int d = g.nodes[sub].outputs[0];
        if (g.value(d).shape != x_shape || g.is_graph_output(d)) return {};
        // d feeds exactly the square and the normalisation.
        std::set<int> readers;
        for (size_t k = 0; k < g.nodes.size(); ++k)
            for (int v : g.nodes[k].inputs)
                if (v == d) readers.insert(static_cast<int>(k));
        if (readers.size() != 2) return {};
        int square = -1, normalize = -1;
        for (int r : readers) {
            const Node& n = g.nodes[r];
            double c = 0;
            const bool is_square = (n.op_type == "Mul" && n.inputs == std::vector<int>{d, d}) ||
                                   (n.op_type == "Pow" && n.inputs.size() == 2 && n.inputs[0] == d &&
                                    scalar_constant(g, n.inputs[1], c) && c == 2.0);
            (is_square ? square : normalize) = r;
        }
        if (square < 0 || normalize < 0) return {};
        // var = ReduceMean(square) over the same axes; s = Sqrt(var + eps)
        const int var = sole_consumer(g, g.nodes[square].outputs[0]);
        if (!is_op(g, var, "ReduceMean") || trailing_axes_start(g, g.nodes[var], x_shape.size()) != m.axis) return {};
        const int add = sole_consumer(g, g.nodes[var].outputs[0]);
        if (!is_op(g, add, "Add")) return {};
        double eps = 0;
        if (!scalar_constant(g, other_input(g.nodes[add], g.nodes[var].outputs[0]), eps) || !(eps >= 0)) return {};
        m.epsilon = static_cast<float>(eps);
        const int sqrt = sole_consumer(g, g.nodes[add].outputs[0]);
        if (!is_op(g, sqrt, "Sqrt")) return {};
        const int s = g.nodes[sqrt].outputs[0];
        // y = d / s, or d * Reciprocal(s)
        const Node& nn = g.nodes[normalize];
        if (nn.op_type == "Div") {
            if (nn.inputs != std::vector<int>{d, s} || sole_consumer(g, s) != normalize) return {};
        } else if (nn.op_type == "Mul") {
            const int rec = sole_consumer(g, s);
            if (!is_op(g, rec, "Reciprocal") || sole_consumer(g, g.nodes[rec].outputs[0]) != normalize ||
                other_input(nn, d) != g.nodes[rec].outputs[0])
                return {};
        } else {
            return {};
        }
        m.normalize = m.last = normalize;
        m.out = nn.outputs[0];
        if (g.value(m.out).shape != x_shape) return {};
        // Optional Mul(y, gamma), then optional Add(y, beta), each with an output of x's shape.
        auto affine = [&](const char* op, int& param) {
            const int next = sole_consumer(g, m.out);
            if (!is_op(g, next, op)) return;
            const int c = other_input(g.nodes[next], m.out);
            if (c < 0 || !per_normalized_position(g, c, x_shape, m.axis)) return;
            if (g.value(g.nodes[next].outputs[0]).shape != x_shape) return;
            param = c;
            m.last = next;
            m.out = g.nodes[next].outputs[0];
        };
        affine("Mul", m.gamma);
        affine("Add", m.beta);
        return m;
    }
};

}  // namespace

std::unique_ptr<GraphPass> make_fuse_layer_norm() { return std::make_unique<FuseLayerNorm>(); }

}  // namespace espq::passes
