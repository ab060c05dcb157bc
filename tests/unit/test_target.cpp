// Unit tests of the target policies: names, the facts each target declares, and the host-side input
// quantization that follows the target's tie rule.
#include <gtest/gtest.h>

#include "espq/error.hpp"
#include "espq/quantize.hpp"
#include "espq/target.hpp"

using namespace espq;

TEST(Target, NamesRoundTripAndPlainCChipsNameTheCTarget) {
    for (Target t : all_targets()) EXPECT_EQ(parse_target(target_name(t)), t);
    for (const char* chip : {"esp32", "esp32s2", "esp32c2", "esp32c3", "esp32c5", "esp32c6"})
        EXPECT_EQ(parse_target(chip), Target::C) << chip;
    EXPECT_EQ(parse_target("esp32s31"), Target::ESP32S31);
    try {
        parse_target("esp32h2");
        FAIL() << "unknown target accepted";
    } catch (const UserError& e) {
        const std::string m = e.what();
        EXPECT_NE(m.find("'esp32h2'"), std::string::npos) << m;
        EXPECT_NE(m.find("esp32s31"), std::string::npos) << m;  // the message lists the choices
    }
}

TEST(Target, EachPolicyStatesItsFacts) {
    const TargetPolicy& s3 = target_policy(Target::ESP32S3);
    EXPECT_EQ(s3.isa, InstructionSet::PieV1);
    EXPECT_EQ(s3.rounding, Rounding::HalfUp);
    EXPECT_EQ(s3.int8_accumulator_bits, 20);
    EXPECT_TRUE(s3.int8_accumulator_saturates);
    EXPECT_TRUE(s3.bias_repacked_into_lanes);
    EXPECT_FALSE(s3.per_channel_weights);
    EXPECT_EQ(s3.lane_channels(DType::Int8), 16);
    EXPECT_EQ(s3.lane_channels(DType::Int16), 8);

    const TargetPolicy& p4 = target_policy(Target::ESP32P4);
    EXPECT_EQ(p4.isa, InstructionSet::PieV2);
    EXPECT_EQ(p4.rounding, Rounding::HalfEven);
    EXPECT_TRUE(p4.per_channel_weights);
    EXPECT_EQ(p4.bias_bits(8), 32);
    EXPECT_EQ(p4.bias_bits(16), 40);

    const TargetPolicy& c = target_policy(Target::C);
    EXPECT_FALSE(c.has_simd());
    EXPECT_TRUE(c.int8_accumulator_wraps);
    EXPECT_EQ(c.lane_channels(DType::Int8), 0);
    EXPECT_EQ(c.bias_bits(16), 64);
}

TEST(Target, S31RunsTheP4Arithmetic) {
    const TargetPolicy& p4 = target_policy(Target::ESP32P4);
    const TargetPolicy& s31 = target_policy(Target::ESP32S31);
    EXPECT_EQ(s31.target, Target::ESP32S31);
    EXPECT_EQ(s31.isa, p4.isa);
    EXPECT_EQ(s31.rounding, p4.rounding);
    EXPECT_EQ(s31.int8_lane_channels, p4.int8_lane_channels);
    EXPECT_EQ(s31.int16_lane_channels, p4.int16_lane_channels);
    EXPECT_EQ(s31.int8_accumulator_bits, p4.int8_accumulator_bits);
    EXPECT_EQ(s31.int8_accumulator_saturates, p4.int8_accumulator_saturates);
    EXPECT_EQ(s31.int8_accumulator_wraps, p4.int8_accumulator_wraps);
    EXPECT_EQ(s31.int16_accumulator_bits, p4.int16_accumulator_bits);
    EXPECT_EQ(s31.bias_repacked_into_lanes, p4.bias_repacked_into_lanes);
    EXPECT_EQ(s31.per_channel_weights, p4.per_channel_weights);
}

namespace {
// A lowered model with one int8 input of exponent -1 (q = x * 2), stored in the ONNX layout.
LoweredModel one_input_model(Target t) {
    LoweredModel m;
    m.target = t;
    Value v;
    v.name = "x";
    v.dtype = DType::Int8;
    v.shape = {1, 4};
    v.shape_known = true;
    v.exponents = {-1};
    m.model.graph.inputs.push_back(m.model.graph.add_value(v));
    m.input_perms.push_back({0, 1});
    return m;
}
}  // namespace

TEST(Target, InputQuantizationUsesTheTargetsTieRule) {
    Tensor x(DType::Float32, {1, 4});
    // x * 2 = 0.5, 1.5, -0.5, 2.5: every value a tie.
    const float values[] = {0.25f, 0.75f, -0.25f, 1.25f};
    for (int i = 0; i < 4; ++i) x.data<float>()[i] = values[i];
    const Tensor half_up = quantize_input(one_input_model(Target::ESP32S3), 0, x);
    const Tensor half_even = quantize_input(one_input_model(Target::ESP32P4), 0, x);
    const int8_t expect_up[] = {1, 2, 0, 3};    // floor(v + 0.5)
    const int8_t expect_even[] = {0, 2, 0, 2};  // ties to the even neighbour
    for (int i = 0; i < 4; ++i) {
        EXPECT_EQ(half_up.data<int8_t>()[i], expect_up[i]) << i;
        EXPECT_EQ(half_even.data<int8_t>()[i], expect_even[i]) << i;
    }
    const Tensor c = quantize_input(one_input_model(Target::C), 0, x);
    for (int i = 0; i < 4; ++i) EXPECT_EQ(c.data<int8_t>()[i], expect_up[i]) << i;
}
