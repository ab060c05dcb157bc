// Activation functions (float32): Relu, LeakyRelu, Sigmoid, Tanh, HardSigmoid, HardSwish, Elu, Gelu, and
// Swish (x * sigmoid(x): not an ONNX op, but the op type ESP-PPQ and espq's passes fuse Sigmoid + Mul into).
#include <cmath>

#include "float_kernels/pointwise.hpp"

namespace espq::float_kernels {
namespace {

// Sigmoid with the division in double, as ESP-DL computes it (dl_math.hpp) — also the more accurate form.
inline float sigmoid(float x) {
    return static_cast<float>(1.0 / (1.0 + static_cast<double>(std::exp(-x))));
}

void check_float_attrs(const InferContext& ctx, std::initializer_list<const char*> names) {
    for (const char* n : names) {
        const float v = ctx.node.attr_float(n, 0.f);  // throws if the attribute is not a number
        if (!std::isfinite(v)) ctx.error(std::string("attribute '") + n + "' is not finite");
    }
}

ESPQ_REGISTER_FLOAT_OP(pointwise_float_op("Relu", [](const Node&) {
    return [](float x) { return x < 0.f ? 0.f : x; };  // keeps NaN, like max(x, 0) in numpy
}));

ESPQ_REGISTER_FLOAT_OP(pointwise_float_op(
    "LeakyRelu",
    [](const Node& node) {
        const float alpha = node.attr_float("alpha", 0.01f);
        return [alpha](float x) { return x < 0.f ? alpha * x : x; };
    },
    [](const InferContext& ctx) { check_float_attrs(ctx, {"alpha"}); }));

ESPQ_REGISTER_FLOAT_OP(pointwise_float_op("Sigmoid", [](const Node&) { return [](float x) { return sigmoid(x); }; }));

ESPQ_REGISTER_FLOAT_OP(pointwise_float_op("Tanh", [](const Node&) { return [](float x) { return std::tanh(x); }; }));

ESPQ_REGISTER_FLOAT_OP(pointwise_float_op(
    "HardSigmoid",
    [](const Node& node) {
        const float alpha = node.attr_float("alpha", 0.2f), beta = node.attr_float("beta", 0.5f);
        return [alpha, beta](float x) { return std::fmax(0.f, std::fmin(1.f, alpha * x + beta)); };
    },
    [](const InferContext& ctx) {
        check_float_attrs(ctx, {"alpha", "beta"});
    }));

// ONNX defines x * max(0, min(1, x/6 + 1/2)); this is PyTorch's x * relu6(x + 3) / 6, the function ESP-PPQ
// evaluates to build HardSwish tables (the two differ by rounding only).
ESPQ_REGISTER_FLOAT_OP(pointwise_float_op("HardSwish", [](const Node&) {
    return [](float x) { return x * std::fmin(std::fmax(x + 3.f, 0.f), 6.f) / 6.f; };
}));

ESPQ_REGISTER_FLOAT_OP(pointwise_float_op(
    "Elu",
    [](const Node& node) {
        const float alpha = node.attr_float("alpha", 1.f);
        return [alpha](float x) { return x < 0.f ? alpha * std::expm1(x) : x; };
    },
    [](const InferContext& ctx) { check_float_attrs(ctx, {"alpha"}); }));

// Gelu (opset 20; also exported earlier by converters): "none" is the exact erf form, "tanh" the
// approximation 0.5x(1 + tanh(sqrt(2/pi)(x + 0.044715x^3))).
ESPQ_REGISTER_FLOAT_OP(pointwise_float_op(
    "Gelu",
    [](const Node& node) {
        const bool tanh_form = node.attr_string("approximate", "none") == "tanh";
        return [tanh_form](float x) {
            constexpr float kSqrt2OverPi = 0.7978845608028654f, kSqrtHalf = 0.7071067811865476f;
            if (tanh_form) return 0.5f * x * (1.f + std::tanh(kSqrt2OverPi * (x + 0.044715f * x * x * x)));
            return 0.5f * x * (1.f + std::erf(x * kSqrtHalf));
        };
    },
    [](const InferContext& ctx) {
        const std::string a = ctx.node.attr_string("approximate", "none");
        if (a != "none" && a != "tanh")
            ctx.error("attribute 'approximate' is '" + a + "'; ONNX allows \"none\" (erf) or \"tanh\"");
    }));

ESPQ_REGISTER_FLOAT_OP(pointwise_float_op("Swish", [](const Node&) { return [](float x) { return x * sigmoid(x); }; }));

}  // namespace
}  // namespace espq::float_kernels
