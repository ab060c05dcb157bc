// Shared state and helpers for lowering a float graph to an ESP-DL graph. Each operator family has its own
// lower_<family>.cpp that registers LowerFn entries; lower.cpp drives them in topological order.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "espq/node_error.hpp"
#include "espq/quantize.hpp"

namespace espq::quant {

using Perm = std::vector<int>;
Perm identity_perm(size_t rank);
Perm channels_last_perm(size_t rank);  // NCHW -> NHWC (rank 4), NCW -> NWC (rank 3); identity otherwise
Perm inverse_perm(const Perm& p);
Shape permute_shape(const Shape& s, const Perm& p);

// Rounds to the nearest integer with the target's tie rule (S3/C: half up, toward +inf; P4: half even).
double round_ties(double x, Rounding r);
// Quantizes float data to int with exponent e and `bits`, saturating; result dtype INT8/INT16/INT32/INT64.
Tensor quantize_tensor(const Tensor& real, int exponent, int bits, Rounding r, DType out_dtype, int64_t* clamped = nullptr);
// The same with one exponent per index of `axis` (exponents.size() == shape[axis]), or one for all.
Tensor quantize_channels(const Tensor& real, const std::vector<int>& exponents, int axis, int bits, Rounding r,
                         DType out_dtype, int64_t* clamped = nullptr);
// A Value's exponent list (ESP-DL reads one per output channel where there are several).
std::vector<int64_t> exponent_list(const OperandQuant& q);

struct LowerContext {
    const Graph& src;  // float graph
    const QuantPlan& plan;
    Graph& dst;        // ESP-DL graph being built
    const TargetPolicy& policy;

    std::vector<int> lowered;  // float value id -> lowered value id in its native config (-1: not yet)
    std::vector<Perm> perm;    // float value id -> stored layout permutation
    std::map<std::tuple<int, int, int, Perm>, int> cache;  // (float value, bits, exponent, perm) -> lowered id
    int lut_counter = 0;
    int inserted_counter = 0;
    std::vector<int> lut_values;  // LUT initializers, exported first like ESP-PPQ
    std::vector<std::string>* notes = nullptr;
    void note(const std::string& s) const;
    // Quantized bias of a weighted node at its planned exponent(s) and width (input 2 of the plan), INT32 for
    // int8 / INT64 for int16 layers, with a note when values had to be clamped.
    int bias_constant(const Node& n, const Tensor& real_bias);

    // Geometry of an ESP-DL Conv node; pads in ONNX order [begins..., ends...].
    struct ConvAttrs {
        std::vector<int64_t> kernel, strides, dilations, pads;
        int64_t group = 1;
    };
    // Emits the ESP-DL Conv that computes weighted node n (Conv, or ConvTranspose after its InsertZeros) into
    // n's output, channels-last: reads `x_nhwc` (lowered, at the plan's read of input 0, `in_channels`
    // channels), quantizes `weight` (float, Conv layout [Cout, Cin/group, k...]) at the plan's exponents for
    // input 1 and n's bias (input 2), and refuses groups ESP-DL would run wrongly (docs/esp-dl-arithmetic.md §9.4).
    void conv_node(const Node& n, int x_nhwc, int64_t in_channels, const Tensor& weight, const ConvAttrs& a);

    // The lowered value of float value `fv` with the given bits/exponent/layout, inserting Transpose and
    // RequantizeLinear nodes (named after `consumer`) as needed. Constants are not handled here.
    int activation(int fv, int bits, int exponent, const Perm& layout, const std::string& consumer);
    // Same, keeping the value's own bits/exponent (layout only).
    int activation_in_layout(int fv, const Perm& layout, const std::string& consumer);
    // A RequantizeLinear / QuantizeLinear from the lowered tensor `cur` of `fv` to `bits` at `exponent`.
    int convert(int fv, int cur, const std::string& op, int bits, int exponent, const Perm& layout,
                const std::string& consumer);
    // Input j of node n as the plan says n reads it (bits, exponent), in `layout`.
    int read_input(const Node& n, int j, const Perm& layout);
    // How the plan says node n reads input j / everything about node n.
    const OperandQuant& operand(const Node& n, int j) const;
    const NodeQuant& node_quant(const Node& n) const;

    // Creates the lowered output value for float value `fv` (name kept) with the plan's config and `layout`.
    int define_output(int fv, const Perm& layout);
    // Adds a constant (initializer) to the lowered graph; name made unique; `doc` e.g. "layout ==> UNK".
    int add_constant(const std::string& name, Tensor t, std::vector<int64_t> exponents, const std::string& doc);
    // Adds a node with quant_type set from `bits` (0 -> "F32").
    Node& add_node(const std::string& name, const std::string& op, std::vector<int> inputs, std::vector<int> outputs,
                   int bits);

    const TensorQuant& q(int fv) const { return plan.tensors.at(fv); }
    int node_index(const Node& n) const { return static_cast<int>(&n - src.nodes.data()); }
    int node_bits(const Node& n) const;
    std::string fresh_name(const std::string& base);
};

using LowerFn = std::function<void(LowerContext&, const Node&)>;
bool register_lowering(const std::string& op, LowerFn fn);
const LowerFn* find_lowering(const std::string& op);

#define ESPQ_REGISTER_LOWERING(op, fn) \
    static const bool ESPQ_CONCAT(espq_lowering_registered_, __LINE__) = ::espq::quant::register_lowering(op, fn)
#ifndef ESPQ_CONCAT
#define ESPQ_CONCAT_INNER(a, b) a##b
#define ESPQ_CONCAT(a, b) ESPQ_CONCAT_INNER(a, b)
#endif

}  // namespace espq::quant
