// Max(x, c) / Min(x, c) with a scalar constant c -> Clip(x, min = c) / Clip(x, max = c), and Max(x, 0) -> Relu(x).
// tf2onnx writes ReLU6 and clamps this way (a wake-word model had 19 of them); ESP-DL has no Max/Min module in its
// operator list, but runs Clip and Relu at both widths. The float function is unchanged (a NaN input aside,
// which Max propagates and Clip turns into a bound: NaN never reaches a quantized model).
#include "passes/factories.hpp"

namespace espq::passes {

namespace {
class MinMaxToClip : public RewriteRule {
public:
    std::string name() const override { return "minmax_to_clip"; }
    std::vector<std::string> target_ops() const override { return {"Max", "Min"}; }
    bool condition(const Graph& g, int i) const override { return constant_side(g, g.nodes[i]) >= 0; }
    void apply(Graph& g, int i) const override {
        const int side = constant_side(g, g.nodes[i]);
        Node& n = g.nodes[i];
        const int x = n.inputs[1 - side], c = n.inputs[side];
        const bool is_max = n.op_type == "Max";
        if (is_max && pass_util::constant_of(g, c)->data<float>()[0] == 0.f) {
            n.op_type = "Relu";
            n.inputs = {x};
            return;
        }
        n.op_type = "Clip";
        n.inputs = is_max ? std::vector<int>{x, c} : std::vector<int>{x, kNoValue, c};
    }

private:
    // The input (0 or 1) that is a float scalar constant while the other is a float activation, else -1.
    static int constant_side(const Graph& g, const Node& n) {
        if (n.num_inputs() != 2 || n.inputs[0] < 0 || n.inputs[1] < 0) return -1;
        for (int side = 0; side < 2; ++side) {
            const Tensor* c = pass_util::constant_of(g, n.inputs[side]);
            const int x = n.inputs[1 - side];
            if (!c || c->dtype() != DType::Float32 || c->numel() != 1 || pass_util::constant_of(g, x)) continue;
            // Clip keeps x's shape: a scalar constant must not broadcast x to a higher rank.
            if (g.value(x).dtype != DType::Float32 || static_cast<size_t>(c->rank()) > g.value(x).shape.size()) continue;
            return side;
        }
        return -1;
    }
};
}  // namespace

std::unique_ptr<GraphPass> make_minmax_to_clip() { return std::make_unique<MinMaxToClip>(); }

}  // namespace espq::passes
