// MatMul (ONNX opsets 11-18) with numpy semantics: a 1-D A is a row vector (its M axis is dropped from the
// result), a 1-D B a column vector (its N axis is dropped), and the leading batch axes broadcast. Float32,
// one Eigen GEMM per batch entry; when B has no batch axes and A is contiguous, all of A's batch rows form one
// GEMM.
#include "float_kernels/fused_activation.hpp"
#include "float_kernels/eigen_maps.hpp"
#include "float_kernels/window.hpp"

namespace espq::float_kernels {
namespace {

struct MatMulPlan {
    int64_t m = 0, k = 0, n = 0;
    // Element offsets of A's and B's matrices for each output batch entry (broadcast axes repeat a matrix).
    std::vector<int64_t> a_offsets, b_offsets;
};

// The operands as matrices (or stacks of them): a 1-D A gains a leading 1, a 1-D B a trailing 1.
struct Operands {
    Shape a, b;
    bool a_vector = false, b_vector = false;

    Shape a_batch() const { return Shape(a.begin(), a.end() - 2); }
    Shape b_batch() const { return Shape(b.begin(), b.end() - 2); }
    // The output shape for a broadcast batch shape.
    Shape output(Shape batch) const {
        if (!a_vector) batch.push_back(a[a.size() - 2]);
        if (!b_vector) batch.push_back(b.back());
        return batch;
    }
};

Operands promote(const Node& node, const Shape& a, const Shape& b) {
    if (a.empty() || b.empty()) throw_node_error(node, "MatMul inputs must have rank >= 1 (got a scalar)");
    Operands o{a, b, a.size() == 1, b.size() == 1};
    if (o.a_vector) o.a.insert(o.a.begin(), 1);
    if (o.b_vector) o.b.push_back(1);
    if (o.b[o.b.size() - 2] != o.a.back())
        throw_node_error(node, "inner dimensions differ: A has shape " + shape_str(a) + " and B has shape " +
                                   shape_str(b) + " (A's last axis must equal B's " +
                                   (o.b_vector ? "only" : "second-to-last") + " axis)");
    return o;
}

MatMulPlan plan_matmul(const Operands& o, const Shape& batch) {
    MatMulPlan p;
    p.m = o.a[o.a.size() - 2];
    p.k = o.a.back();
    p.n = o.b.back();
    const Shape a_batch = o.a_batch(), b_batch = o.b_batch();
    // Walk the output batch index in C order; each operand's offset follows its own (broadcast) strides.
    const size_t r = batch.size();
    auto strides_of = [&](const Shape& s, int64_t matrix) {
        std::vector<int64_t> st(r, 0);
        int64_t step = matrix;
        for (size_t i = 0; i < s.size(); ++i) {
            const size_t axis = r - 1 - i;
            const int64_t dim = s[s.size() - 1 - i];
            st[axis] = dim == 1 ? 0 : step;
            step *= dim;
        }
        return st;
    };
    const auto sa = strides_of(a_batch, p.m * p.k), sb = strides_of(b_batch, p.k * p.n);
    const int64_t count = shape_numel(batch);
    std::vector<int64_t> index(r, 0);
    for (int64_t e = 0; e < count; ++e) {
        int64_t oa = 0, ob = 0;
        for (size_t i = 0; i < r; ++i) {
            oa += index[i] * sa[i];
            ob += index[i] * sb[i];
        }
        p.a_offsets.push_back(oa);
        p.b_offsets.push_back(ob);
        for (size_t i = r; i-- > 0;) {
            if (++index[i] < batch[i]) break;
            index[i] = 0;
        }
    }
    // B shared by every batch entry and A's entries back to back: one (batch*M) x K GEMM does it all.
    bool fold = true;
    for (size_t e = 0; e < p.a_offsets.size(); ++e)
        fold = fold && p.b_offsets[e] == 0 && p.a_offsets[e] == static_cast<int64_t>(e) * p.m * p.k;
    if (fold && count > 1) {
        p.m *= count;
        p.a_offsets = {0};
        p.b_offsets = {0};
    }
    return p;
}

class MatMulKernel : public FloatKernel {
public:
    explicit MatMulKernel(MatMulPlan p) : p_(std::move(p)) {}

    void run(const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out, KernelScratch&) const override {
        const float* a = in[0]->data<float>();
        const float* b = in[1]->data<float>();
        float* y = out[0]->data<float>();
        for (size_t e = 0; e < p_.a_offsets.size(); ++e) {
            ConstRowMap am(a + p_.a_offsets[e], p_.m, p_.k);
            ConstRowMap bm(b + p_.b_offsets[e], p_.k, p_.n);
            RowMap ym(y + static_cast<int64_t>(e) * p_.m * p_.n, p_.m, p_.n);
            ym.noalias() = am * bm;
        }
    }

private:
    MatMulPlan p_;
};

void infer_matmul(InferContext& ctx) {
    const Shape& a = require_float_input(ctx, 0, "A", 1);
    const Shape& b = require_float_input(ctx, 1, "B", 1);
    reject_outputs_from(ctx, 1, "MatMul has one output");
    const Operands o = promote(ctx.node, a, b);
    Value& y = ctx.out(0);
    y.dtype = DType::Float32;
    y.shape = o.output(broadcast_shapes(o.a_batch(), o.b_batch(), ctx));
}

std::unique_ptr<FloatKernel> prepare_matmul(const Node& node, const Graph& graph) {
    const Operands o = promote(node, graph.value(node.input(0)).shape, graph.value(node.input(1)).shape);
    // infer has set the output shape: its leading axes are the broadcast batch shape.
    const Shape& out = graph.value(node.outputs.at(0)).shape;
    const size_t matrix_axes = (o.a_vector ? 0 : 1) + (o.b_vector ? 0 : 1);
    return with_fused_activation(
        node, std::make_unique<MatMulKernel>(plan_matmul(o, Shape(out.begin(), out.end() - matrix_axes))));
}

}  // namespace

ESPQ_REGISTER_FLOAT_OP(FloatOpDef{"MatMul", infer_matmul, prepare_matmul});

}  // namespace espq::float_kernels
