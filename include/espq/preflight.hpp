// The preflight behind `espq check` and `espq inspect`: everything the target's ESP-DL runtime cannot run in a
// float ONNX model, found in well under a second and before any calibration. It loads the model, runs the
// optimizer passes and lowers the graph with placeholder exponents (every lowering rule and its restrictions
// apply, as in `quantize`), then prepares the emulator's kernels for the lowered graph.
#pragma once

#include <string>
#include <vector>

#include "espq/onnx_import.hpp"
#include "espq/quantize.hpp"
#include "espq/target.hpp"

namespace espq {

struct PreflightOptions {
    Target target = Target::ESP32S3;
    int bits = 8;
    bool relu6_to_relu = false;
    OnnxImportOptions import;
};

struct PreflightReport {
    // One line per problem, naming the node, the rule and the fix (empty: the model can be quantized and run).
    std::vector<std::string> problems;
    bool ok() const { return problems.empty(); }
};

// What the target cannot run in an optimized graph under these plan options (precision overrides included),
// one line per node, found by planning with placeholder statistics and lowering: quantize calls it before
// calibrating, so that a model it must refuse is refused in a fraction of a second.
std::vector<std::string> lowering_problems(const Graph& optimized, const PlanOptions& plan_options);

// UserError only for a file that cannot be read at all; unsupported operators are problems.
PreflightReport preflight_check(const std::string& model_path, const PreflightOptions& options);

}  // namespace espq
