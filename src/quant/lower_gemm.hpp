// Gemm and MatMul with a constant second input (lower_gemm.cpp): the weight blocked at export.
#pragma once

#include "quant/lower_context.hpp"

namespace espq::quant {

// Lowers a Gemm (is_gemm) or a MatMul whose second input is a constant matrix.
void lower_weighted_matrix(LowerContext& ctx, const Node& n, bool is_gemm);

}  // namespace espq::quant
