// Single-input activations (int8: 256-entry lookup tables computed in double precision; int16: the chip
// computes them in float from the exponents, except Gelu, which ESP-DL runs only through an int16 table) and
// Softmax / LogSoftmax (float output).
#include <cmath>
#include <functional>

#include "quant/lower_context.hpp"

namespace espq::quant {

namespace {

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// Float function of an activation node (ONNX semantics and defaults), for table generation.
std::function<double(double)> activation_function(const LowerContext& ctx, const Node& n) {
    const std::string& op = n.op_type;
    if (op == "Sigmoid") return sigmoid;
    if (op == "Tanh") return [](double x) { return std::tanh(x); };
    if (op == "Relu") return [](double x) { return x > 0 ? x : 0.0; };
    if (op == "Swish") return [](double x) { return x * sigmoid(x); };
    if (op == "HardSwish") return [](double x) { return x * std::min(1.0, std::max(0.0, x / 6.0 + 0.5)); };
    if (op == "HardSigmoid") {
        const double a = n.attr_float("alpha", 0.2f), b = n.attr_float("beta", 0.5f);
        return [a, b](double x) { return std::min(1.0, std::max(0.0, a * x + b)); };
    }
    if (op == "LeakyRelu") {
        const double a = n.attr_float("alpha", 0.01f);
        return [a](double x) { return x >= 0 ? x : a * x; };
    }
    if (op == "Elu") {
        const double a = n.attr_float("alpha", 1.0f);
        return [a](double x) { return x >= 0 ? x : a * (std::exp(x) - 1.0); };
    }
    if (op == "Exp") return [](double x) { return std::exp(x); };
    if (op == "Log") return [](double x) { return std::log(x); };
    if (op == "Sqrt") return [](double x) { return std::sqrt(x); };
    if (op == "Gelu") {
        if (n.attr_string("approximate", "none") == "tanh")
            return [](double x) { return 0.5 * x * (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x))); };
        return [](double x) { return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0))); };
    }
    if (op == "Clip") {
        double lo = -INFINITY, hi = INFINITY;
        if (n.has_attr("min")) lo = n.attr_float("min", 0);
        if (n.has_attr("max")) hi = n.attr_float("max", 0);
        for (int k = 1; k <= 2; ++k) {
            if (n.input(k) < 0) continue;
            const Value& b = ctx.src.value(n.input(k));
            if (!b.constant) throw_node_unsupported(n, "bounds must be constants");
            (k == 1 ? lo : hi) = b.constant->as_doubles().at(0);
        }
        return [lo, hi](double x) { return std::min(hi, std::max(lo, x)); };
    }
    if (op == "PRelu") {
        const Value& s = ctx.src.value(n.inputs.at(1));
        if (!s.constant || s.constant->numel() != 1)
            throw_node_unsupported(n, "only a single constant slope is supported");
        const double a = s.constant->as_doubles()[0];
        return [a](double x) { return x >= 0 ? x : a * x; };
    }
    throw InternalError("no table function for " + op);
}

