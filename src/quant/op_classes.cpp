#include "quant/op_classes.hpp"

#include <set>

namespace espq::quant {

bool is_passive(const std::string& op) {
    // Neg is not passive in ESP-PPQ, but the chip ignores its exponents (docs/esp-dl-arithmetic.md §9.2), so it must
    // be.
    static const std::set<std::string> s = {"MaxPool", "Reshape",   "Flatten",      "Identity",     "Dropout",
                                            "Slice",   "Pad",       "Split",        "Transpose",    "Squeeze",
                                            "Unsqueeze", "Gather",  "ReduceMax",    "ReduceMin",    "DepthToSpace",
                                            "SpaceToDepth", "Neg"};
    return s.count(op) != 0;
}

bool aligns_inputs_to_output(const std::string& op) {
    return op == "Add" || op == "Sub" || op == "Concat" || op == "Resize";
}

bool is_weighted(const std::string& op) {
    return op == "Conv" || op == "ConvTranspose" || op == "Gemm" || op == "MatMul";
}

bool has_float_output(const std::string& op) { return op == "Softmax" || op == "LogSoftmax"; }

bool is_lut_activation(const std::string& op) {
    static const std::set<std::string> s = {"Sigmoid", "Tanh", "HardSigmoid", "HardSwish", "Swish", "Relu",
                                            "LeakyRelu", "Clip", "Elu", "Exp", "Log", "Sqrt", "Gelu", "PRelu"};
    return s.count(op) != 0;
}

}  // namespace espq::quant
