// The supported-operator table (`espq ops`, README "Supported operators"), computed rather than written: every
// probe model of src/support/op_probes.cpp goes through the real pipeline (ONNX loader, passes, calibration,
// planning, lowering, .espdl writer and reader, emulator) for each target and bit width, and the table
// records what succeeded and, where something failed, the pipeline's own one-line reason.
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

#include "espq/support.hpp"
#include "espq/target.hpp"

namespace espq {

struct OpTargetSupport {
    std::vector<int> bits;                // widths (8, 16) at which a model using the op quantizes and runs
    std::map<int, std::string> failures;  // width -> why not (the pipeline's message without the node prefix)
};

struct OpTableRow {
    std::string op;
    // As the probe finds it: "lowered" (an ESP-DL node), "folded at load", "rewritten by pass <name>", or "no
    // probe" (a bug: every operator the loader accepts must have a probe).
    std::string handling;
    // As the support table (espq/support.hpp) declares it: handling_text() of its entry, or "no table entry".
    std::string declared_handling;
    RuntimeSupport espdl = RuntimeSupport::Missing;  // native: ESP-DL has a module of that name
    std::string note;                                // restrictions and fixes, one line
    std::map<Target, OpTargetSupport> targets;
};

// One row per operator the ONNX loader accepts, sorted by name.
std::vector<OpTableRow> build_op_table(const std::vector<Target>& targets);

std::string op_table_markdown(const std::vector<OpTableRow>& rows, const std::vector<Target>& targets);
std::string op_table_text(const std::vector<OpTableRow>& rows, const std::vector<Target>& targets);
nlohmann::json op_table_json(const std::vector<OpTableRow>& rows, const std::vector<Target>& targets);

}  // namespace espq
