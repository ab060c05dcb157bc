#include "espq/support.hpp"

#include <algorithm>
#include <set>

#include "espq/error.hpp"

namespace espq {

namespace {

// Op types ESP-DL's ModuleCreator registers (esp-dl dl_module_creator.hpp). The same list applies to every
// target; dtype-level differences are enforced by the lowering per node.
const std::set<std::string>& espdl_modules() {
    // clang-format off
    static const std::set<std::string> m = {
        "Conv", "Add", "Sub", "Mul", "Div", "Pow", "Mod", "Resize", "GlobalAveragePool", "AveragePool", "Concat",
        "Sigmoid", "Tanh", "Relu", "LeakyRelu", "HardSigmoid", "HardSwish", "Gelu", "LUT", "Gemm", "QuantizeLinear",
        "DequantizeLinear", "RequantizeLinear", "PRelu", "Clip", "Flatten", "Reshape", "Transpose", "Exp", "Log",
        "Sqrt", "Squeeze", "Unsqueeze", "Softmax", "LogSoftmax", "MaxPool", "Slice", "Pad", "MatMul", "Neg",
        "SpaceToDepth", "Split", "Gather", "Elu", "Greater", "GreaterOrEqual", "Equal", "Less", "LessOrEqual",
        "ReverseSequence", "ScatterND", "Identity", "Swish", "ReduceL1", "ReduceL2", "ReduceMin", "ReduceMax",
        "ReduceSum", "ReduceProd", "ReduceMean", "ReduceSumSquare", "ReduceLogSum", "ReduceLogSumExp", "GRU",
        "LSTM", "DepthToSpace", "StreamingCache", "InsertZeros", "LayerNormalization", "LpNormalization",
        "RMSNormalization",
    };
    // clang-format on
    return m;
}

const char* const kLut = "int8 as a 256-entry table";
const char* const kConstantInputs = "shape/axes inputs must be constants (export with a fixed input size)";
const char* const kAligned = "inputs are brought to the output exponent";

OpSupportEntry lowered(const std::string& op, const std::string& restrictions = "") {
    OpSupportEntry e;
    e.op = op;
    e.espdl_module = espdl_modules().count(op) > 0;
    e.handling = OpHandling::Lowered;
    e.espdl_op = op;
    e.restrictions = restrictions;
    return e;
}

OpSupportEntry folded(const std::string& op, const std::string& restrictions = "") {
    OpSupportEntry e = lowered(op, restrictions);
    e.handling = OpHandling::FoldedAtLoad;
    e.espdl_op.clear();
    return e;
}

OpSupportEntry rewritten(const std::string& op, std::vector<std::string> passes, const std::string& restrictions = "") {
    OpSupportEntry e = lowered(op, restrictions);
    e.handling = OpHandling::Rewritten;
    e.passes = std::move(passes);
    e.espdl_op.clear();
    return e;
}

// ESP-DL runs the operator at 8 bits only; the planner keeps such nodes at 8 bits in a 16-bit model.
OpSupportEntry at_most_8_bits(OpSupportEntry e) {
    e.widest_bits = 8;
    return e;
}

OpSupportEntry not_lowered(const std::string& op, const std::string& fix = "") {
    OpSupportEntry e = lowered(op);
    e.handling = e.espdl_module ? OpHandling::NotLoweredYet : OpHandling::NoEspdlModule;
    e.espdl_op.clear();
    e.fix = fix;
    return e;
}

// ESP-DL has no module of this name but runs the operator as a sequence of its modules (as ESP-PPQ exports it),
// and espq lowers it to that sequence.
OpSupportEntry lowered_as(const std::string& op, std::vector<std::string> espdl_ops, const std::string& restrictions) {
    OpSupportEntry e = lowered(op, restrictions);
    e.espdl_runs_as = std::move(espdl_ops);
    e.espdl_op = e.espdl_runs_as.back();
    return e;
}

std::vector<OpSupportEntry> make_table() {
    std::vector<OpSupportEntry> t = {
        lowered("Add", std::string(kAligned) + "; broadcasting over at most 4 merged dimensions"),
        lowered("Sub", std::string(kAligned) + "; broadcasting over at most 4 merged dimensions"),
        lowered("Mul", "broadcasting over at most 4 merged dimensions"),
        rewritten("Div", {"div_to_mul"}, "constant divisor only (becomes a Mul by its reciprocal)"),
        rewritten("Pow", {"pow_to_mul"}, "constant exponent 2, 0.5 or 1 only (as Mul(x, x), Sqrt, nothing)"),
        rewritten("Neg", {"neg_to_mul"}),
        rewritten("Max", {"minmax_to_clip"}, "one activation and one scalar constant (becomes Clip, or Relu for 0)"),
        rewritten("Min", {"minmax_to_clip"}, "one activation and one scalar constant (becomes Clip)"),
        lowered("Conv",
                "1-D and 2-D; groups only as depthwise (group = channels in = channels out); constant weights; a "
                "following Relu is fused"),
        lowered_as("ConvTranspose", {"InsertZeros", "Conv"},
                   "runs as InsertZeros (zeros between the input pixels) followed by a Conv with the flipped weight, "
                   "as ESP-PPQ exports it; 1-D and 2-D; groups only as depthwise; constant weights; pads at most "
                   "dilation * (kernel - 1)"),
        rewritten("BatchNormalization", {"fold_batchnorm"}, "after a Conv or Gemm, folded into its weights"),
        lowered("Gemm", "constant 2-D weight; bias per output column"),
        lowered("MatMul",
                "up to 4-D with broadcast batch dimensions; a constant second input must be 2-D (with a 2-D "
                "first input it becomes a Gemm, pass matmul_to_gemm); a computed one is blocked at run time by "
                "inserted Reshape/Transpose/Slice/Concat nodes"),
        lowered("MaxPool", "1-D and 2-D; ceil_mode=0, no dilation, explicit pads, no Indices output"),
        lowered("AveragePool",
                "1-D and 2-D; ceil_mode=0, explicit pads; with padding ESP-DL always divides by the full kernel "
                "area"),
        lowered("GlobalAveragePool"),
        rewritten("GlobalMaxPool", {"reduce_to_pool"}, "becomes a MaxPool over the whole image"),
        lowered("Sigmoid", kLut),
        lowered("Tanh", kLut),
        lowered("HardSigmoid", kLut),
        lowered("HardSwish", kLut),
        lowered("LeakyRelu", kLut),
        lowered("Elu", kLut),
        lowered("Exp", kLut),
        lowered("Log", kLut),
        lowered("Sqrt", kLut),
        lowered("Gelu", std::string(kLut) + "; an ONNX operator from opset 20"),
        lowered("Relu", "int8 as an integer max(x, 0)"),
        lowered("Swish", "not an ONNX operator: espq fuses x * Sigmoid(x) into it"),
        lowered("Clip", "constant bounds; int8 as a 256-entry table"),
        lowered("PRelu", "one shared constant slope"),
        lowered("Softmax", "float output; before opset 13 only over the last axis"),
        lowered("LogSoftmax", "float output; before opset 13 only over the last axis"),
        lowered("LayerNormalization",
                "computed in float inside the module; Scale and B stored at the layer's width; the decomposed form "
                "of opset <= 16 exports is fused by pass fuse_layer_norm"),
        lowered("Concat", kAligned),
        lowered("Reshape", kConstantInputs),
        lowered("Flatten"),
        lowered("Transpose"),
        lowered("Squeeze", kConstantInputs),
        lowered("Unsqueeze", kConstantInputs),
        lowered("Slice", "constant starts/ends/axes/steps"),
        lowered("Split", kConstantInputs),
        lowered("Gather", "constant indices"),
        lowered("Pad", "constant pads and pad value"),
        at_most_8_bits(lowered("Resize", "4-D input; nearest or linear; int8 only (ESP-DL's int16 Resize is an "
                                         "empty stub): at --bits 16 it stays at 8 bits")),
        not_lowered("DepthToSpace"),
        not_lowered("SpaceToDepth"),
        not_lowered("ReduceSum"),
        rewritten("ReduceMean", {"reduce_to_pool"}),
        rewritten("ReduceMax", {"reduce_to_pool"}),
        not_lowered("ReduceMin"),
        not_lowered("ReduceProd"),
        not_lowered("ReduceSumSquare"),
        not_lowered("ReduceL1"),
        not_lowered("ReduceL2"),
        not_lowered("ReduceLogSum"),
        rewritten("Identity", {"remove_identity"}),
        rewritten("Dropout", {"remove_identity"}),
        folded("Constant"),
        folded("ConstantOfShape", "constant shape only"),
        folded("Shape", "of a tensor with a static shape"),
        folded("Cast", "constant input only"),
    };
    std::sort(t.begin(), t.end(), [](const auto& a, const auto& b) { return a.op < b.op; });
    for (size_t i = 1; i < t.size(); ++i)
        if (t[i].op == t[i - 1].op) throw InternalError("operator support table: two entries for " + t[i].op);
    return t;
}

}  // namespace

const std::vector<OpSupportEntry>& op_support_table() {
    static const std::vector<OpSupportEntry> table = make_table();
    return table;
}

const OpSupportEntry* find_op_support(const std::string& onnx_op) {
    const auto& t = op_support_table();
    auto it =
        std::lower_bound(t.begin(), t.end(), onnx_op, [](const auto& e, const std::string& op) { return e.op < op; });
    return it != t.end() && it->op == onnx_op ? &*it : nullptr;
}

std::string handling_text(const OpSupportEntry& e) {
    switch (e.handling) {
        case OpHandling::Lowered:
            return "lowered";
        case OpHandling::FoldedAtLoad:
            return "folded at load";
        case OpHandling::Rewritten: {
            std::string s = "rewritten by pass ";
            for (size_t i = 0; i < e.passes.size(); ++i) s += (i ? ", " : "") + e.passes[i];
            return s;
        }
        case OpHandling::NotLoweredYet:
            return "not lowered yet";
        case OpHandling::NoEspdlModule:
            return "no ESP-DL module";
    }
    return "?";
}

std::string unsupported_reason(const OpSupportEntry& e) {
    if (e.handling == OpHandling::NotLoweredYet) {
        std::string how = e.espdl_runs_as.empty() ? "has a " + e.op + " module" : "runs " + e.op + " as ";
        for (size_t i = 0; i < e.espdl_runs_as.size(); ++i) how += (i ? " followed by " : "") + e.espdl_runs_as[i];
        return "ESP-DL " + how + "; espq cannot lower it yet" + (e.fix.empty() ? "" : "; " + e.fix);
    }
    if (e.handling == OpHandling::NoEspdlModule)
        return e.fix.empty() ? "ESP-DL has no " + e.op + " module; replace it in the model" : e.fix;
    return "";
}

bool espdl_has_module(const std::string& espdl_op) {
    return espdl_modules().count(espdl_op) > 0;
}

const std::vector<std::string>& lowering_glue_ops() {
    // MatMul's computed second input is blocked by Reshape, Transpose, Slice and Concat (lower_matmul.cpp).
    static const std::vector<std::string> ops = {"Transpose", "RequantizeLinear", "Reshape", "Slice", "Concat"};
    return ops;
}

bool op_reads_channels_last(const std::string& op) {
    static const std::set<std::string> ops = {"Conv",   "ConvTranspose", "MaxPool",     "AveragePool",
                                              "GlobalAveragePool", "Resize", "DepthToSpace", "SpaceToDepth"};
    return ops.count(op) > 0;
}

OpSupport espdl_op_support(const std::string& op, Target /*target*/) {
    const OpSupportEntry* e = find_op_support(op);
    if (!e) {
        if (espdl_has_module(op)) return {RuntimeSupport::Native, ""};
        return {RuntimeSupport::Missing, "espq cannot read '" + op + "' models; replace it in the model"};
    }
    switch (e->handling) {
        case OpHandling::Lowered:
            return {RuntimeSupport::Native, ""};
        case OpHandling::FoldedAtLoad:
        case OpHandling::Rewritten:
            return {e->espdl_module ? RuntimeSupport::Native : RuntimeSupport::Rewritten, handling_text(*e)};
        case OpHandling::NotLoweredYet:
        case OpHandling::NoEspdlModule:
            return {RuntimeSupport::Missing, unsupported_reason(*e)};
    }
    return {RuntimeSupport::Missing, ""};
}

std::string lowering_refusal(const std::string& op, Target target) {
    const OpSupportEntry* e = find_op_support(op);
    if (!e || (e->handling != OpHandling::Rewritten && e->handling != OpHandling::FoldedAtLoad))
        return espdl_op_support(op, target).note;
    std::string how = "folding it at load";
    if (e->handling == OpHandling::Rewritten) {
        how = "rewriting it with pass ";
        for (size_t i = 0; i < e->passes.size(); ++i) how += (i ? " or " : "") + e->passes[i];
    }
    return "espq handles " + op + " only by " + how + (e->restrictions.empty() ? "" : ", which takes: " + e->restrictions) +
           "; this node is not of that form";
}

const char* runtime_support_name(RuntimeSupport s) {
    switch (s) {
        case RuntimeSupport::Native:
            return "native";
        case RuntimeSupport::Rewritten:
            return "rewritten";
        case RuntimeSupport::Missing:
            return "missing";
    }
    return "?";
}

}  // namespace espq
