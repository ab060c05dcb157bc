// BatchNormalization (inference) folding: y = a*x + b with a = scale/sqrt(var+eps), b = B - mean*a.
// After a Conv, ConvTranspose or Gemm that feeds only the BN, a and b go into the weights and bias. A BN elsewhere on a
// 3-D/4-D tensor becomes a 1x1 depthwise Conv, which ESP-DL runs (it has no BatchNormalization module).
#include <cmath>

#include "passes/factories.hpp"

namespace espq::passes {

namespace {

struct Affine {
    std::vector<float> a, b;
};

bool bn_constants_ok(const Graph& g, const Node& bn) {
    if (bn.num_inputs() != 5 || bn.outputs.size() != 1) return false;  // training-mode outputs unsupported
    for (int k = 1; k < 5; ++k)
        if (!pass_util::constant_of(g, bn.inputs[k])) return false;
    const int64_t c = pass_util::constant_of(g, bn.inputs[1])->numel();
    for (int k = 2; k < 5; ++k)
        if (pass_util::constant_of(g, bn.inputs[k])->numel() != c) return false;
    const Shape& xs = g.value(bn.inputs[0]).shape;
    return xs.size() >= 2 && xs[1] == c;
}

Affine bn_affine(const Graph& g, const Node& bn) {
    const float eps = bn.attr_float("epsilon", 1e-5f);
    auto scale = pass_util::constant_of(g, bn.inputs[1])->cast(DType::Float32).to_vector<float>();
    auto bias = pass_util::constant_of(g, bn.inputs[2])->cast(DType::Float32).to_vector<float>();
    auto mean = pass_util::constant_of(g, bn.inputs[3])->cast(DType::Float32).to_vector<float>();
    auto var = pass_util::constant_of(g, bn.inputs[4])->cast(DType::Float32).to_vector<float>();
    Affine f;
    for (size_t c = 0; c < scale.size(); ++c) {
        // double keeps the folded weights as close as possible to the unfolded float function
        const double a = static_cast<double>(scale[c]) / std::sqrt(static_cast<double>(var[c]) + eps);
        f.a.push_back(static_cast<float>(a));
        f.b.push_back(static_cast<float>(bias[c] - mean[c] * a));
    }
    return f;
}

int conv_like_producer(const Graph& g, const Node& bn, int bn_index) {
    const int p = pass_util::producer_of(g, bn.inputs[0]);
    if (p < 0) return -1;
    const Node& prod = g.nodes[p];
    if (prod.op_type != "Conv" && prod.op_type != "ConvTranspose" && prod.op_type != "Gemm") return -1;
    if (prod.attr_string("activation", "Linear") != "Linear") return -1;  // BN after a fused Relu
    if (pass_util::sole_consumer(g, bn.inputs[0]) != bn_index) return -1;
    if (!pass_util::constant_of(g, prod.input(1))) return -1;
    if (prod.input(2) >= 0 && !pass_util::constant_of(g, prod.input(2))) return -1;
    if (prod.op_type == "Gemm") {
        if (prod.attr_int("transA", 0) != 0) return -1;
        const Tensor* c = pass_util::constant_of(g, prod.input(2));
        const int64_t n = g.value(bn.inputs[0]).shape.back();
        if (c && c->numel() != 1 && c->numel() != n) return -1;  // a full [M,N] C cannot take a per-column scale
    }
    return p;
}

class FoldBatchNorm : public RewriteRule {
public:
    std::string name() const override { return "fold_batchnorm"; }
    std::vector<std::string> target_ops() const override { return {"BatchNormalization"}; }
    bool condition(const Graph& g, int i) const override {
        const Node& bn = g.nodes[i];
        if (!bn_constants_ok(g, bn)) return false;
        if (conv_like_producer(g, bn, i) >= 0) return pass_util::can_bypass(g, i, bn.inputs[0]);
        const size_t rank = g.value(bn.inputs[0]).shape.size();
        return rank == 3 || rank == 4;
    }
    void apply(Graph& g, int i) const override {
        const Node bn = g.nodes[i];
        const Affine f = bn_affine(g, bn);
        const int64_t c = static_cast<int64_t>(f.a.size());
        const int p = conv_like_producer(g, bn, i);
        if (p >= 0) {
            fold_into_producer(g, p, f);
            pass_util::bypass(g, i, bn.inputs[0]);
            return;
        }
        // Stand-alone BN -> depthwise 1x1 Conv with weight a[c] and bias b[c].
        const size_t rank = g.value(bn.inputs[0]).shape.size();
        Shape wshape = {c, 1, 1};
        if (rank == 4) wshape.push_back(1);
        const int w = g.add_constant(g.unique_name(bn.name + ".weight"), Tensor::from<float>(wshape, f.a));
        const int b = g.add_constant(g.unique_name(bn.name + ".bias"), Tensor::from<float>({c}, f.b));
        Node& n = g.nodes[i];
        n.op_type = "Conv";
        n.attrs.clear();
        n.attrs["group"] = c;
        n.attrs["kernel_shape"] = Attribute::Ints(rank - 2, 1);
        n.inputs = {bn.inputs[0], w, b};
    }

private:
    static void fold_into_producer(Graph& g, int p, const Affine& f) {
        Node& prod = g.nodes[p];
        const Value& wv = g.value(prod.inputs[1]);
        Tensor w = wv.constant->cast(DType::Float32);
        const int64_t c = static_cast<int64_t>(f.a.size());
        float* wd = w.data<float>();
        std::vector<float> bias(static_cast<size_t>(c), 0.f);
        if (prod.op_type != "Gemm") {
            if (prod.op_type == "Conv") {
                const int64_t per = w.numel() / c;
                for (int64_t o = 0; o < c; ++o)
                    for (int64_t k = 0; k < per; ++k) wd[o * per + k] *= f.a[o];
            } else {  // ConvTranspose: W[C_in, C_out/group, k...]; input channel i is in group i / (C_in/group)
                const int64_t group = prod.attr_int("group", 1), cout_g = w.dim(1), cin_g = w.dim(0) / group;
                const int64_t taps = w.numel() / (w.dim(0) * cout_g);
                for (int64_t i = 0; i < w.dim(0); ++i)
                    for (int64_t o = 0; o < cout_g; ++o)
                        for (int64_t k = 0; k < taps; ++k)
                            wd[(i * cout_g + o) * taps + k] *= f.a[i / cin_g * cout_g + o];
            }
            if (prod.input(2) >= 0) bias = g.value(prod.inputs[2]).constant->cast(DType::Float32).to_vector<float>();
            for (int64_t o = 0; o < c; ++o) bias[o] = bias[o] * f.a[o] + f.b[o];
        } else {  // Gemm: y = alpha*A*B' + beta*C, B' = B or B^T; scale output column n
            const bool trans_b = prod.attr_int("transB", 0) != 0;
            const int64_t rows = w.dim(0), cols = w.dim(1);
            for (int64_t r = 0; r < rows; ++r)
                for (int64_t k = 0; k < cols; ++k) wd[r * cols + k] *= f.a[trans_b ? r : k];
            const float beta = prod.attr_float("beta", 1.f);
            if (prod.input(2) >= 0) {
                const Tensor& ct = *g.value(prod.inputs[2]).constant;
                auto cv = ct.cast(DType::Float32).to_vector<float>();
                for (int64_t n = 0; n < c; ++n) bias[n] = beta * (cv.size() == 1 ? cv[0] : cv[n]);
            }
            for (int64_t n = 0; n < c; ++n) bias[n] = bias[n] * f.a[n] + f.b[n];
            prod.attrs["beta"] = 1.0f;
        }
        const std::string base = g.value(prod.inputs[1]).name;
        const int new_w = g.add_constant(g.unique_name(base + "_bn"), std::move(w));
        const int new_b = g.add_constant(g.unique_name(prod.name + ".bias_bn"), Tensor::from<float>({c}, bias));
        Node& pr = g.nodes[p];  // add_constant does not touch nodes, but keep the reference fresh anyway
        pr.inputs.resize(3, kNoValue);
        pr.inputs[1] = new_w;
        pr.inputs[2] = new_b;
    }
};

}  // namespace

std::unique_ptr<GraphPass> make_fold_batchnorm() { return std::make_unique<FoldBatchNorm>(); }

}  // namespace espq::passes
