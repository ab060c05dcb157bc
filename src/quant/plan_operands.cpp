// How each node reads its operands (see src/quant/plan_operands.hpp and include/espq/quantize.hpp).
#include "quant/plan_operands.hpp"

#include <algorithm>
#include <cmath>

#include "quant/op_classes.hpp"

namespace espq::quant {

namespace {

std::string node_ref(const Node& n) { return n.op_type + " '" + n.name + "'"; }

bool is_data_movement(const std::string& op) {
    return op == "Reshape" || op == "Flatten" || op == "Transpose" || op == "Squeeze" || op == "Unsqueeze" ||
           op == "Slice" || op == "Gather" || op == "Pad" || op == "Split";
}

// Reads activations and constants of one node; `plan` holds the final tensor exponents.
class OperandPlanner {
public:
    OperandPlanner(const Graph& g, const QuantPlan& plan, const TargetPolicy& policy)
        : g_(g), plan_(plan), policy_(policy) {}

    NodeQuant plan_node(const Node& n, int bits) const {
        NodeQuant q;
        q.inputs.resize(n.inputs.size());
        const std::string& op = n.op_type;
        const int out = n.outputs.empty() ? -1 : n.outputs[0];
        if (is_weighted(op)) {
            q.inputs[0] = activation(n.inputs[0], bits);
            plan_weighted(n, bits, q);
        } else if (op == "Mul") {
            for (size_t j = 0; j < n.inputs.size(); ++j)
                q.inputs[j] = is_constant(n.inputs[j]) ? constant_max_abs(n.inputs[j], bits, "constant operand")
                                                       : activation(n.inputs[j], bits);
        } else if (aligns_inputs_to_output(op) && out >= 0 && plan_.tensors[out].bits != 0) {
            // The chip adds / copies raw integers: every operand, constant or not, at the output exponent.
            const size_t count = op == "Resize" ? 1 : n.inputs.size();
            for (size_t j = 0; j < count; ++j)
                if (n.inputs[j] >= 0)
                    q.inputs[j] = {bits, {plan_.tensors[out].exponent}, "aligned to the output of " + node_ref(n)};
        } else if (is_lut_activation(op)) {
            plan_activation(n, bits, q);
        } else if (op == "LayerNormalization") {
            // The module reads Scale and B in the activation dtype, each with its own exponent
            // (docs/esp-dl-arithmetic.md §6.17); the output exponent is calibrated like any computed tensor.
            q.inputs[0] = activation(n.inputs[0], bits);
            for (size_t j = 1; j < n.inputs.size(); ++j)
                if (is_constant(n.inputs[j])) q.inputs[j] = constant_max_abs(n.inputs[j], bits, j == 1 ? "Scale" : "B");
        } else if (is_data_movement(op)) {
            // Passive: the node runs at its input's own width and exponent; a Pad value is read in that dtype.
            const TensorQuant& in = plan_.tensors[n.inputs[0]];
            const TensorQuant* o = out >= 0 ? &plan_.tensors[out] : nullptr;
            if (in.bits == 0 && o && o->bits != 0)  // a float input (mid-graph Softmax): quantized for the copy
                q.inputs[0] = {o->bits, {o->exponent}, "float tensor quantized (QuantizeLinear) at the output's "
                                                       "exponent, which a passive op keeps"};
            else
                q.inputs[0] = {in.bits, {in.exponent}, "passive: the tensor's own exponent"};
            if (op == "Pad" && n.input(2) >= 0 && is_constant(n.inputs[2]))
                q.inputs[2] = {q.inputs[0].bits, q.inputs[0].exponents, "pad value at the padded tensor's exponent"};
        } else if (!n.inputs.empty() && n.inputs[0] >= 0) {
            // Softmax, pooling and any other single-input node: its input at the node's width.
            q.inputs[0] = activation(n.inputs[0], bits);
        }
        return q;
    }

private:
    bool is_constant(int v) const { return v >= 0 && g_.value(v).constant.has_value(); }

