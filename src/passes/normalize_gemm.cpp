// Gemm in the form ESP-DL runs: transA = 0, transB = 0 with the constant weight stored [K, N], alpha folded
// into the weight and beta into the bias (the device asserts alpha = beta = 1 and transB absent or 0).
#include "passes/factories.hpp"

namespace espq::passes {

namespace {
class NormalizeGemm : public RewriteRule {
public:
    std::string name() const override { return "normalize_gemm"; }
    std::vector<std::string> target_ops() const override { return {"Gemm"}; }
    bool condition(const Graph& g, int i) const override {
        const Node& n = g.nodes[i];
        if (n.attr_int("transA", 0) != 0) return false;
        const Tensor* b = pass_util::constant_of(g, n.input(1));
        if (!b || b->rank() != 2) return false;
        if (n.input(2) >= 0 && !pass_util::constant_of(g, n.input(2))) return false;
        const bool has_c = n.input(2) >= 0;
        return n.attr_int("transB", 0) != 0 || n.attr_float("alpha", 1.f) != 1.f ||
               (has_c && n.attr_float("beta", 1.f) != 1.f) || n.has_attr("transA");
    }
    void apply(Graph& g, int i) const override {
        Node& n = g.nodes[i];
        Tensor b = pass_util::constant_of(g, n.inputs[1])->cast(DType::Float32);
        const float alpha = n.attr_float("alpha", 1.f), beta = n.attr_float("beta", 1.f);
        const bool trans = n.attr_int("transB", 0) != 0;
        const int64_t rows = b.dim(0), cols = b.dim(1);
        const int64_t k = trans ? cols : rows, nn = trans ? rows : cols;
        Tensor kn(DType::Float32, {k, nn});
        for (int64_t r = 0; r < rows; ++r)
            for (int64_t c = 0; c < cols; ++c)
                kn.data<float>()[trans ? c * nn + r : r * nn + c] = alpha * b.data<float>()[r * cols + c];
        const std::string wname = g.value(n.inputs[1]).name;
        const int w = g.add_constant(g.unique_name(wname + "_kn"), std::move(kn));
        Node& m = g.nodes[i];
        m.inputs[1] = w;
        if (m.input(2) >= 0 && beta != 1.f) {
            Tensor c = pass_util::constant_of(g, m.inputs[2])->cast(DType::Float32);
            for (int64_t j = 0; j < c.numel(); ++j) c.data<float>()[j] *= beta;
            const std::string cname = g.value(m.inputs[2]).name;
            const int cb = g.add_constant(g.unique_name(cname + "_scaled"), std::move(c));
            g.nodes[i].inputs[2] = cb;
        }
        Node& r = g.nodes[i];
        r.attrs.erase("transA");
        r.attrs["transB"] = int64_t{0};
        r.attrs["alpha"] = 1.0f;
        r.attrs["beta"] = 1.0f;
    }
};
}  // namespace

std::unique_ptr<GraphPass> make_normalize_gemm() { return std::make_unique<NormalizeGemm>(); }

}  // namespace espq::passes
