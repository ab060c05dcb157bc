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
};

struct QuantPlan {
    Target target = Target::ESP32S3;
    std::vector<TensorQuant> tensors;         // indexed by float value id (activations and graph inputs)
    std::map<int, int> node_bits;             // node index -> 8 / 16 (quant_type S8 / S16)
    std::vector<std::string> notes;           // adjustments the user should know about (one line each)
};

struct PlanOptions {
    Target target = Target::ESP32S3;
    int bits = 8;
    CalibMethod method = CalibMethod::Auto;
    std::map<std::string, int> node_bits;          // node name -> 8/16 (mixed precision)
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
// Conv/Gemm/MatMul, e_out >= e_a + e_b for Mul), which are never violated.
QuantPlan plan_quantization(const Graph& graph, const std::vector<TensorStats>& stats, const PlanOptions& options);

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
