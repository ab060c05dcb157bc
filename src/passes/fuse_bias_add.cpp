// Conv/ConvTranspose/Gemm followed by Add (or Sub) of a per-channel constant: the constant becomes (part of) the bias,
// which ESP-DL adds inside the accumulator for free.
#include "passes/factories.hpp"

namespace espq::passes {

namespace {

// Per-output-channel values of `t` for a producer output of shape `out`, or empty if `t` is not of that
// form (channel axis 1 for Conv, last axis for Gemm).
std::vector<float> per_channel(const Tensor& t, const Shape& out, bool conv) {
    const size_t axis = conv ? 1 : out.size() - 1;
    const int64_t c = out.at(axis);
    if (t.numel() != c && t.numel() != 1) return {};
    // The constant's shape, right-aligned against `out`, may only be non-1 on the channel axis.
    const Shape& ts = t.shape();
    if (ts.size() > out.size()) return {};
    for (size_t k = 0; k < ts.size(); ++k) {
        const size_t oa = out.size() - ts.size() + k;
        if (ts[k] != 1 && oa != axis) return {};
    }
    auto v = t.cast(DType::Float32).to_vector<float>();
    if (v.size() == 1) v.assign(static_cast<size_t>(c), v[0]);
    return v;
}

class FuseBiasAdd : public RewriteRule {
public:
    std::string name() const override { return "fuse_bias_add"; }
    std::vector<std::string> target_ops() const override { return {"Add", "Sub"}; }
    bool condition(const Graph& g, int i) const override { return match(g, i).producer >= 0; }
    void apply(Graph& g, int i) const override {
        const Match m = match(g, i);
        Node& prod = g.nodes[m.producer];
        const Shape& out = g.value(prod.outputs[0]).shape;
        const bool conv = prod.op_type != "Gemm";  // Conv or ConvTranspose: channel axis 1
        const int64_t c = out.at(conv ? 1 : out.size() - 1);
        std::vector<float> bias(static_cast<size_t>(c), 0.f);
        if (prod.input(2) >= 0) {
            auto b = g.value(prod.inputs[2]).constant->cast(DType::Float32).to_vector<float>();
            const float beta = conv ? 1.f : prod.attr_float("beta", 1.f);
            for (int64_t k = 0; k < c; ++k) bias[k] = beta * (b.size() == 1 ? b[0] : b[k]);
        }
        for (int64_t k = 0; k < c; ++k) bias[k] += m.sign * m.values[k];
        if (!conv) prod.attrs["beta"] = 1.0f;
        const std::string bname = g.unique_name(prod.name + ".bias");
        const int b = g.add_constant(bname, Tensor::from<float>({c}, bias));
        Node& p2 = g.nodes[m.producer];
        p2.inputs.resize(3, kNoValue);
        p2.inputs[2] = b;
        pass_util::bypass(g, i, p2.outputs[0]);
    }

private:
    struct Match {
        int producer = -1;
        std::vector<float> values;
        float sign = 1.f;
    };
    static Match match(const Graph& g, int i) {
        const Node& n = g.nodes[i];
        if (n.num_inputs() != 2) return {};
        for (int side = 0; side < 2; ++side) {
            const int x = n.inputs[side], k = n.inputs[1 - side];
            if (n.op_type == "Sub" && side == 1) break;  // const - x is not a bias
            const Tensor* kt = pass_util::constant_of(g, k);
            if (!kt || pass_util::constant_of(g, x)) continue;
            const int p = pass_util::producer_of(g, x);
            if (p < 0 || pass_util::sole_consumer(g, x) != i) continue;
            const Node& prod = g.nodes[p];
            if (prod.op_type != "Conv" && prod.op_type != "ConvTranspose" && prod.op_type != "Gemm") continue;
            if (prod.attr_string("activation", "Linear") != "Linear") continue;  // the add comes after the Relu
            if (prod.input(2) >= 0 && !pass_util::constant_of(g, prod.input(2))) continue;
            if (prod.op_type == "Gemm") {
                const Tensor* c = pass_util::constant_of(g, prod.input(2));
                if (c && c->numel() != 1 && c->numel() != g.value(x).shape.back()) continue;
            }
            if (g.value(n.outputs[0]).shape != g.value(x).shape) continue;  // Add must not broadcast x up
            Match m;
            m.values = per_channel(*kt, g.value(x).shape, prod.op_type != "Gemm");
            if (m.values.empty()) continue;
            if (!pass_util::can_bypass(g, i, x)) continue;
            m.producer = p;
            m.sign = n.op_type == "Sub" ? -1.f : 1.f;
            return m;
        }
        return {};
    }
};

}  // namespace

std::unique_ptr<GraphPass> make_fuse_bias_add() { return std::make_unique<FuseBiasAdd>(); }

}  // namespace espq::passes
