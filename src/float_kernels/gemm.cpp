// Gemm (ONNX opsets 11-18): Y = alpha * A' * B' + beta * C, where A' = transA ? A^T : A (M x K),
// B' = transB ? B^T : B (K x N) and the optional C broadcasts unidirectionally to (M, N). Float32, Eigen GEMM.
#include "float_kernels/fused_activation.hpp"
#include "float_kernels/eigen_maps.hpp"
#include "float_kernels/window.hpp"

namespace espq::float_kernels {
namespace {

struct GemmShape {
    int64_t m = 0, k = 0, n = 0;
    bool trans_a = false, trans_b = false;
    float alpha = 1.f, beta = 1.f;
    int64_t c_rows = 0, c_cols = 0;  // C viewed as 2-D: 1 or m rows, 1 or n columns; 0 rows if C is absent
};

GemmShape gemm_shape(const Node& node, const Shape& a, const Shape& b, const Shape* c) {
    GemmShape s;
    s.trans_a = node.attr_int("transA", 0) != 0;
    s.trans_b = node.attr_int("transB", 0) != 0;
    s.alpha = node.attr_float("alpha", 1.f);
    s.beta = node.attr_float("beta", 1.f);
    if (a.size() != 2 || b.size() != 2)
        throw_node_error(node, "A has shape " + shape_str(a) + " and B has shape " + shape_str(b) +
                                   "; Gemm needs 2-D A and B (use MatMul for other ranks)");
    s.m = s.trans_a ? a[1] : a[0];
    s.k = s.trans_a ? a[0] : a[1];
    const int64_t kb = s.trans_b ? b[1] : b[0];
    s.n = s.trans_b ? b[0] : b[1];
    if (kb != s.k)
        throw_node_error(node, "inner dimensions differ: A" + std::string(s.trans_a ? "^T" : "") + " is " +
                                   std::to_string(s.m) + "x" + std::to_string(s.k) + " but B" +
                                   (s.trans_b ? "^T" : "") + " is " + std::to_string(kb) + "x" + std::to_string(s.n));
    if (c) {
        if (c->size() > 2)
            throw_node_error(node, "C has shape " + shape_str(*c) + "; it must broadcast to (M, N) = (" +
                                       std::to_string(s.m) + ", " + std::to_string(s.n) + ")");
        s.c_rows = c->size() == 2 ? (*c)[0] : 1;
        s.c_cols = c->empty() ? 1 : c->back();
        if ((s.c_rows != 1 && s.c_rows != s.m) || (s.c_cols != 1 && s.c_cols != s.n))
            throw_node_error(node, "C has shape " + shape_str(*c) + ", which does not broadcast to (M, N) = (" +
                                       std::to_string(s.m) + ", " + std::to_string(s.n) + ")");
    }
    return s;
}

class GemmKernel : public FloatKernel {
public:
    explicit GemmKernel(const GemmShape& s) : s_(s) {}

    void run(const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out, KernelScratch&) const override {
        const Tensor* c = in.size() > 2 ? in[2] : nullptr;
        RowMap y(out[0]->data<float>(), s_.m, s_.n);
        if (c && s_.beta != 0.f) {
            const float* cp = c->data<float>();
            for (int64_t i = 0; i < s_.m; ++i) {
                const float* crow = cp + (s_.c_rows == 1 ? 0 : i * s_.c_cols);
                for (int64_t j = 0; j < s_.n; ++j) y(i, j) = s_.beta * crow[s_.c_cols == 1 ? 0 : j];
            }
        } else {
            y.setZero();
        }
        const Tensor& a = *in[0];
        const Tensor& b = *in[1];
        ConstRowMap am(a.data<float>(), a.dim(0), a.dim(1));
        ConstRowMap bm(b.data<float>(), b.dim(0), b.dim(1));
        // Four spelled-out cases so that Eigen sees the transposes statically and picks its GEMM directly.
        if (!s_.trans_a && !s_.trans_b)
            y.noalias() += s_.alpha * (am * bm);
        else if (!s_.trans_a)
            y.noalias() += s_.alpha * (am * bm.transpose());
        else if (!s_.trans_b)
            y.noalias() += s_.alpha * (am.transpose() * bm);
        else
            y.noalias() += s_.alpha * (am.transpose() * bm.transpose());
    }

private:
    GemmShape s_;
};

void infer_gemm(InferContext& ctx) {
    const Shape& a = require_float_input(ctx, 0, "A");
    const Shape& b = require_float_input(ctx, 1, "B");
    const Shape* c = ctx.in(2) ? &require_float_input(ctx, 2, "C") : nullptr;
    const GemmShape s = gemm_shape(ctx.node, a, b, c);
    reject_outputs_from(ctx, 1, "Gemm has one output");
    Value& y = ctx.out(0);
    y.dtype = DType::Float32;
    y.shape = {s.m, s.n};
}

std::unique_ptr<FloatKernel> prepare_gemm(const Node& node, const Graph& graph) {
    const Shape* c = node.input(2) >= 0 ? &graph.value(node.input(2)).shape : nullptr;
    return with_fused_activation(node, std::make_unique<GemmKernel>(gemm_shape(
                                           node, graph.value(node.input(0)).shape, graph.value(node.input(1)).shape, c)));
}

}  // namespace

ESPQ_REGISTER_FLOAT_OP(FloatOpDef{"Gemm", infer_gemm, prepare_gemm});

}  // namespace espq::float_kernels
