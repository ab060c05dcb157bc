// The preflight behind `espq check` and `espq inspect`: everything the target's ESP-DL runtime cannot run in a
// float ONNX model, found in well under a second and before any calibration. It loads the model, runs the
// optimizer passes and lowers the graph with placeholder exponents (every lowering rule and its restrictions
// apply, as in `quantize`), then prepares the emulator's kernels for the lowered graph.
#pragma once

#include <string>
#include <vector>

#include "espq/onnx_import.hpp"
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

// UserError only for a file that cannot be read at all; unsupported operators are problems.
PreflightReport preflight_check(const std::string& model_path, const PreflightOptions& options);

}  // namespace espq
