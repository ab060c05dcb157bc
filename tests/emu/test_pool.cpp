// MaxPool (valid taps only) and AveragePool / GlobalAveragePool (int32 sum, full-kernel area,
// scale = fl32(fl32(2^e_in * fl32(1/area)) * 2^-e_out), fround) — docs/esp-dl-arithmetic.md §6.7, §6.8.
#include <cmath>

#include "emu_harness.hpp"

namespace espq::test {
namespace {

Tensor run_pool(const std::string& op, const Tensor& x, int ei, int eo, Attributes attrs, Target t = Target::ESP32S3) {
    EmuGraph eg;
    int in = eg.input("x", x.dtype(), x.shape(), ei);
    int out = eg.value("y", x.dtype(), eo);
    eg.node(op, {in}, {out}, attrs);
    eg.output(out);
    return eg.run({x}, t).at(0);
}

TEST(EmuPool, AveragePoolCountsPaddingAsZerosWithFloatScale) {
    // 1-D NWC, 5 steps, 1 channel, kernel 3, pads [2, 0] (the streaming TCN's causal pool).
    Tensor x = Tensor::from<int8_t>({1, 5, 1}, {9, 10, -7, 127, 100});
    Attributes a{{"kernel_shape", Attribute::Ints{3}}, {"pads", Attribute::Ints{2, 0}},
                 {"strides", Attribute::Ints{1}}, {"count_include_pad", int64_t(0)}};
    const int ei = -6, eo = -7;
    Tensor y = run_pool("AveragePool", x, ei, eo, a);
    EXPECT_EQ(y.shape(), (Shape{1, 5, 1}));
    const float scale = std::ldexp(std::ldexp(1.0f, ei) * (1.f / 3.f), -eo);
    const std::vector<int> sums{9, 19, 12, 130, 220};  // padded taps add nothing but still count in the area
    auto got = y.to_vector<int8_t>();
    for (size_t i = 0; i < sums.size(); ++i)
        EXPECT_EQ(got[i], ref_sat(static_cast<int64_t>(std::floor(static_cast<float>(sums[i]) * scale + 0.5f)), -128, 127));
    EXPECT_EQ(got[0], 6);  // 9 * 2/3 = 6.0000002 -> 6: the area is 3, not the 1 valid tap
}

TEST(EmuPool, GlobalAveragePoolAndTieRounding) {
    // 2x2 image, 2 channels: sums 6 and -6, area 4, e_in = e_out: 1.5 -> 2 and -1.5 -> -1 (half up);
    // P4 rounds half to even: 2 and -2.
    Tensor x = Tensor::from<int8_t>({1, 2, 2, 2}, {1, -1, 2, -2, 1, -1, 2, -2});
    Tensor y = run_pool("GlobalAveragePool", x, -3, -3, {});
    EXPECT_EQ(y.shape(), (Shape{1, 1, 1, 2}));
    EXPECT_EQ(y.to_vector<int8_t>(), (std::vector<int8_t>{2, -1}));
    EXPECT_EQ(run_pool("GlobalAveragePool", x, -3, -3, {}, Target::ESP32P4).to_vector<int8_t>(),
              (std::vector<int8_t>{2, -2}));
    // Area 3x3 = 9: 1/9 is inexact in float; sum 9 * (2^-2 * fl32(1/9)) * 2^2 = 1 - tiny -> still 1 after fround.
    Tensor x9 = Tensor::from<int16_t>({1, 3, 3, 1}, std::vector<int16_t>(9, 1));
    EXPECT_EQ(run_pool("GlobalAveragePool", x9, -2, -2, {}).to_vector<int16_t>()[0], 1);
}

TEST(EmuPool, MaxPoolUsesValidTapsOnly) {
    Tensor x = Tensor::from<int8_t>({1, 3, 3, 1}, {-100, -90, -80, -70, -60, -50, -40, -30, -20});
    Attributes a{{"kernel_shape", Attribute::Ints{2, 2}}, {"pads", Attribute::Ints{1, 1, 1, 1}},
                 {"strides", Attribute::Ints{2, 2}}};
    Tensor y = run_pool("MaxPool", x, -3, -3, a);
    EXPECT_EQ(y.shape(), (Shape{1, 2, 2, 1}));
    // Padded positions are not zeros: the top-left window holds only -100.
    EXPECT_EQ(y.to_vector<int8_t>(), (std::vector<int8_t>{-100, -80, -40, -20}));
    EXPECT_THROW(run_pool("MaxPool", x, -3, -3, {{"kernel_shape", Attribute::Ints{2, 2}}, {"ceil_mode", int64_t(1)}}),
                 UnsupportedError);
}

}  // namespace
}  // namespace espq::test
