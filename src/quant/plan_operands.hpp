// The second half of planning (src/quant/plan.cpp runs it last): how every node reads each of its operands,
// once the tensor exponents are final. Every rule lowering used to apply on its own lives here.
#pragma once

#include <vector>

#include "espq/quantize.hpp"

namespace espq::quant {

// Output-channel axis of a weighted node's weight (Conv filter [Cout, Cin, k...]: 0; Gemm / MatMul [K, N]: 1).
int weight_channel_axis(const Node& n);

// Max-abs exponents of a weighted node's constant weight at `bits`: one per output channel where the target has
// per-channel weights, else one. Their maximum is the per-tensor exponent (the shift constraint reads it).
std::vector<int> weight_exponents(const Node& n, const Tensor& weight, int bits, const TargetPolicy& policy);

// Fills plan.nodes from the final tensor exponents in plan.tensors and plan.node_bits.
void plan_operands(const Graph& g, QuantPlan& plan);

}  // namespace espq::quant