    // An activation read at the node's width: read_exponent is the one rule.
    OperandQuant activation(int v, int bits) const {
        if (v < 0 || is_constant(v)) return {};
        const TensorQuant& t = plan_.tensors[v];
        const int e = read_exponent(t, bits);
        std::string reason = "the tensor's own exponent";
        if (t.bits == 0)
            return {bits, {e}, "float tensor quantized (QuantizeLinear) at " + std::to_string(bits) +
                                   " bits, exponent calibrated"};
        if (bits > t.bits && t.bits != 0) reason = "read at " + std::to_string(bits) + " bits: exact, " +
                                                   std::to_string(bits - t.bits) + " more fraction bits";
        else if (bits < t.bits) reason = t.exponent8 ? "read at " + std::to_string(bits) + " bits: the tensor's " +
                                                           std::to_string(bits) + "-bit exponent (calibrated)"
                                                     : "read at " + std::to_string(bits) + " bits: same range";
        return {bits, {e}, reason};
    }

    OperandQuant constant_max_abs(int v, int bits, const std::string& what) const {
        return {bits, {weight_exponent(*g_.value(v).constant, bits)}, what + " max-abs"};
    }

    void plan_weighted(const Node& n, int bits, NodeQuant& q) const {
        if (!is_constant(n.input(1))) {
            // MatMul of two activations: the second is read at the node's width too; the shift
            // e_out - e_a - e_b >= 0 is step 4 of plan.cpp (docs/esp-dl-arithmetic.md §6.18).
            q.inputs[1] = activation(n.input(1), bits);
            return;
        }
        const Tensor& w = *g_.value(n.inputs[1]).constant;
        std::vector<int> e_w = weight_exponents(n, w, bits, policy_);
        const bool per_channel = e_w.size() > 1;
        const int e_in = q.inputs[0].quantized() ? q.inputs[0].exponent() : 0;
        const int bias_bits = policy_.bias_bits(bits);
        std::string weight_reason = per_channel ? "weight max-abs per output channel" : "weight max-abs";
        if (n.input(2) >= 0 && is_constant(n.inputs[2])) {
            const std::vector<double> bias = g_.value(n.inputs[2]).constant->as_doubles();
            if (per_channel && bias.size() == e_w.size()) {
                // A fine channel exponent makes a fine bias exponent; where the bias would not fit its
                // accumulator width, raise that channel's exponent (never above the per-tensor one, so the
                // shift constraint still holds). An all-zero channel takes the per-tensor exponent.
                const int e_max = *std::max_element(e_w.begin(), e_w.end());
                const double limit = std::ldexp(1.0, bias_bits - 1) - 1;
                int raised = 0;
                for (size_t c = 0; c < e_w.size(); ++c) {
                    const int before = e_w[c];
                    while (e_w[c] < e_max && std::fabs(bias[c]) * std::ldexp(1.0, -(e_in + e_w[c])) > limit) ++e_w[c];
                    raised += e_w[c] != before;
                }
                if (raised)
                    weight_reason += "; " + std::to_string(raised) + " channel(s) raised so that their bias fits " +
                                     std::to_string(bias_bits) + " bits";
            }
            std::vector<int> e_b;
            for (int e : e_w) e_b.push_back(e_in + e);
            q.inputs[2] = {bias_bits, std::move(e_b), per_channel ? "bias = e_in + e_w[c]" : "bias = e_in + e_w"};
        }
        q.inputs[1] = {bits, std::move(e_w), weight_reason};
    }

