// Exponent selection: hand-computed minmax cases, and histogram-based methods checked against direct
// quantization of the raw samples.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "espq/calibration.hpp"

using namespace espq;

namespace {

TensorStats stats_of(const std::vector<float>& x, int bins = 4096) {
    TensorStats s;
    s.min = *std::min_element(x.begin(), x.end());
    s.max = *std::max_element(x.begin(), x.end());
    s.absmax = std::max(std::fabs(s.min), std::fabs(s.max));
    s.count = static_cast<int64_t>(x.size());
    s.hist.assign(bins, 0);
    for (float v : x) s.hist[std::min(bins - 1, static_cast<int>(std::fabs(v) / s.absmax * bins))] += 1;
    return s;
}

// Actual MSE of symmetric power-of-two quantization with round-half-up and full int range.
double direct_mse(const std::vector<float>& x, int bits, int e) {
    const double step = std::ldexp(1.0, e), qmax = std::ldexp(1.0, bits - 1) - 1, qmin = -qmax - 1;
    double err = 0;
    for (float v : x) {
        double q = std::floor(v / step + 0.5);
        q = std::min(qmax, std::max(qmin, q));
        err += (q * step - v) * (q * step - v);
    }
    return err / static_cast<double>(x.size());
}

}  // namespace

TEST(Exponent, MinMaxUsesTheHalfStepBound) {
    // int8: absmax must satisfy absmax / 2^e <= 127.5
    TensorStats s;
    s.absmax = 1.0;  // 1.0 * 128 = 128 > 127.5, so e = -7 does not fit
    EXPECT_EQ(choose_exponent(s, 8, CalibMethod::MinMax), -6);
    s.absmax = 0.99;  // 126.72 fits at e = -7
    EXPECT_EQ(choose_exponent(s, 8, CalibMethod::MinMax), -7);
    s.absmax = 127.5 / 128.0;  // exactly on the bound fits
    EXPECT_EQ(choose_exponent(s, 8, CalibMethod::MinMax), -7);
    s.absmax = 6.0;  // int16: 6 / 2^-12 = 24576 <= 32767.5; 2^-13 gives 49152
    EXPECT_EQ(choose_exponent(s, 16, CalibMethod::MinMax), -12);
    s.absmax = 0;  // ESP-PPQ's minimum scale 1e-8 -> 2^-26
    EXPECT_EQ(choose_exponent(s, 8, CalibMethod::MinMax), -26);
}

TEST(Exponent, WeightExponentIsMinMaxOverValues) {
    Tensor w = Tensor::from<float>({4}, {0.1f, -0.75f, 0.3f, 0.0f});
    EXPECT_EQ(weight_exponent(w, 8), -7);  // 0.75*128 = 96 fits, 0.75*256 = 192 does not
    EXPECT_EQ(weight_exponent(w, 16), -15);
}

TEST(Exponent, MseMatchesDirectQuantizationOnGaussianData) {
    std::mt19937 rng(3);
    std::normal_distribution<float> n(0.f, 1.f);
    std::vector<float> x(200000);
    for (auto& v : x) v = n(rng);
    x[0] = 9.f;  // one outlier makes minmax wasteful
    const TensorStats s = stats_of(x);
    const int e = choose_exponent(s, 8, CalibMethod::MSE);
    int best = 0;
    double best_err = 1e30;
    for (int c = -12; c <= 0; ++c)
        if (direct_mse(x, 8, c) < best_err) best_err = direct_mse(x, 8, c), best = c;
    EXPECT_EQ(e, best);
    EXPECT_LT(e, choose_exponent(s, 8, CalibMethod::MinMax));
    // The histogram estimate is close to the true error at the chosen exponent.
    EXPECT_NEAR(expected_quant_mse(s, 8, e), direct_mse(x, 8, e), 0.2 * direct_mse(x, 8, e));
}

TEST(Exponent, KlClipsLongTailsButNotUniformData) {
    std::mt19937 rng(5);
    std::uniform_real_distribution<float> u(-1.f, 1.f);
    std::vector<float> uni(100000);
    for (auto& v : uni) v = u(rng);
    // Uniform data: no clipping benefit, KL keeps (about) the full range.
    const int e_uni = choose_exponent(stats_of(uni), 8, CalibMethod::KL);
    EXPECT_GE(e_uni, choose_exponent(stats_of(uni), 8, CalibMethod::MinMax) - 1);
    // Laplacian-like data with a long tail: KL picks a finer exponent than minmax.
    std::exponential_distribution<float> ex(4.f);
    std::vector<float> tail(100000);
    for (size_t i = 0; i < tail.size(); ++i) tail[i] = (i % 2 ? 1.f : -1.f) * ex(rng);
    tail[0] = 20.f;
    EXPECT_LT(choose_exponent(stats_of(tail), 8, CalibMethod::KL), choose_exponent(stats_of(tail), 8, CalibMethod::MinMax));
}

TEST(Exponent, PercentileIgnoresTheTopTenThousandth) {
    std::vector<float> x(100000, 0.5f);
    for (int i = 0; i < 5; ++i) x[i] = 100.f;  // 0.005 % outliers
    EXPECT_EQ(choose_exponent(stats_of(x), 8, CalibMethod::Percentile), -7);  // 0.5 at 2^-7 fits
    EXPECT_EQ(choose_exponent(stats_of(x), 8, CalibMethod::MinMax), 0);
}

TEST(Exponent, MethodNamesRoundTrip) {
    for (auto m : {CalibMethod::MinMax, CalibMethod::KL, CalibMethod::Percentile, CalibMethod::MSE, CalibMethod::Auto})
        EXPECT_EQ(parse_calib_method(calib_method_name(m)), m);
    EXPECT_THROW(parse_calib_method("entropy"), UserError);
}

TEST(Exponent, AutoKeepsOneBitOfHeadroomAt16BitsAndStartsFromMseAt8) {
    std::mt19937 rng(11);
    std::normal_distribution<float> n(0.f, 1.f);
    std::vector<float> x(20000);
    for (float& v : x) v = n(rng);
    const TensorStats s = stats_of(x);
    // 16 bits: one exponent coarser than minmax, so values up to twice the calibration maximum still fit.
    EXPECT_EQ(choose_exponent(s, 16, CalibMethod::Auto), choose_exponent(s, 16, CalibMethod::MinMax) + 1);
    EXPECT_GE(32767.0 * std::ldexp(1.0, choose_exponent(s, 16, CalibMethod::Auto)), 2 * s.absmax * 0.99);
    // 8 bits: the MSE exponent (refined later against the emulated outputs).
    EXPECT_EQ(choose_exponent(s, 8, CalibMethod::Auto), choose_exponent(s, 8, CalibMethod::MSE));
}
