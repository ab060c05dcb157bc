// LayerNormalization against a naive reference written from docs/esp-dl-arithmetic.md §6.17: int32 sum, mean
// in double rounded to float, float variance in element order, ESP-DL's Newton square root, Scale and B in the
// activation dtype with their own exponents, and the target's rounding of the float result.
#include <cmath>

#include "emu_harness.hpp"

namespace espq::test {
namespace {

// One rounding per operation, as the docs describe the module's statements: the volatile store keeps the host
// compiler from fusing a product into the following addition.
float mul(float a, float b) {
    volatile float p = a * b;
    return p;
}

// ESP-DL's Newton square root as §6.17 describes it.
float ref_newton_sqrt(float x) {
    if (x == 0.f) return 0.f;
    for (float r = x;;) {
        const float next = static_cast<float>(0.5 * static_cast<double>(r + x / r));
        if (std::fabs(next - r) <= 0.00001f) return next;
        r = next;
    }
}

struct LnCase {
    Shape shape;
    int64_t axis;
    int e_in, e_out, e_scale, e_bias;
    bool with_bias;
    float epsilon;
    int x_max = 0;  // inputs in [-x_max - 1, x_max]; 0: the dtype's range
};

template <typename T>
std::vector<T> ref_layer_norm(const std::vector<T>& x, const LnCase& c, const std::vector<T>& scale,
                              const std::vector<T>& bias, bool half_even) {
    const int64_t rank = static_cast<int64_t>(c.shape.size());
    const int64_t axis = c.axis < 0 ? c.axis + rank : c.axis;
    int64_t inner = 1;
    for (int64_t d = axis; d < rank; ++d) inner *= c.shape[static_cast<size_t>(d)];
    const int64_t rows = static_cast<int64_t>(x.size()) / inner;
    const float s_in = std::ldexp(1.0f, c.e_in), s_scale = std::ldexp(1.0f, c.e_scale);
    const float s_bias = std::ldexp(1.0f, c.e_bias), s_out = std::ldexp(1.0f, -c.e_out);
    const double lo = std::numeric_limits<T>::min(), hi = std::numeric_limits<T>::max();
    std::vector<T> y(x.size());
    for (int64_t r = 0; r < rows; ++r) {
        int64_t sum = 0;
        for (int64_t j = 0; j < inner; ++j) sum += x[r * inner + j];
        float mean = static_cast<float>(static_cast<double>(sum) / static_cast<double>(inner));
        float var = 0.f;
        for (int64_t j = 0; j < inner; ++j) {
            const float d = static_cast<float>(x[r * inner + j]) - mean;
            var = var + mul(d, d);
        }
        mean = mul(mean, s_in);
        var = mul(var, s_in * s_in);
        var = var / static_cast<float>(inner);
        const float inv = 1.0f / ref_newton_sqrt(var + c.epsilon);
        for (int64_t j = 0; j < inner; ++j) {
            const float v = static_cast<float>(x[r * inner + j]) * s_in;
            const float normalized = mul(v - mean, inv);
            const float scaled = mul(normalized, static_cast<float>(scale[j]) * s_scale);
            const float result = scaled + (c.with_bias ? static_cast<float>(bias[j]) * s_bias : 0.f);
            const float t = mul(result, s_out);
            const double q = half_even ? std::nearbyint(t) : std::floor(t + 0.5f);
            y[r * inner + j] = static_cast<T>(std::min(hi, std::max(lo, q)));
        }
    }
    return y;
}

template <typename T>
void check_case(const LnCase& c, Target target, uint32_t seed) {
    const DType dt = std::is_same_v<T, int8_t> ? DType::Int8 : DType::Int16;
    const int qmax = std::numeric_limits<T>::max();
    const int64_t rank = static_cast<int64_t>(c.shape.size());
    const int64_t axis = c.axis < 0 ? c.axis + rank : c.axis;
    const Shape normalized(c.shape.begin() + axis, c.shape.end());
    const size_t n = static_cast<size_t>(shape_numel(c.shape)), inner = static_cast<size_t>(shape_numel(normalized));
    // Rows with a large spread and rows with a tiny one (the epsilon and the Newton root's absolute stop matter).
    const int x_max = c.x_max ? c.x_max : qmax;
    std::vector<T> x = random_values<T>(n, -x_max - 1, x_max, seed);
    for (size_t i = 0; i < inner && inner < n; ++i) x[i] = static_cast<T>(3 + (i % 2));
    const std::vector<T> scale = random_values<T>(inner, -qmax - 1, qmax, seed + 1);
    const std::vector<T> bias = random_values<T>(inner, -qmax - 1, qmax, seed + 2);

    EmuGraph eg;
    std::vector<int> ins{eg.input("x", dt, c.shape, c.e_in), eg.constant("scale", Tensor::from<T>(normalized, scale),
                                                                          {c.e_scale})};
    if (c.with_bias) ins.push_back(eg.constant("bias", Tensor::from<T>(normalized, bias), {c.e_bias}));
    const int out = eg.value("y", dt, c.e_out);
    eg.node("LayerNormalization", ins, {out}, {{"axis", c.axis}, {"epsilon", c.epsilon}});
    eg.output(out);
    const std::vector<T> got = eg.run({Tensor::from<T>(c.shape, x)}, target).at(0).template to_vector<T>();
    const std::vector<T> want = ref_layer_norm<T>(x, c, scale, bias, target_policy(target).rounding == Rounding::HalfEven);
    ASSERT_EQ(got.size(), want.size());
    int mismatches = 0;
    for (size_t i = 0; i < got.size(); ++i) mismatches += got[i] != want[i];
    EXPECT_EQ(mismatches, 0) << target_name(target);
}

const LnCase kCases[] = {
    {{1, 10, 16}, -1, -4, -5, -7, -6, true, 1e-5f},   // PP-OCR-like: tokens x channels
    {{2, 3, 5, 4}, 2, -6, -4, -8, -9, true, 1e-6f},   // the last two axes
    {{4, 24}, 1, 0, -6, -5, 0, false, 1e-3f},         // no B, e_in = 0
    {{3, 7}, -1, 2, -3, -7, -2, true, 1e-5f},         // a coarse input (positive exponent)
};

TEST(EmuLayerNormalization, Int8MatchesTheReferenceOnEveryTarget) {
    uint32_t seed = 10;
    for (const LnCase& c : kCases)
        for (Target t : all_targets()) check_case<int8_t>(c, t, seed += 3);
}

TEST(EmuLayerNormalization, Int16MatchesTheReferenceOnEveryTarget) {
    uint32_t seed = 50;
    for (LnCase c : kCases) {
        c.e_in -= 8, c.e_out -= 8, c.e_scale -= 8, c.e_bias -= 8;
        for (Target t : all_targets()) check_case<int16_t>(c, t, seed += 3);
    }
}

TEST(EmuLayerNormalization, NewtonSquareRootNotSqrtf) {
    // var + epsilon ~ 4e-7 (std ~ 5e-4, epsilon 1e-7): the Newton iteration stops on an absolute step of 1e-5 and
    // is off by up to ~1e-4 relative there, which moves int16 outputs of ~10^4 LSB across rounding boundaries.
    const LnCase c{{8, 64}, -1, -18, -14, -15, -15, true, 1e-7f, 240};
    for (Target t : all_targets()) check_case<int16_t>(c, t, 91);
}

TEST(EmuLayerNormalization, TiesFollowTheTargetRounding) {
    // x = +-1, epsilon 0: mean 0, variance 1, the root is exactly 1, so y = +-1 * 3 * 2^-1 = +-1.5 at e_out = 0.
    for (Target t : all_targets()) {
        EmuGraph eg;
        const int x = eg.input("x", DType::Int8, {1, 4}, 0);
        const int s = eg.constant("scale", Tensor::from<int8_t>({4}, {3, 3, 3, 3}), {-1});
        const int y = eg.value("y", DType::Int8, 0);
        eg.node("LayerNormalization", {x, s}, {y}, {{"axis", int64_t{-1}}, {"epsilon", 0.0f}});
        eg.output(y);
        const auto got = eg.run({Tensor::from<int8_t>({1, 4}, {1, 1, -1, -1})}, t).at(0).to_vector<int8_t>();
        const std::vector<int8_t> want = target_policy(t).rounding == Rounding::HalfEven
                                             ? std::vector<int8_t>{2, 2, -2, -2}
                                             : std::vector<int8_t>{2, 2, -1, -1};
        EXPECT_EQ(got, want) << target_name(t);
    }
}

TEST(EmuLayerNormalization, ScaleMustCoverTheNormalisedSlice) {
    EmuGraph eg;
    const int x = eg.input("x", DType::Int8, {1, 4, 6}, -4);
    const int s = eg.constant("scale", Tensor::from<int8_t>({1}, {64}), {-6});
    const int y = eg.value("y", DType::Int8, -5);
    eg.node("LayerNormalization", {x, s}, {y}, {{"axis", int64_t{-1}}});
    eg.output(y);
    EXPECT_TRUE(message_has([&] { eg.run({Tensor(DType::Int8, {1, 4, 6})}); }, "one per normalised element"));
}

}  // namespace
}  // namespace espq::test
