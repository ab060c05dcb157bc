// BatchNormalization (ONNX opsets 11-18), inference mode, float32:
//   Y = (X - mean) / sqrt(var + epsilon) * scale + B      per channel (axis 1) of X (N, C, ...).
// Computed as Y = X * a + b with a = scale / sqrt(var + epsilon), b = B - mean * a per channel (in double).
// Training mode (training_mode=1, or the running-statistics outputs) is rejected.
#include <cmath>

#include "float_kernels/window.hpp"

namespace espq::float_kernels {
namespace {

void infer_batch_normalization(InferContext& ctx) {
    const Shape& x = require_float_input(ctx, 0, "X", 2);
    const char* names[] = {"scale", "B", "input_mean", "input_var"};
    for (int i = 1; i <= 4; ++i) {
        const Shape& s = require_float_input(ctx, i, names[i - 1], 1, 1);
        if (s[0] != x[1])
            ctx.error(std::string("input ") + names[i - 1] + " has shape " + shape_str(s) + "; expected (" +
                      std::to_string(x[1]) + "), one value per channel of X " + shape_str(x));
    }
    if (ctx.node.attr_int("training_mode", 0) != 0)
        ctx.error("training_mode=1 is not supported; espq runs inference graphs (export the model in eval mode)");
    if (ctx.node.has_attr("spatial") && ctx.node.attr_int("spatial", 1) != 1)
        ctx.error("spatial=0 (opset < 9) is not supported");
    reject_outputs_from(ctx, 1, "the running mean/variance outputs exist only in training mode");
    Value& y = ctx.out(0);
    y.dtype = DType::Float32;
    y.shape = x;
}

std::unique_ptr<FloatKernel> prepare_batch_normalization(const Node& node, const Graph&) {
    const float epsilon = node.attr_float("epsilon", 1e-5f);
    return make_kernel(
        [epsilon](const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out, KernelScratch& s) {
            const Tensor& x = *in[0];
            const int64_t n = x.dim(0), c = x.dim(1);
            const int64_t plane = (n > 0 && c > 0) ? x.numel() / (n * c) : 0;
            const float* scale = in[1]->data<float>();
            const float* bias = in[2]->data<float>();
            const float* mean = in[3]->data<float>();
            const float* var = in[4]->data<float>();
            float* a = s.get<float>(0, static_cast<size_t>(2 * c));
            float* b = a + c;
            for (int64_t ch = 0; ch < c; ++ch) {
                const double k = scale[ch] / std::sqrt(static_cast<double>(var[ch]) + epsilon);
                a[ch] = static_cast<float>(k);
                b[ch] = static_cast<float>(bias[ch] - mean[ch] * k);
            }
            const float* xp = x.data<float>();
            float* yp = out[0]->data<float>();
            for (int64_t i = 0; i < n; ++i)
                for (int64_t ch = 0; ch < c; ++ch) {
                    const int64_t base = (i * c + ch) * plane;
                    const float ka = a[ch], kb = b[ch];
                    for (int64_t j = 0; j < plane; ++j) yp[base + j] = xp[base + j] * ka + kb;
                }
        });
}

}  // namespace

ESPQ_REGISTER_FLOAT_OP(FloatOpDef{"BatchNormalization", infer_batch_normalization, prepare_batch_normalization});

}  // namespace espq::float_kernels
