// Softmax and LogSoftmax (float32).
//
// Opset 13+ normalises along the single dimension `axis` (default -1). Opsets 1-12 coerce the input to 2-D
// [prod(dims[:axis]), prod(dims[axis:])] and normalise each row (default axis 1); the two agree only when
// `axis` is the last dimension, so the graph's opset decides.
#include <cmath>
#include <limits>

#include "float_kernels/op_helpers.hpp"

namespace espq::float_kernels {
namespace {

struct SoftmaxGeometry {
    int64_t outer = 1;  // independent slices
    int64_t n = 1;      // elements normalised together
    int64_t inner = 1;  // stride between them
};

SoftmaxGeometry geometry(const Shape& shape, int axis, bool coerce_2d) {
    SoftmaxGeometry g;
    for (int k = 0; k < axis; ++k) g.outer *= shape[k];
    if (coerce_2d) {
        for (size_t k = axis; k < shape.size(); ++k) g.n *= shape[k];
    } else {
        g.n = shape[axis];
        for (size_t k = axis + 1; k < shape.size(); ++k) g.inner *= shape[k];
    }
    return g;
}

bool coerces_2d(const Graph& graph) {
    return graph.opset() < 13;
}

int softmax_axis(const Node& node, const Graph& graph, int64_t rank, const InferContext* ctx) {
    const int64_t axis = node.attr_int("axis", coerces_2d(graph) ? 1 : -1);
    if (ctx) return normalize_axis(*ctx, axis, rank, "axis");
    return static_cast<int>(axis < 0 ? axis + rank : axis);
}

void infer_softmax(InferContext& ctx) {
    check_arity(ctx, 1, 1, 1, 1);
    require_dtype(ctx, 0, "input", {DType::Float32});
    const Shape& x = ctx.in(0)->shape;
    const int64_t rank = static_cast<int64_t>(x.size());
    if (rank == 0) ctx.error("input must have rank >= 1, got a scalar");
    softmax_axis(ctx.node, ctx.graph, rank, &ctx);
    set_output(ctx, 0, DType::Float32, x);
}

template <bool kLog>
void softmax_slice(const float* x, float* y, const SoftmaxGeometry& g, float* max_buf, float* sum_buf) {
    const int64_t n = g.n, inner = g.inner;
    for (int64_t j = 0; j < inner; ++j) {
        max_buf[j] = -std::numeric_limits<float>::infinity();
        sum_buf[j] = 0.f;
    }
    for (int64_t k = 0; k < n; ++k)
        for (int64_t j = 0; j < inner; ++j) max_buf[j] = std::fmax(max_buf[j], x[k * inner + j]);
    for (int64_t k = 0; k < n; ++k)
        for (int64_t j = 0; j < inner; ++j) {
            const float e = std::exp(x[k * inner + j] - max_buf[j]);
            if (!kLog) y[k * inner + j] = e;
            sum_buf[j] += e;
        }
    if (kLog) {
        for (int64_t j = 0; j < inner; ++j) sum_buf[j] = max_buf[j] + std::log(sum_buf[j]);
        for (int64_t k = 0; k < n; ++k)
            for (int64_t j = 0; j < inner; ++j) y[k * inner + j] = x[k * inner + j] - sum_buf[j];
    } else {
        for (int64_t k = 0; k < n; ++k)
            for (int64_t j = 0; j < inner; ++j) y[k * inner + j] /= sum_buf[j];
    }
}

template <bool kLog>
std::unique_ptr<FloatKernel> prepare_softmax(const Node& node, const Graph& graph) {
    const Shape& x = graph.value(node.inputs.at(0)).shape;
    const int axis = softmax_axis(node, graph, static_cast<int64_t>(x.size()), nullptr);
    const SoftmaxGeometry g = geometry(x, axis, coerces_2d(graph));
    return make_kernel(
        [g, x, node](const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out, KernelScratch& scratch) {
            expect_shape(*in[0], x, node);
            float* max_buf = scratch.get<float>(0, static_cast<size_t>(g.inner));
            float* sum_buf = scratch.get<float>(1, static_cast<size_t>(g.inner));
            const float* src = in[0]->data<float>();
            float* dst = out[0]->data<float>();
            const int64_t slice = g.n * g.inner;
            for (int64_t o = 0; o < g.outer; ++o)
                softmax_slice<kLog>(src + o * slice, dst + o * slice, g, max_buf, sum_buf);
        });
}

ESPQ_REGISTER_FLOAT_OP(FloatOpDef{"Softmax", infer_softmax, prepare_softmax<false>});
ESPQ_REGISTER_FLOAT_OP(FloatOpDef{"LogSoftmax", infer_softmax, prepare_softmax<true>});

}  // namespace
}  // namespace espq::float_kernels
