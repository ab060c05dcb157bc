// Opt-in (--relu6-to-relu): Clip(0, 6) -> Relu. It changes the float function (values above 6 pass), which
// is why it is off by default; it helps per-tensor power-of-two quantization because ReLU6 caps ranges at 6
// but blocks layerwise equalization's rescaling (ReLU is scale-equivariant, ReLU6 is not).
#include "passes/factories.hpp"

namespace espq::passes {

namespace {

// Bounds of a Clip node (opset >= 11: optional inputs 1 and 2; older: min/max attributes).
bool clip_bounds(const Graph& g, const Node& n, float& lo, float& hi) {
    lo = -3.4e38f;
    hi = 3.4e38f;
    if (n.has_attr("min")) lo = n.attr_float("min", lo);
    if (n.has_attr("max")) hi = n.attr_float("max", hi);
    for (int k = 1; k <= 2; ++k) {
        if (n.input(k) < 0) continue;
        const Tensor* t = pass_util::constant_of(g, n.input(k));
        if (!t || t->numel() != 1) return false;
        (k == 1 ? lo : hi) = static_cast<float>(t->as_doubles()[0]);
    }
    return true;
}

class Relu6ToRelu : public RewriteRule {
public:
    std::string name() const override { return "relu6_to_relu"; }
    bool changes_function() const override { return true; }
    std::vector<std::string> target_ops() const override { return {"Clip"}; }
    bool condition(const Graph& g, int i) const override {
        float lo, hi;
        return clip_bounds(g, g.nodes[i], lo, hi) && lo == 0.f && hi == 6.f;
    }
    void apply(Graph& g, int i) const override {
        Node& n = g.nodes[i];
        n.op_type = "Relu";
        n.attrs.clear();
        n.inputs.resize(1);
    }
};
}  // namespace

std::unique_ptr<GraphPass> make_relu6_to_relu() { return std::make_unique<Relu6ToRelu>(); }

}  // namespace espq::passes
