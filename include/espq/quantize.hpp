// Quantization of an optimized float graph for an ESP-DL target: precision and exponent planning, then
// lowering to an ESP-DL graph (NHWC, integer weights in blocked layouts, LUTs, Requantize nodes).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "espq/calibration.hpp"
#include "espq/espdl.hpp"
#include "espq/ir.hpp"
#include "espq/target.hpp"

namespace espq {

// Quantization parameters of one float tensor (value id of the float graph).
struct TensorQuant {
    int bits = 0;      // 8 or 16; 0 = stays float (e.g. Softmax output)
    int exponent = 0;  // real = q * 2^exponent
    std::string reason;  // how the exponent was chosen: "mse", "aligned to Add '...'", "shift >= 0", ...
    // Mixed precision: a 16-bit tensor read by 8-bit consumers goes through a RequantizeLinear to this exponent,
    // chosen at 8 bits from the tensor's statistics like any 8-bit tensor (never below `exponent`, so the
    // requantization shifts right). Unset: exponent + 8, the same range.
    std::optional<int> exponent8;
    // A tensor that stays float (bits == 0: a Softmax / LogSoftmax output, which ESP-DL computes in float) and is
    // read by integer nodes: each reading width -> the exponent of the QuantizeLinear that the lowering inserts
    // before them, calibrated at that width from the tensor's statistics.
    std::map<int, int> quantize_exponents;
};

// One operand as a node reads it in quantized form: an activation (at the node's width, possibly through a
// RequantizeLinear), or a constant the lowering quantizes (weight, bias, constant operand of Add/Sub/Mul/Concat,
// int16 Clip bound, int16 PRelu slope, Pad value), or a node's lookup table.
struct OperandQuant {
    int bits = 0;  // 8 / 16 for int8 / int16 data; 32 / 64 for a bias (its accumulator's width); 0 = not quantized
    // real = q * 2^exponents[c]: one exponent, or one per output channel (per-channel weights and their bias;
    // channel c is Conv weight row c, Gemm/MatMul weight column c, bias element c).
    std::vector<int> exponents;
    std::string reason;  // "weight max-abs", "bias = e_in + e_w", "aligned to Add 'x'", ...

    bool quantized() const { return bits != 0; }
    bool per_channel() const { return exponents.size() > 1; }
    int exponent() const { return exponents.at(0); }  // the per-tensor exponent
};

// Every quantization fact about one node of the float graph.
struct NodeQuant {
    // inputs[j]: how the node reads its input j; bits == 0 for an input it takes as is (absent optional
    // inputs, shape/index/scale constants, float data) or that the target cannot run (lowering says why).
    std::vector<OperandQuant> inputs;
    // The lookup table of a table activation (int8 activations, int16 Gelu): entries at the output's exponent.
    // Unset when the node needs no table (e.g. a Relu whose input and output exponents agree).
    std::optional<OperandQuant> table;
};

// The single record of every quantization decision; lower_to_espdl only reads it.
struct QuantPlan {
    Target target = Target::ESP32S3;
    std::vector<TensorQuant> tensors;         // indexed by float value id (activations and graph inputs)
    std::map<int, int> node_bits;             // node index -> 8 / 16 (quant_type S8 / S16)
    std::vector<NodeQuant> nodes;             // indexed by node index: how each node reads its operands
    std::vector<std::string> notes;           // adjustments the user should know about (one line each)
};

struct PlanOptions {
    Target target = Target::ESP32S3;
    int bits = 8;
    CalibMethod method = CalibMethod::Auto;
    std::map<std::string, int> node_bits;          // node name -> 8/16 (mixed precision)
    // A node whose operator ESP-DL runs only at narrower widths than `bits` (Resize: int8 only) and that
    // `node_bits` does not name runs at the widest width ESP-DL has, with one note; false: it keeps `bits` and
    // the lowering refuses it (`espq ops` measures what each width really supports).
    bool narrow_to_supported_widths = true;
    std::map<std::string, int> exponent_overrides; // tensor name -> exponent (user; noted in the record)
    std::map<std::string, int> tuned_exponents;    // tensor name -> exponent chosen by refinement (silent)
};

// Checks mixed-precision overrides (node name -> bits) against the graph they apply to: every name must be a
// node of `graph` and every width 8 or 16, else a UserError naming the node (with the nearest node name as a
// suggestion). `original`, the model before the optimizer passes, lets the message say when a name was merged
// away by a fusion. plan_quantization runs it; quantize_model runs it before calibration, to fail fast.
void check_node_bits(const Graph& graph, const std::map<std::string, int>& node_bits, const Graph* original = nullptr);

// Chooses precision per node and exponent per tensor, applying ESP-DL's sharing rules (passive ops keep
// their input exponent; Add/Sub/Concat/Resize inputs take the output exponent where the producer can be
// re-pointed, else a Requantize is planned) and the shift constraints (e_out >= e_in + e_w for
// Conv/Gemm/MatMul, e_out >= e_a + e_b for Mul), which are never violated. Then records how every node reads
// each operand (QuantPlan::nodes): activations at the node's width (read_exponent), weights by max-abs (one
// exponent per output channel where the target has per-channel weights), biases at e_in + e_w, constant
// operands, bounds, slopes and lookup tables.
QuantPlan plan_quantization(const Graph& graph, const std::vector<TensorStats>& stats, const PlanOptions& options);

// The exponent at which a node of width `bits` reads a tensor stored at `from_bits` with `exponent`:
// int8 -> int16 gains 8 exact fraction bits; int16 -> int8 takes the 8-bit exponent `exponent8` (never finer
// than the 16-bit one, so the Requantize shifts right), else the same range. The one rule for this.
int read_exponent(int exponent, int from_bits, const std::optional<int>& exponent8, int bits);
// The same rule for a planned tensor; a float tensor (bits == 0) is read through a QuantizeLinear at its
// `quantize_exponents` entry for `bits`.
int read_exponent(const TensorQuant& t, int bits);

struct LowerOptions {
    std::vector<std::pair<std::string, std::string>> metadata;  // written as metadata_props
    // Preflight mode: instead of stopping at the first node the target cannot run, record one line per such
    // node here and keep going (the lowered model is then incomplete and must not be exported).
    std::vector<std::string>* collect_errors = nullptr;
};

// The lowered model and how its graph inputs/outputs relate to the float graph's: stored = permute(onnx, perm).
struct LoweredModel {
    Target target = Target::ESP32S3;
    EspdlModel model;
    std::vector<std::vector<int>> input_perms;   // per graph input, ONNX axis order -> stored (e.g. 0,2,3,1)
    std::vector<std::vector<int>> output_perms;  // per graph output
    std::vector<std::string> notes;              // lowering adjustments (bias clamping, ...), one line each
};

// Builds the ESP-DL graph. Throws UnsupportedError naming the node for anything the target cannot run.
LoweredModel lower_to_espdl(const Graph& graph, const QuantPlan& plan, const LowerOptions& options = {});

// Permutes a tensor's axes: out.shape[i] = in.shape[perm[i]].
Tensor permute(const Tensor& t, const std::vector<int>& perm);
// Float sample (ONNX layout) -> the lowered model's input i (stored layout; int8/int16 with its exponent,
// rounded with the target's tie rule as the device's dl::tool::round does, saturating).
Tensor quantize_input(const LoweredModel& lowered, int input_index, const Tensor& sample);
// Emulator output i of the lowered model -> float in the ONNX layout.
Tensor dequantize_output(const LoweredModel& lowered, int output_index, const Tensor& raw);

}  // namespace espq
