// Conv/ConvTranspose/Gemm/MatMul whose only consumer is a Relu: the Relu becomes the op's `activation` attribute, as
// ESP-DL's modules apply it after requantization. The op then produces the Relu's output tensor, so
// calibration sees (and quantizes) exactly the tensor the chip stores.
#include "passes/factories.hpp"

namespace espq::passes {

namespace {
class FuseConvRelu : public RewriteRule {
public:
    std::string name() const override { return "fuse_conv_relu"; }
    std::vector<std::string> target_ops() const override { return {"Relu"}; }
    bool condition(const Graph& g, int i) const override {
        const Node& relu = g.nodes[i];
        const int x = relu.inputs.at(0);
        const int p = pass_util::producer_of(g, x);
        if (p < 0) return false;
        const Node& prod = g.nodes[p];
        if (prod.op_type != "Conv" && prod.op_type != "ConvTranspose" && prod.op_type != "Gemm" &&
            prod.op_type != "MatMul")
            return false;
        if (prod.attr_string("activation", "Linear") != "Linear") return false;
        return pass_util::sole_consumer(g, x) == i && pass_util::can_bypass(g, i, x);
    }
    void apply(Graph& g, int i) const override {
        const int x = g.nodes[i].inputs[0];
        const int p = pass_util::producer_of(g, x);
        g.nodes[p].attrs["activation"] = std::string("Relu");
        pass_util::bypass(g, i, x);
    }
};
}  // namespace

std::unique_ptr<GraphPass> make_fuse_conv_relu() { return std::make_unique<FuseConvRelu>(); }

}  // namespace espq::passes
