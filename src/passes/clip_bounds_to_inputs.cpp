// Clip with min/max attributes (opset 6-10) -> Clip with constant min/max inputs (the opset-11 form); an
// infinite bound input (torch `clamp(x, min=0)` exports Clip(x, 0, +inf)) -> the float range, as an absent bound.
//
// Every later stage then reads one form. It matters at int16, where ESP-DL's Clip clamps raw integers with
// bounds given as inputs: an attribute-form Clip lowered as it was had no bounds at all and passed values
// through unclipped (a real Paddle2ONNX MobileNetV3 lost all accuracy that way). The float function is unchanged.
#include <cmath>
#include <limits>

#include "passes/factories.hpp"

namespace espq::passes {

namespace {
class ClipBoundsToInputs : public RewriteRule {
public:
    std::string name() const override { return "clip_bounds_to_inputs"; }
    std::vector<std::string> target_ops() const override { return {"Clip"}; }
    bool condition(const Graph& g, int i) const override {
        const Node& n = g.nodes[i];
        if (g.value(n.inputs[0]).dtype != DType::Float32) return false;
        return ((n.has_attr("min") || n.has_attr("max")) && n.num_inputs() == 1) || infinite_bound(g, n) > 0;
    }
    void apply(Graph& g, int i) const override {
        if (const int k = infinite_bound(g, g.nodes[i]); k > 0) {
            const float x = pass_util::constant_of(g, g.nodes[i].inputs[k])->data<float>()[0];
            const float bound = x > 0 ? std::numeric_limits<float>::max() : std::numeric_limits<float>::lowest();
            const int v = g.add_constant(g.unique_name(g.nodes[i].name + (k == 1 ? "_min" : "_max")),
                                         Tensor::scalar<float>(bound));
            g.nodes[i].inputs[k] = v;
            return;
        }
        // The absent bound of the attribute form is the float range, as ONNX defines it.
        const float lo = g.nodes[i].attr_float("min", std::numeric_limits<float>::lowest());
        const float hi = g.nodes[i].attr_float("max", std::numeric_limits<float>::max());
        const std::string base = g.nodes[i].name;
        const int min_input = g.add_constant(g.unique_name(base + "_min"), Tensor::scalar<float>(lo));
        const int max_input = g.add_constant(g.unique_name(base + "_max"), Tensor::scalar<float>(hi));
        Node& n = g.nodes[i];
        n.attrs.erase("min");
        n.attrs.erase("max");
        n.inputs.resize(1);
        n.inputs.push_back(min_input);
        n.inputs.push_back(max_input);
    }

private:
    // The first bound input (1 = min, 2 = max) that is an infinite float constant, else 0.
    static int infinite_bound(const Graph& g, const Node& n) {
        for (int k = 1; k <= 2; ++k) {
            const Tensor* t = pass_util::constant_of(g, n.input(k));
            if (t && t->dtype() == DType::Float32 && t->numel() == 1 && std::isinf(t->data<float>()[0])) return k;
        }
        return 0;
    }
};
}  // namespace

std::unique_ptr<GraphPass> make_clip_bounds_to_inputs() { return std::make_unique<ClipBoundsToInputs>(); }

}  // namespace espq::passes
