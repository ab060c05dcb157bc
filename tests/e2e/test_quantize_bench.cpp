// End-to-end: quantize each bench model with default settings, emulate it bit-exactly, and score it against
// ONNX Runtime's float logits. Bars from the quantize issue (ESP-PPQ's results on the same data).
#include <gtest/gtest.h>

#include "e2e_common.hpp"

using namespace espq;

namespace {
struct Case {
    const char* model;
    const char* size;
    int bits;
    double min_top1, min_sqnr;
};
}  // namespace

class QuantizeBench : public ::testing::TestWithParam<Case> {};

TEST_P(QuantizeBench, DefaultQuantizationBeatsEspPpq) {
    const Case c = GetParam();
    const Graph g = load_onnx(test::data_path(std::string("bench/") + c.model + ".onnx"));
    QuantizeOptions o;
    o.plan.bits = c.bits;
    const QuantizeResult r = quantize_model(g, test::bench_calibration(g, c.size), o);
    const test::Score s = test::score(g, r, c.model, 1000);
    std::printf("%s int%d: top-1 %.1f %%, SQNR %.1f dB, agreement %.1f %% (%d images)\n", c.model, c.bits, s.top1,
                s.sqnr_db, s.agreement, s.images);
    EXPECT_GE(s.top1, c.min_top1);
    EXPECT_GE(s.sqnr_db, c.min_sqnr);
}

// ESP-PPQ int8 on the first 1000 images: fmnist_cnn 92.9 % / 26.3 dB, gesture_mbv2 89.1 % / 21.4 dB,
// fmnist_mbv3 61.9 % / 3.2 dB (espq must reach >= 88 % and >= 20 dB there). Bars: SQNR >= ESP-PPQ's + 6 dB;
// top-1 >= ESP-PPQ's, except gesture_mbv2 where ESP-PPQ's 89.1 % lies above the float model's own 88.8 % on these
// 1000 images: there the bar is float - 0.5 pt. On all 2000 evaluation images of the bench the order reverses:
// float 88.50 %, ESP-PPQ's file (emulated) 88.60 % / 21.4 dB, espq 88.65 % / 31.6 dB (measured with espq eval).
// int16: within 0.3 pt of float top-1 and >= 60 dB.
INSTANTIATE_TEST_SUITE_P(Bench, QuantizeBench,
                         ::testing::Values(Case{"fmnist_cnn", "28", 8, 92.9, 32.3},
                                           Case{"gesture_mbv2", "96", 8, 88.3, 27.4},
                                           Case{"fmnist_mbv3", "64", 8, 88.0, 20.0},
                                           Case{"fmnist_mbv3_bn", "64", 8, 88.0, 20.0},
                                           Case{"fmnist_cnn", "28", 16, 93.4, 60.0},
                                           Case{"gesture_mbv2", "96", 16, 88.5, 60.0},
                                           Case{"fmnist_mbv3", "64", 16, 90.0, 60.0}),
                         [](const auto& info) {
                             return std::string(info.param.model) + "_int" + std::to_string(info.param.bits);
                         });

// ESP-PPQ's equalization recipe for the gesture model: Clip(0,6) -> Relu, then layerwise equalization, 8-bit.
// ESP-PPQ: 88.5 % / 24.0 dB on the first 1000 images. The float function changes with ReLU6 -> ReLU, and SQNR is
// measured against the original float model, as ESP-PPQ's figure is.
TEST(QuantizeBenchStrategies, EqualizationRecipeBeatsEspPpq) {
    const Graph g = load_onnx(test::data_path("bench/gesture_mbv2.onnx"));
    QuantizeOptions o;
    o.passes.relu6_to_relu = true;
    o.passes.equalize = true;
    const QuantizeResult r = quantize_model(g, test::bench_calibration(g, "96"), o);
    int balanced = 0;
    for (const auto& p : r.pass_reports)
        if (p.name == "equalize_layers") balanced = p.rewrites;
    EXPECT_GT(balanced, 0);
    const test::Score s = test::score(g, r, "gesture_mbv2", 1000);
    std::printf("gesture_mbv2 equalization: top-1 %.1f %%, SQNR %.1f dB, agreement %.1f %%\n", s.top1, s.sqnr_db,
                s.agreement);
    EXPECT_GE(s.top1, 88.5);
    EXPECT_GE(s.sqnr_db, 24.0 + 3);
}
