// ESP-DL targets and the small set of arithmetic policies in which their integer kernels differ.
#pragma once

#include <string>

namespace espq {

enum class Target { ESP32S3, ESP32P4, C };

enum class Rounding { HalfUp, HalfEven };  // half-up = ties toward +inf (floor(x + 0.5))

struct TargetPolicy {
    Target target;
    Rounding rounding;
    int int8_bias_bits;     // S3: 20 (QACC lanes), P4/C: 32
    int int16_bias_bits;    // 40 on S3/P4, 64 on C
    bool saturating_int8_acc;  // S3: every int8 MAC saturates the 20-bit QACC lane
    bool simd;              // PIE kernels exist (affects Mul/Requantize fallback paths)
    bool per_channel;       // P4 supports per-channel weight exponents
};

const TargetPolicy& target_policy(Target t);
Target parse_target(const std::string& name);   // "esp32s3", "esp32p4", "c" (and esp32/esp32c3/... -> C); UserError
const char* target_name(Target t);              // "esp32s3", ...

}  // namespace espq
