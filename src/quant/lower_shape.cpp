// Data-movement ops (passive: same exponent as the input; run in the ONNX layout, as ESP-PPQ exports them,
// with a Transpose inserted where the input is stored channels-last) and Resize.
#include "quant/lower_context.hpp"

namespace espq::quant {

namespace {

// Copies every constant input as an initializer (int64 shapes/axes, float scales; exponent 0, doc UNK).
int constant_input(LowerContext& ctx, int v) {
    const Value& val = ctx.src.value(v);
    return ctx.add_constant(val.name, *val.constant, {0}, "layout ==> UNK");
}

int int64_input(LowerContext& ctx, const std::string& name, const std::vector<int64_t>& values) {
    return ctx.add_constant(name, Tensor::from<int64_t>({static_cast<int64_t>(values.size())}, values), {0},
                            "layout ==> UNK");
}

void lower_data_movement(LowerContext& ctx, const Node& n) {
    const Graph& g = ctx.src;
    const int x = n.inputs.at(0);
    const Perm id = identity_perm(g.value(x).shape.size());
    std::vector<int> inputs = {ctx.read_input(n, 0, id)};
    for (size_t j = 1; j < n.inputs.size(); ++j) {
        const int v = n.inputs[j];
        if (v < 0) {
            inputs.push_back(kNoValue);
            continue;
        }
        if (!g.value(v).constant)
            throw_node_unsupported(n, "input " + std::to_string(j) +
                                   " is computed at run time; ESP-DL needs it constant (export with fixed shapes)");
        const OperandQuant& planned = ctx.operand(n, static_cast<int>(j));
        if (planned.quantized()) {  // the pad value, read in the padded tensor's dtype
            Tensor q = quantize_tensor(g.value(v).constant->cast(DType::Float32), planned.exponent(), planned.bits,
                                       ctx.policy.rounding, planned.bits == 16 ? DType::Int16 : DType::Int8);
            inputs.push_back(ctx.add_constant(g.value(v).name, std::move(q), exponent_list(planned), "layout ==> UNK"));
            continue;
        }
        inputs.push_back(constant_input(ctx, v));
    }
    Attributes attrs = n.attrs;
    // Opset < 13 attributes that ESP-DL reads as inputs (ESP-PPQ's opset normalisation).
    if ((n.op_type == "Squeeze" || n.op_type == "Unsqueeze") && attrs.count("axes")) {
        inputs.push_back(int64_input(ctx, n.name + ".axes", n.attr_ints("axes")));
        attrs.erase("axes");
    }
    if (n.op_type == "Slice" && attrs.count("starts")) {  // opset < 10: starts, ends and axes as attributes
        for (const char* name : {"starts", "ends", "axes"}) {
            if (!attrs.count(name)) break;  // axes is optional, and last
            inputs.push_back(int64_input(ctx, n.name + "." + name, n.attr_ints(name)));
            attrs.erase(name);
        }
    }
    if (n.op_type == "Split" && attrs.count("split")) {
        inputs.push_back(int64_input(ctx, n.name + ".split", n.attr_ints("split")));
        attrs.erase("split");
    }
    std::vector<int> outs;
    for (int o : n.outputs) outs.push_back(ctx.define_output(o, identity_perm(g.value(o).shape.size())));
    Node& node = ctx.add_node(n.name, n.op_type, inputs, outs, ctx.operand(n, 0).bits);
    for (auto& [k, v] : attrs) node.attrs[k] = v;
}

void lower_resize(LowerContext& ctx, const Node& n) {
    const Graph& g = ctx.src;
    const int x = n.inputs.at(0), out = n.outputs.at(0);
    const int bits = ctx.node_bits(n);
    if (bits != 8)
        throw_node_unsupported(n, "ESP-DL's int16 Resize is an empty stub; keep this "
                               "node at 8 bits");
    const size_t rank = g.value(x).shape.size();
    if (rank != 4) throw_node_unsupported(n, "only 4-D NCHW inputs are supported");
    const std::string mode = n.attr_string("mode", "nearest");
    if (mode != "nearest" && mode != "linear")
        throw_node_unsupported(n, "mode '" + mode + "' is not supported by ESP-DL");
    const Perm nhwc = channels_last_perm(rank);
    std::vector<int> inputs = {ctx.read_input(n, 0, nhwc), kNoValue};
    // Scales stay in NCHW order (the chip reads [2] = H, [3] = W); computed from the static shapes.
    const Shape& is = g.value(x).shape;
    const Shape& os = g.value(out).shape;
    std::vector<float> scales;
    for (size_t i = 0; i < rank; ++i) scales.push_back(static_cast<float>(os[i]) / static_cast<float>(is[i]));
    if (n.input(2) >= 0 && g.value(n.inputs[2]).constant && g.value(n.inputs[2]).constant->numel() == 4)
        scales = g.value(n.inputs[2]).constant->cast(DType::Float32).to_vector<float>();
    inputs.push_back(ctx.add_constant(n.name + ".scales", Tensor::from<float>({4}, scales), {0}, "layout ==> UNK"));
    const int y = ctx.define_output(out, nhwc);
    Node& r = ctx.add_node(n.name, "Resize", inputs, {y}, bits);
    r.attrs["coordinate_transformation_mode"] = n.attr_string("coordinate_transformation_mode", "half_pixel");
    r.attrs["cubic_coeff_a"] = n.attr_float("cubic_coeff_a", -0.75f);
    r.attrs["mode"] = mode;
    r.attrs["nearest_mode"] = n.attr_string("nearest_mode", "round_prefer_floor");
}

}  // namespace

ESPQ_REGISTER_LOWERING("Reshape", lower_data_movement);
ESPQ_REGISTER_LOWERING("Flatten", lower_data_movement);
ESPQ_REGISTER_LOWERING("Transpose", lower_data_movement);
ESPQ_REGISTER_LOWERING("Squeeze", lower_data_movement);
ESPQ_REGISTER_LOWERING("Unsqueeze", lower_data_movement);
ESPQ_REGISTER_LOWERING("Slice", lower_data_movement);
ESPQ_REGISTER_LOWERING("Gather", lower_data_movement);
ESPQ_REGISTER_LOWERING("Pad", lower_data_movement);
ESPQ_REGISTER_LOWERING("Split", lower_data_movement);
ESPQ_REGISTER_LOWERING("Resize", lower_resize);

}  // namespace espq::quant
