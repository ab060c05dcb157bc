// ESP-DL targets and the arithmetic facts in which their integer kernels differ, one named field per fact.
//
// Every target difference in espq is read from a TargetPolicy field here; no code tests "is this the S3"
// through an unrelated property. The values and the ESP-DL sources they come from are in docs/targets.md.
#pragma once

#include <string>
#include <vector>

#include "espq/tensor.hpp"

namespace espq {

enum class Target { ESP32S3, ESP32P4, ESP32S31, C };

// How the chip rounds a value that lies exactly half-way: HalfUp = ties toward +inf (floor(x + 0.5)),
// HalfEven = ties to the even neighbour.
enum class Rounding { HalfUp, HalfEven };

// The SIMD extension ESP-DL's kernels are written for.
enum class InstructionSet {
    PlainC,  // no SIMD: the portable C kernels (esp32, esp32s2, esp32c2/c3/c5/c6)
    PieV1,   // ESP32-S3's PIE (TIE728): 128-bit vectors, 20-bit QACC lanes for int8 MACs
    PieV2,   // ESP32-P4 / ESP32-S31 PIE: 128-bit vectors, 32-bit int8 accumulators, round-half-even mode
};

struct TargetPolicy {
    Target target;
    InstructionSet isa;
    // Tie rule of every requantization, of dl::tool::round and of the host-side input quantization.
    Rounding rounding;
    // Output channels the SIMD kernels process together, which is also the block size of the stored
    // Conv/Gemm/MatMul weights ("(N/16)HWC16"); 0 where there is no SIMD (plain layouts).
    int int8_lane_channels;
    int int16_lane_channels;
    // Width of an int8 MAC accumulator, which is also the width a quantized int8 bias is clamped to.
    int int8_accumulator_bits;
    // int8 accumulation beyond that width: each MAC saturates the lane (S3's QACC) or the sum wraps around (C's
    // int32); false for both means the sum never leaves the accumulator in practice (P4's 32-bit lanes).
    bool int8_accumulator_saturates;
    bool int8_accumulator_wraps;
    // Width of an int16 MAC accumulator and of a quantized int16 bias (40-bit lanes on PIE, int64 in C).
    int int16_accumulator_bits;
    // The bias is loaded into the accumulator lanes as its low accumulator_bits bits, wrapping (S3's
    // reset_bias_layout); elsewhere it keeps its stored width and joins the sum exactly.
    bool bias_repacked_into_lanes;
    // Conv and Gemm weights may carry one exponent per output channel (with the bias and requantization
    // shift per channel); else one exponent per tensor.
    bool per_channel_weights;

    bool has_simd() const { return isa != InstructionSet::PlainC; }
    // Lane channels (= weight block size) for an activation dtype; 0 without SIMD.
    int lane_channels(DType activation) const { return activation == DType::Int16 ? int16_lane_channels : int8_lane_channels; }
    // Width of a quantized bias of a `bits`-wide (8 or 16) MAC layer.
    int bias_bits(int bits) const { return bits == 16 ? int16_accumulator_bits : int8_accumulator_bits; }
};

const TargetPolicy& target_policy(Target t);
// "esp32s3", "esp32p4", "esp32s31", "c"; the plain-C chips (esp32, esp32s2, esp32c2/c3/c5/c6) name the C
// target, as ESP-PPQ accepts them. UserError for anything else.
Target parse_target(const std::string& name);
const char* target_name(Target t);            // "esp32s3", "esp32p4", "esp32s31", "c"
const std::vector<Target>& all_targets();     // every Target, in the order above
std::string target_choices();                 // "esp32s3, esp32p4, esp32s31 or c (...)" for help and errors

}  // namespace espq
