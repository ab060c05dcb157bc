// LayerNormalization (ONNX opset 17+), float32: each slice X[i0, ..., i_{axis-1}, :, ..., :] is normalised over
// the axes [axis, rank):  Y = (X - mean) / sqrt(var + epsilon) * Scale + B, with the population variance.
// Scale and the optional B broadcast to X.shape[axis:]. Statistics are accumulated in double. The optional Mean
// and InvStdDev outputs are not supported.
#include <algorithm>
#include <cmath>

#include "float_kernels/window.hpp"

namespace espq::float_kernels {
namespace {

int64_t normalized_axis(const Node& node, int64_t rank) {
    const int64_t axis = node.attr_int("axis", -1);
    if (axis < -rank || axis >= rank)
        throw_node_error(
            node, "attribute axis=" + std::to_string(axis) + " is out of range for X of rank " + std::to_string(rank));
    return axis < 0 ? axis + rank : axis;
}

// Element strides that read `param` (right-aligned, dims 1 or equal) as if it had shape `target`.
std::vector<int64_t> broadcast_strides(const Shape& param, const Shape& target) {
    std::vector<int64_t> strides(target.size(), 0);
    int64_t step = 1;
    for (size_t i = 0; i < param.size(); ++i) {
        const size_t p = param.size() - 1 - i, t = target.size() - 1 - i;
        strides[t] = param[p] == 1 ? 0 : step;
        step *= param[p];
    }
    return strides;
}

// Expands `param` to the normalised shape (row-major) into `out`.
void expand(const Tensor& param, const Shape& target, float* out) {
    const auto strides = broadcast_strides(param.shape(), target);
    const float* src = param.data<float>();
    const int64_t count = shape_numel(target);
    std::vector<int64_t> index(target.size(), 0);
    for (int64_t e = 0; e < count; ++e) {
        int64_t offset = 0;
        for (size_t i = 0; i < target.size(); ++i) offset += index[i] * strides[i];
        out[e] = src[offset];
        for (size_t i = target.size(); i-- > 0;) {
            if (++index[i] < target[i]) break;
            index[i] = 0;
        }
    }
}

void infer_layer_normalization(InferContext& ctx) {
    const Shape& x = require_float_input(ctx, 0, "X", 1);
    const int64_t axis = normalized_axis(ctx.node, static_cast<int64_t>(x.size()));
    const Shape normalized(x.begin() + axis, x.end());
    for (int i = 1; i <= 2; ++i) {
        if (i == 2 && !ctx.in(2)) break;
        const char* what = i == 1 ? "Scale" : "B";
        const Shape& p = require_float_input(ctx, i, what);
        bool ok = p.size() <= normalized.size();
        for (size_t k = 0; ok && k < p.size(); ++k) {
            const int64_t d = p[p.size() - 1 - k], t = normalized[normalized.size() - 1 - k];
            ok = d == t || d == 1;
        }
        if (!ok)
            ctx.error(std::string(what) + " has shape " + shape_str(p) + ", which does not broadcast to the " +
                      "normalised shape " + shape_str(normalized) + " (X " + shape_str(x) + ", axis " +
                      std::to_string(axis) + ")");
    }
    const int64_t stash = ctx.node.attr_int("stash_type", 1);
    if (stash != 1) ctx.error("stash_type=" + std::to_string(stash) + " is not supported (only 1, float32)");
    reject_outputs_from(ctx, 1, "the Mean and InvStdDev outputs are training-only");
    Value& y = ctx.out(0);
    y.dtype = DType::Float32;
    y.shape = x;
}

std::unique_ptr<FloatKernel> prepare_layer_normalization(const Node& node, const Graph& graph) {
    const Shape& x = graph.value(node.input(0)).shape;
    const int64_t axis = normalized_axis(node, static_cast<int64_t>(x.size()));
    const Shape normalized(x.begin() + axis, x.end());
    const double epsilon = node.attr_float("epsilon", 1e-5f);
    return make_kernel(
        [normalized, epsilon](const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out, KernelScratch& s) {
            const int64_t d = shape_numel(normalized);
            const int64_t rows = d ? in[0]->numel() / d : 0;
            float* scale = s.get<float>(0, static_cast<size_t>(2 * d));
            float* bias = scale + d;
            expand(*in[1], normalized, scale);
            if (in.size() > 2 && in[2])
                expand(*in[2], normalized, bias);
            else
                std::fill(bias, bias + d, 0.f);
            const float* xp = in[0]->data<float>();
            float* yp = out[0]->data<float>();
            for (int64_t r = 0; r < rows; ++r) {
                const float* xr = xp + r * d;
                float* yr = yp + r * d;
                double sum = 0;
                for (int64_t j = 0; j < d; ++j) sum += xr[j];
                const double mean = sum / static_cast<double>(d);
                double sq = 0;
                for (int64_t j = 0; j < d; ++j) sq += (xr[j] - mean) * (xr[j] - mean);
                const double inv_std = 1.0 / std::sqrt(sq / static_cast<double>(d) + epsilon);
                for (int64_t j = 0; j < d; ++j)
                    yr[j] = static_cast<float>((xr[j] - mean) * inv_std) * scale[j] + bias[j];
            }
        });
}

}  // namespace

ESPQ_REGISTER_FLOAT_OP(FloatOpDef{"LayerNormalization", infer_layer_normalization, prepare_layer_normalization});

}  // namespace espq::float_kernels
