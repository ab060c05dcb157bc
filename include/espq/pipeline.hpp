// The whole `espq quantize` job as a library call: optimize, calibrate, plan, lower, emulate test vectors,
// and build the .json record. The CLI only parses flags and writes the files.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "espq/calibration.hpp"
#include "espq/passes.hpp"
#include "espq/quantize.hpp"

namespace espq {

struct QuantizeOptions {
    PassOptions passes;
    PlanOptions plan;
    CalibrationOptions calibration;
    LowerOptions lower;
    bool test_values = true;            // embed a test input/output computed by the emulator
    size_t refine_samples = 16;         // calibration samples used by CalibMethod::Auto's refinement
    nlohmann::json data_description;    // calibration source and preprocessing, copied into the .json record
};

struct QuantizeResult {
    Graph optimized;                    // float graph after the passes (what was calibrated)
    std::vector<PassReport> pass_reports;
    std::vector<TensorStats> stats;
    QuantPlan plan;
    LoweredModel lowered;
    nlohmann::json record;              // the .json quantization record
    double seconds_calibration = 0, seconds_total = 0;
};

// `float_graph` as loaded by load_onnx; `calib` yields float samples in the float graph's input layout.
QuantizeResult quantize_model(const Graph& float_graph, const SampleSource& calib, const QuantizeOptions& options);

// The .json quantization record of a lowered model (ESP-PPQ's configs / dispatchings / values layout, with
// deterministic ids), plus an "espq" section: version, target, options, notes, data description, and
// "quantization" = plan_record(planned, plan).
nlohmann::json quantization_record(const LoweredModel& lowered, const Graph& planned, const QuantPlan& plan,
                                   const QuantizeOptions& options, const std::vector<std::string>& notes);

// Every quantization fact of `plan` (made for the float graph `planned`), with its reason:
//   "tensors":  [{"tensor", "bits", "exponents", "reason"}]  activations and graph inputs, in value order;
//   "operands": [{"node", "input", "tensor", "bits", "exponents", "reason"}]  every constant a node reads in
//               quantized form (weights, biases, constant operands, bounds, slopes, pad values) and every
//               activation a node reads at another width or exponent than its own (through a RequantizeLinear);
//   "tables":   [{"node", "bits", "exponents", "reason"}]  lookup tables.
nlohmann::json plan_record(const Graph& planned, const QuantPlan& plan);

}  // namespace espq
