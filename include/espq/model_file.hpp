// Model files as the commands name them: the kind of a file (ONNX or .espdl) and "NAME=1,3,96,96" input shapes.
#pragma once

#include <string>
#include <vector>

#include "espq/onnx_import.hpp"
#include "espq/target.hpp"

namespace espq {

// Parses repeated "NAME=1,3,96,96" flags into OnnxImportOptions::input_shapes (UserError on bad syntax).
std::map<std::string, Shape> parse_input_shapes_map(const std::vector<std::string>& specs);
inline OnnxImportOptions parse_input_shapes(const std::vector<std::string>& specs) {
    OnnxImportOptions o;
    o.input_shapes = parse_input_shapes_map(specs);
    return o;
}

enum class ModelKind { Onnx, Espdl };
struct EspdlModel;
// By extension, then by magic bytes ("EDL1"/"EDL2"/"PDL*" vs protobuf); UserError if unreadable.
ModelKind detect_model_kind(const std::string& path);

// The chip an .espdl model at `path` runs on: `requested` (--target) when given, else the file's 'target'
// metadata; UserError asking for --target when neither says.
Target espdl_model_target(const EspdlModel& model, const std::string& requested, const std::string& path);

}  // namespace espq
