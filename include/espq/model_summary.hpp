// What is in a model file (`espq inspect`), as one JSON object whose keys docs/cli-json.md lists.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "espq/preflight.hpp"

namespace espq {

// ONNX: opset, inputs/outputs with shapes, operator counts, parameters, how espq handles each operator (the
// support table) and the problems the preflight finds for `check.target` (what `espq check` reports).
nlohmann::json onnx_model_summary(const std::string& path, const PreflightOptions& check);
// .espdl: metadata, inputs/outputs with exponents, operators and quant types, every tensor with its layout, test
// values.
nlohmann::json espdl_model_summary(const std::string& path);

}  // namespace espq
