// How each operator type participates in exponent planning and lowering (docs/quantization-rules.md §4).
#pragma once

#include <string>

namespace espq::quant {

// Output exponent (and bit width) equals the input's: the chip copies or compares raw integers.
bool is_passive(const std::string& op);
// Inputs must carry the output exponent: the chip adds / copies raw integers (Add, Sub, Concat) or was
// aligned by ESP-PPQ so that nearest Resize is a copy.
bool aligns_inputs_to_output(const std::string& op);
// Ops with a weight input whose requantization shift e_out - e_in - e_w must be >= 0.
bool is_weighted(const std::string& op);
// Output stays float32 (Softmax family).
bool has_float_output(const std::string& op);
// Single-input activations that become a 256-entry table for int8.
bool is_lut_activation(const std::string& op);

}  // namespace espq::quant
