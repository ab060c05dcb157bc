// The one operator-support table of espq: for every ONNX operator the loader accepts, whether ESP-DL has a
// module of that name, how espq handles it (lowered to an ESP-DL node, folded at load, rewritten by an
// optimizer pass, or not lowered yet), the restrictions espq enforces, and the fix for the user.
//
// Every consumer reads it: `espq ops` (its notes and the handling it checks against the probes), `espq check`
// and `espq inspect` (through the preflight, whose errors come from the lowering), and the lowering's message
// for an operator it has no rule for. tests/unit/test_operator_checklist.cpp checks it against the loader,
// the float kernels, the lowering rules, the emulator kernels and the probes.
#pragma once

#include <string>
#include <vector>

#include "espq/target.hpp"

namespace espq {

enum class OpHandling {
    Lowered,        // a lowering rule turns it into the ESP-DL node `espdl_op` (or the nodes `espdl_runs_as`)
    FoldedAtLoad,   // the ONNX loader folds it into a constant
    Rewritten,      // an optimizer pass (`passes`) rewrites it into operators that are lowered
    NotLoweredYet,  // ESP-DL runs it (a module, or `espdl_runs_as`), espq has no lowering rule yet
    NoEspdlModule,  // ESP-DL cannot run it and espq has no rewrite: the model must change (`fix`)
};

struct OpSupportEntry {
    std::string op;             // ONNX operator type
    bool espdl_module = false;  // ESP-DL's module registry has a module of this name
    // Without a module: the ESP-DL modules that run it, in graph order (ESP-PPQ's decomposition, e.g. InsertZeros
    // then Conv for ConvTranspose). A lowered entry's `espdl_op` is then the last of them.
    std::vector<std::string> espdl_runs_as;
    OpHandling handling = OpHandling::Lowered;
    std::vector<std::string> passes;  // Rewritten: the optimizer passes that remove it
    std::string espdl_op;             // Lowered: the ESP-DL node type it becomes
    std::string restrictions;         // what espq requires of such a node, a few words ("" = none)
    std::string fix;                  // NotLoweredYet / NoEspdlModule: what the user can do ("" = nothing known)
    int widest_bits = 16;             // the widest integer width ESP-DL runs it at (Resize: 8, its int16 is a stub)
};

// One entry per operator the ONNX loader accepts (float_op_types()), sorted by name.
const std::vector<OpSupportEntry>& op_support_table();
// nullptr for an operator the loader does not accept.
const OpSupportEntry* find_op_support(const std::string& onnx_op);

// "lowered", "folded at load", "rewritten by pass <a>, <b>", "not lowered yet", "no ESP-DL module".
std::string handling_text(const OpSupportEntry& e);
// Why a node of this type cannot be quantized for ESP-DL and what to do, one line; "" when it can.
std::string unsupported_reason(const OpSupportEntry& e);

// ESP-DL's module registry (dl_module_creator.hpp): the node types an .espdl file may contain.
bool espdl_has_module(const std::string& espdl_op);
// Nodes the lowering inserts between the operators it lowers (layout changes, 8/16-bit boundaries).
const std::vector<std::string>& lowering_glue_ops();
// ESP-DL's module reads image tensors channels-last (NHWC / NWC): a graph input that such an operator reads is
// stored channels-last in the .espdl file.
bool op_reads_channels_last(const std::string& op);

// The lowering's view of the table, for one node type: whether ESP-DL runs it and, if not, the reason and fix.
enum class RuntimeSupport {
    Native,     // ESP-DL registers a module for this op type
    Rewritten,  // espq removes or rewrites it before export (folding, fusion, decomposition)
    Missing,    // the runtime cannot load it and espq has no rewrite: the model must be changed
};
struct OpSupport {
    RuntimeSupport support;
    std::string note;  // for Rewritten: what espq does; for Missing or not lowered yet: what the user should do
};
OpSupport espdl_op_support(const std::string& onnx_op_type, Target target);
// Why a node of this operator that reaches the lowering (which has no rule for it) cannot be lowered, and what
// to do. An operator espq rewrites or folds reaches the lowering only when the node lacks the form the pass or
// the fold needs (a Div by a computed divisor, ...), so the reason names that form.
std::string lowering_refusal(const std::string& onnx_op_type, Target target);
const char* runtime_support_name(RuntimeSupport s);  // "native", "rewritten", "missing"

}  // namespace espq
