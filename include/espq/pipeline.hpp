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
// deterministic ids), plus an "espq" section: version, target, options, notes, data description.
nlohmann::json quantization_record(const LoweredModel& lowered, const QuantPlan& plan, const QuantizeOptions& options,
                                   const std::vector<std::string>& notes);

}  // namespace espq
