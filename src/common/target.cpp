#include "espq/target.hpp"

#include "espq/error.hpp"

namespace espq {

namespace {

// The facts per target, with the ESP-DL source each comes from, are in docs/targets.md.
constexpr TargetPolicy kS3{Target::ESP32S3,
                           InstructionSet::PieV1,
                           Rounding::HalfUp,
                           /*int8_lane_channels=*/16,
                           /*int16_lane_channels=*/8,
                           /*int8_accumulator_bits=*/20,
                           /*int8_accumulator_saturates=*/true,
                           /*int8_accumulator_wraps=*/false,
                           /*int16_accumulator_bits=*/40,
                           /*bias_repacked_into_lanes=*/true,
                           /*per_channel_weights=*/false};

constexpr TargetPolicy kP4{Target::ESP32P4,
                           InstructionSet::PieV2,
                           Rounding::HalfEven,
                           /*int8_lane_channels=*/16,
                           /*int16_lane_channels=*/8,
                           /*int8_accumulator_bits=*/32,
                           /*int8_accumulator_saturates=*/false,
                           /*int8_accumulator_wraps=*/false,
                           /*int16_accumulator_bits=*/40,
                           /*bias_repacked_into_lanes=*/false,
                           /*per_channel_weights=*/true};

// ESP32-S31 runs the same PIE V2 kernels as the P4 (ESP-PPQ maps both to one platform).
constexpr TargetPolicy kS31 = [] {
    TargetPolicy p = kP4;
    p.target = Target::ESP32S31;
    return p;
}();

constexpr TargetPolicy kC{Target::C,
                          InstructionSet::PlainC,
                          Rounding::HalfUp,
                          /*int8_lane_channels=*/0,
                          /*int16_lane_channels=*/0,
                          /*int8_accumulator_bits=*/32,
                          /*int8_accumulator_saturates=*/false,
                          /*int8_accumulator_wraps=*/true,
                          /*int16_accumulator_bits=*/64,
                          /*bias_repacked_into_lanes=*/false,
                          /*per_channel_weights=*/false};

}  // namespace

const TargetPolicy& target_policy(Target t) {
    switch (t) {
        case Target::ESP32S3: return kS3;
        case Target::ESP32P4: return kP4;
        case Target::ESP32S31: return kS31;
        case Target::C: return kC;
    }
    throw InternalError("unknown target");
}

Target parse_target(const std::string& name) {
    if (name == "esp32s3") return Target::ESP32S3;
    if (name == "esp32p4") return Target::ESP32P4;
    if (name == "esp32s31") return Target::ESP32S31;
    if (name == "c" || name == "esp32" || name == "esp32s2" || name == "esp32c2" || name == "esp32c3" ||
        name == "esp32c5" || name == "esp32c6")
        return Target::C;
    throw UserError("unknown target '" + name + "': use " + target_choices());
}

const char* target_name(Target t) {
    switch (t) {
        case Target::ESP32S3: return "esp32s3";
        case Target::ESP32P4: return "esp32p4";
        case Target::ESP32S31: return "esp32s31";
        case Target::C: return "c";
    }
    return "?";
}

const std::vector<Target>& all_targets() {
    static const std::vector<Target> all = {Target::ESP32S3, Target::ESP32P4, Target::ESP32S31, Target::C};
    return all;
}

std::string target_choices() {
    return "esp32s3, esp32p4, esp32s31 or c (c also as esp32, esp32s2, esp32c2, esp32c3, esp32c5, esp32c6)";
}

}  // namespace espq
