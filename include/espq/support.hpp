// What the ESP-DL runtime can load, per ONNX operator type (from ESP-DL's module registry; docs/spec
// esp32s3-arithmetic §3). Used by `inspect` and `check` to flag problems before any calibration.
#pragma once

#include <string>
#include <vector>

#include "espq/target.hpp"

namespace espq {

enum class RuntimeSupport {
    Native,     // ESP-DL registers a module for this op type
    Rewritten,  // espq removes or rewrites it before export (folding, fusion, decomposition)
    Missing,    // the runtime cannot load it and espq has no rewrite: the model must be changed
};

struct OpSupport {
    RuntimeSupport support;
    std::string note;  // for Rewritten: what espq does; for Missing: what the user should do
};

OpSupport espdl_op_support(const std::string& onnx_op_type, Target target);
const char* runtime_support_name(RuntimeSupport s);  // "native", "rewritten", "missing"

}  // namespace espq
