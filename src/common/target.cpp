#include "espq/target.hpp"

#include "espq/error.hpp"

namespace espq {

const TargetPolicy& target_policy(Target t) {
    // Values from docs/spec: esp32s3-arithmetic §2.1 (bias bits, rounding) and §10/§11 (P4, C).
    static const TargetPolicy s3{Target::ESP32S3, Rounding::HalfUp, 20, 40, true, true, false};
    static const TargetPolicy p4{Target::ESP32P4, Rounding::HalfEven, 32, 40, false, true, true};
    static const TargetPolicy c{Target::C, Rounding::HalfUp, 32, 64, false, false, false};
    switch (t) {
        case Target::ESP32S3: return s3;
        case Target::ESP32P4: return p4;
        case Target::C: return c;
    }
    throw InternalError("unknown target");
}

Target parse_target(const std::string& name) {
    if (name == "esp32s3") return Target::ESP32S3;
    if (name == "esp32p4" || name == "esp32s31") return Target::ESP32P4;
    if (name == "c" || name == "esp32" || name == "esp32s2" || name == "esp32c2" || name == "esp32c3" ||
        name == "esp32c5" || name == "esp32c6")
        return Target::C;
    throw UserError("unknown target '" + name + "': use esp32s3, esp32p4 or c (esp32, esp32s2, esp32c2/c3/c5/c6)");
}

const char* target_name(Target t) {
    switch (t) {
        case Target::ESP32S3: return "esp32s3";
        case Target::ESP32P4: return "esp32p4";
        case Target::C: return "c";
    }
    return "?";
}

}  // namespace espq
