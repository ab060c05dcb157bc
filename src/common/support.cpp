#include "espq/support.hpp"

#include <map>

namespace espq {

namespace {

// Op types ESP-DL's ModuleCreator registers (esp-dl dl_module_creator.hpp, per docs/spec). The same list
// applies to esp32s3, esp32p4 and the C targets; dtype-level differences are checked per node elsewhere.
const char* const kNative[] = {
    "Conv", "Add", "Sub", "Mul", "Div", "Pow", "Mod", "Resize", "GlobalAveragePool", "AveragePool", "Concat",
    "Sigmoid", "Tanh", "Relu", "LeakyRelu", "HardSigmoid", "HardSwish", "Gelu", "LUT", "Gemm", "QuantizeLinear",
    "DequantizeLinear", "RequantizeLinear", "PRelu", "Clip", "Flatten", "Reshape", "Transpose", "Exp", "Log",
    "Sqrt", "Squeeze", "Unsqueeze", "Softmax", "LogSoftmax", "MaxPool", "Slice", "Pad", "MatMul", "Neg",
    "SpaceToDepth", "Split", "Gather", "Elu", "Greater", "GreaterOrEqual", "Equal", "Less", "LessOrEqual",
    "ReverseSequence", "ScatterND", "Identity", "Swish", "ReduceL1", "ReduceL2", "ReduceMin", "ReduceMax",
    "ReduceSum", "ReduceProd", "ReduceMean", "ReduceSumSquare", "ReduceLogSum", "ReduceLogSumExp", "GRU", "LSTM",
    "DepthToSpace", "StreamingCache", "InsertZeros", "LayerNormalization", "LpNormalization", "RMSNormalization",
};

const std::map<std::string, OpSupport>& special() {
    static const std::map<std::string, OpSupport> m = {
        {"BatchNormalization", {RuntimeSupport::Rewritten, "folded into the preceding Conv/Gemm"}},
        {"Dropout", {RuntimeSupport::Rewritten, "removed (inference)"}},
        {"Identity", {RuntimeSupport::Rewritten, "removed"}},
        {"Constant", {RuntimeSupport::Rewritten, "folded into a constant"}},
        {"Shape", {RuntimeSupport::Rewritten, "folded (static shapes)"}},
        {"ConstantOfShape", {RuntimeSupport::Rewritten, "folded (static shapes)"}},
        {"Cast", {RuntimeSupport::Rewritten, "folded when its input is constant"}},
        {"Max", {RuntimeSupport::Missing, "ESP-DL has no Max module: replace Max(x, const) by Clip(x, min=const)"}},
        {"Min", {RuntimeSupport::Missing, "ESP-DL has no Min module: replace Min(x, const) by Clip(x, max=const)"}},
        {"GlobalMaxPool",
         {RuntimeSupport::Missing, "ESP-DL has no GlobalMaxPool: use MaxPool with kernel = input H x W"}},
        {"ConvTranspose",
         {RuntimeSupport::Missing, "ESP-DL has no ConvTranspose: use Resize (nearest) followed by Conv"}},
    };
    return m;
}

}  // namespace

OpSupport espdl_op_support(const std::string& op, Target /*target*/) {
    auto it = special().find(op);
    if (it != special().end()) return it->second;
    for (const char* n : kNative)
        if (op == n) return {RuntimeSupport::Native, ""};
    return {RuntimeSupport::Missing, "ESP-DL has no module for '" + op + "'; replace it in the model"};
}

const char* runtime_support_name(RuntimeSupport s) {
    switch (s) {
        case RuntimeSupport::Native: return "native";
        case RuntimeSupport::Rewritten: return "rewritten";
        case RuntimeSupport::Missing: return "missing";
    }
    return "?";
}

}  // namespace espq