    void plan_activation(const Node& n, int bits, NodeQuant& q) const {
        q.inputs[0] = activation(n.inputs[0], bits);
        const int e_in = q.inputs[0].quantized() ? q.inputs[0].exponent() : 0;
        const int e_out = plan_.tensors[n.outputs.at(0)].exponent;
        if (n.op_type == "Clip" && bits == 16) {
            // Without a table the int16 kernel clamps raw integers: the bounds in the input's exponent.
            for (int k = 1; k <= 2; ++k)
                if (n.input(k) >= 0 && is_constant(n.inputs[k]))
                    q.inputs[k] = {bits, {e_in}, "Clip bound at the input's exponent (the int16 kernel clamps raw "
                                                 "integers)"};
        }
        if (n.op_type == "PRelu" && bits == 16 && is_constant(n.input(1))) {
            // out = x * alpha >> (e_out - e_in - e_alpha): a negative shift breaks ESP-DL.
            const int e_max_abs = weight_exponent(*g_.value(n.inputs[1]).constant, bits);
            const int e_cap = e_out - e_in;
            q.inputs[1] = e_max_abs <= e_cap
                              ? OperandQuant{bits, {e_max_abs}, "slope max-abs"}
                              : OperandQuant{bits, {e_cap}, "slope exponent capped at e_out - e_in so that the "
                                                            "PRelu shift is >= 0"};
        }
        const bool integer_relu = n.op_type == "Relu" && e_in == e_out;  // max(x, 0) on raw integers
        if (!integer_relu && (bits == 8 || n.op_type == "Gelu"))
            q.table = OperandQuant{bits, {e_out}, "lookup table entries at the output's exponent"};
    }

    const Graph& g_;
    const QuantPlan& plan_;
    const TargetPolicy& policy_;
};

}  // namespace

int weight_channel_axis(const Node& n) { return n.op_type == "Conv" || n.op_type == "ConvTranspose" ? 0 : 1; }

Tensor conv_transpose_as_conv_weight(const Tensor& w, int64_t group) {
    const Tensor src = w.cast(DType::Float32);
    const Shape& s = src.shape();
    if (s.size() < 3 || group < 1 || s[0] % group != 0)
        throw InternalError("conv_transpose_as_conv_weight: weight " + shape_str(s) + " with group " +
                            std::to_string(group));
    const int64_t cin = s[0], cout_g = s[1], cin_g = cin / group, taps = src.numel() / (cin * cout_g);
    Shape out_shape = s;
    out_shape[0] = cout_g * group;
    out_shape[1] = cin_g;
    Tensor out(DType::Float32, out_shape);
    const float* x = src.data<float>();
    float* y = out.data<float>();
    // Reversing the row-major tap index flips every spatial axis at once.
    for (int64_t g = 0; g < group; ++g)
        for (int64_t i = 0; i < cin_g; ++i)
            for (int64_t o = 0; o < cout_g; ++o) {
                const float* from = x + ((g * cin_g + i) * cout_g + o) * taps;
                float* to = y + ((g * cout_g + o) * cin_g + i) * taps;
                for (int64_t t = 0; t < taps; ++t) to[t] = from[taps - 1 - t];
            }
    return out;
}

std::vector<int> weight_exponents(const Node& n, const Tensor& given, int bits, const TargetPolicy& policy) {
    // A ConvTranspose runs as a Conv: its exponents are that Conv weight's, one per output channel of the Conv.
    Tensor converted;
    if (n.op_type == "ConvTranspose") converted = conv_transpose_as_conv_weight(given, n.attr_int("group", 1));
    const Tensor& weight = n.op_type == "ConvTranspose" ? converted : given;
    const int axis = weight_channel_axis(n);
    if (policy.per_channel_weights && weight.rank() > axis && weight.rank() >= 2 && weight.shape()[axis] > 1)
        return channel_weight_exponents(weight, bits, axis);
    return {weight_exponent(weight, bits)};
}

void plan_operands(const Graph& g, QuantPlan& plan) {
    const OperandPlanner planner(g, plan, target_policy(plan.target));
    plan.nodes.clear();
    for (size_t i = 0; i < g.nodes.size(); ++i)
        plan.nodes.push_back(planner.plan_node(g.nodes[i], plan.node_bits.at(static_cast<int>(i))));
}

}  // namespace espq::quant
