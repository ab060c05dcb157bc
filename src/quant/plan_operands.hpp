// The second half of planning (src/quant/plan.cpp runs it last): how every node reads each of its operands,
// once the tensor exponents are final. Every rule lowering used to apply on its own lives here.
#pragma once

#include <vector>

#include "espq/quantize.hpp"

namespace espq::quant {

// Output-channel axis of the weight a weighted node is quantized with (Conv filter [Cout, Cin/g, k...]: 0; a
// ConvTranspose is quantized as the Conv it becomes, see conv_transpose_as_conv_weight: 0; Gemm / MatMul [K, N]: 1).
int weight_channel_axis(const Node& n);

// The Conv weight [Cout, Cin/group, k...] that computes a ConvTranspose (weight [Cin, Cout/group, k...]) on its
// zero-inserted input: every kernel flipped along all spatial axes and, within each group, input and output
// channels swapped (ESP-PPQ's decomposition, docs/esp-dl-arithmetic.md §6.19). Float32 result.
Tensor conv_transpose_as_conv_weight(const Tensor& w, int64_t group);

// Max-abs exponents of a weighted node's constant weight at `bits`: one per output channel where the target has
// per-channel weights, else one. Their maximum is the per-tensor exponent (the shift constraint reads it).
std::vector<int> weight_exponents(const Node& n, const Tensor& weight, int bits, const TargetPolicy& policy);

// Fills plan.nodes from the final tensor exponents in plan.tensors and plan.node_bits.
void plan_operands(const Graph& g, QuantPlan& plan);

}  // namespace espq::quant
