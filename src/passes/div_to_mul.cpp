// Div(x, c) with a constant divisor -> Mul(x, 1/c). ESP-DL has no quantized Div; a Mul by a constant is one
// elementwise kernel with the reciprocal quantized like any other constant. x / c and x * (1/c) differ by at
// most one float rounding. Exporters (PyTorch `x / 255`, Paddle2ONNX scale layers) emit this often.
#include <cmath>

#include "passes/factories.hpp"

namespace espq::passes {

namespace {
class DivToMul : public RewriteRule {
public:
    std::string name() const override { return "div_to_mul"; }
    std::vector<std::string> target_ops() const override { return {"Div"}; }
    bool condition(const Graph& g, int i) const override {
        const Node& n = g.nodes[i];
        if (n.num_inputs() != 2 || pass_util::constant_of(g, n.inputs[0])) return false;
        const Tensor* c = pass_util::constant_of(g, n.inputs[1]);
        if (!c || dtype_is_integer(c->dtype()) || g.value(n.outputs[0]).dtype != DType::Float32) return false;
        for (double v : c->as_doubles())
            if (v == 0 || !std::isfinite(v) || !std::isfinite(1 / v)) return false;
        return true;
    }
    void apply(Graph& g, int i) const override {
        const Tensor c = pass_util::constant_of(g, g.nodes[i].inputs[1])->cast(DType::Float32);
        Tensor r(DType::Float32, c.shape());
        for (int64_t k = 0; k < c.numel(); ++k) r.data<float>()[k] = 1.f / c.data<float>()[k];
        const int rv = g.add_constant(g.unique_name(g.value(g.nodes[i].inputs[1]).name + "_reciprocal"), std::move(r));
        Node& n = g.nodes[i];
        n.op_type = "Mul";
        n.inputs[1] = rv;
    }
};
}  // namespace

std::unique_ptr<GraphPass> make_div_to_mul() { return std::make_unique<DivToMul>(); }

}  // namespace espq::passes