void lower_activation(LowerContext& ctx, const Node& n) {
    const int x = n.inputs.at(0), out = n.outputs.at(0);
    const int bits = ctx.node_bits(n);
    const Perm layout = ctx.perm[x];
    const int xin = ctx.read_input(n, 0, layout);
    const int e_in = ctx.operand(n, 0).exponent();
    std::vector<int> inputs = {xin};
    // int16 Clip bounds (the kernel clamps raw integers) and the int16 PRelu slope (an int16 multiplier) are
    // constants read at their planned exponents; int8 folds them into the table.
    const bool constant_operands = (n.op_type == "Clip" || n.op_type == "PRelu") && bits == 16;
    if (n.op_type == "Clip" && bits == 16 && (n.has_attr("min") || n.has_attr("max")))
        throw_node_unsupported(n, "min/max given as attributes (opset < 11) reach the int16 lowering only when pass "
                                  "clip_bounds_to_inputs is disabled; do not disable it");
    for (size_t k = 1; constant_operands && k < n.inputs.size(); ++k) {
        if (n.inputs[k] < 0) {
            // ESP-DL's Clip takes its inputs by position count: two mean (x, min). A max without a min gets the
            // int16 minimum as its min, which clamps nothing.
            if (n.op_type == "Clip" && k == 1 && n.input(2) >= 0)
                inputs.push_back(ctx.add_constant(n.name + ".min", Tensor::scalar<int16_t>(INT16_MIN),
                                                  {ctx.operand(n, 0).exponent()}, "layout ==> UNK"));
            continue;
        }
        const OperandQuant& planned = ctx.operand(n, static_cast<int>(k));
        const Value& c = ctx.src.value(n.inputs[k]);
        if (!planned.quantized())
            throw_node_unsupported(n, "input '" + c.name +
                                   "' is computed at run time; ESP-DL needs it constant");
        Tensor q = quantize_tensor(c.constant->cast(DType::Float32), planned.exponent(), planned.bits,
                                   ctx.policy.rounding, DType::Int16);
        if (n.op_type == "PRelu") q.reshape({q.numel()});
        inputs.push_back(ctx.add_constant(c.name, std::move(q), exponent_list(planned), "layout ==> UNK"));
    }
    const int y = ctx.define_output(out, layout);
    Node& node = ctx.add_node(n.name, n.op_type, inputs, {y}, bits);
    for (const auto& [k, v] : n.attrs)
        if (k == "alpha" || k == "beta" || k == "approximate") node.attrs[k] = v;
    const std::optional<OperandQuant>& planned_table = ctx.node_quant(n).table;
    if (!planned_table) return;  // e.g. a Relu at equal exponents: integer max(x, 0)
    const int e_table = planned_table->exponent();
    const auto f = activation_function(ctx, n);
    auto entry = [&](double x_int, double lo, double hi) {
        double yv = std::ldexp(f(std::ldexp(x_int, e_in)), -e_table);
        if (std::isnan(yv)) yv = 0;
        return std::min(hi, std::max(lo, round_ties(yv, ctx.policy.rounding)));
    };
    Tensor table;
    if (planned_table->bits == 8) {
        table = Tensor(DType::Int8, {256});
        for (int i = 0; i < 256; ++i) table.data<int8_t>()[i] = static_cast<int8_t>(entry(i - 128, -128, 127));
    } else {
        // int16: 65536/step + 1 entries looked up at the nearest multiple of `step`; step 16 keeps the input
        // error within 8 LSB at 8 KB per table (ESP-DL's default step 256 would be 128 LSB).
        constexpr int kStep = 16;
        const int entries = 65536 / kStep + 1;
        table = Tensor(DType::Int16, {entries});
        for (int i = 0; i < entries; ++i)
            table.data<int16_t>()[i] = static_cast<int16_t>(entry(i * kStep - 32768.0, -32768, 32767));
    }
    const std::string lut_name = n.op_type + "_lut_" + std::to_string(ctx.lut_counter++);
    Value lv;
    lv.name = ctx.fresh_name(lut_name);
    lv.dtype = table.dtype();
    lv.shape = table.shape();
    lv.shape_known = true;
    lv.constant = std::move(table);
    lv.exponents = exponent_list(*planned_table);
    const int lut = ctx.dst.add_value(std::move(lv));
    ctx.lut_values.push_back(lut);
    // The LUT module reads the table from the `lut` attribute, not from an input.
    ctx.dst.nodes.back().attrs["lut"] = ctx.dst.value(lut).name;
}

void lower_softmax(LowerContext& ctx, const Node& n) {
    const int x = n.inputs.at(0), out = n.outputs.at(0);
    const int bits = ctx.node_bits(n);
    const Perm layout = ctx.perm[x];
    const int xin = ctx.read_input(n, 0, layout);
    const size_t rank = ctx.src.value(x).shape.size();
    int64_t axis = n.attr_int("axis", ctx.src.opset() >= 13 ? -1 : 1);
    if (axis < 0) axis += static_cast<int64_t>(rank);
    if (ctx.src.opset() < 13 && axis != static_cast<int64_t>(rank) - 1)
        throw_node_unsupported(n, "opset<13 softmax over several axes is not "
                               "supported by ESP-DL; export with opset 13 or softmax over the last axis");
    const int y = ctx.define_output(out, layout);
    Node& s = ctx.add_node(n.name, n.op_type, {xin}, {y}, bits);
    s.attrs["axis"] = static_cast<int64_t>(inverse_perm(layout)[axis]);
}

}  // namespace

ESPQ_REGISTER_LOWERING("Sigmoid", lower_activation);
ESPQ_REGISTER_LOWERING("Tanh", lower_activation);
ESPQ_REGISTER_LOWERING("Relu", lower_activation);
ESPQ_REGISTER_LOWERING("Swish", lower_activation);
ESPQ_REGISTER_LOWERING("HardSwish", lower_activation);
ESPQ_REGISTER_LOWERING("HardSigmoid", lower_activation);
ESPQ_REGISTER_LOWERING("LeakyRelu", lower_activation);
ESPQ_REGISTER_LOWERING("Elu", lower_activation);
ESPQ_REGISTER_LOWERING("Exp", lower_activation);
ESPQ_REGISTER_LOWERING("Log", lower_activation);
ESPQ_REGISTER_LOWERING("Sqrt", lower_activation);
ESPQ_REGISTER_LOWERING("Gelu", lower_activation);
ESPQ_REGISTER_LOWERING("Clip", lower_activation);
ESPQ_REGISTER_LOWERING("PRelu", lower_activation);
ESPQ_REGISTER_LOWERING("Softmax", lower_softmax);
ESPQ_REGISTER_LOWERING("LogSoftmax", lower_softmax);

}  // namespace espq::quant
