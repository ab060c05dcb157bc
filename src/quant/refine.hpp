#pragma once

#include <map>
#include <string>

#include "espq/quantize.hpp"

namespace espq {

// Greedy per-tensor choice between the MSE and minmax exponents by the error of the emulated model's outputs
// against the float outputs on the first `samples` calibration samples. Returns the tuned exponents (for
// PlanOptions::tuned_exponents); the user's overrides in `options` stay fixed and are never searched.
std::map<std::string, int> refine_exponents(const Graph& graph, const std::vector<TensorStats>& stats,
                                            const PlanOptions& options, const LowerOptions& lower,
                                            const SampleSource& calib, size_t samples);

}  // namespace espq
