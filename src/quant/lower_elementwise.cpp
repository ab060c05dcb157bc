// Add, Sub (raw-integer adds: inputs at the output exponent), Mul (integer multiply + shift) and Concat.
#include "quant/lower_context.hpp"

namespace espq::quant {

namespace {

// A common layout for the dynamic inputs: their shared one, else channels-last if any has it (and ranks
// match), else the ONNX layout.
Perm common_layout(const LowerContext& ctx, const std::vector<int>& dynamic, size_t out_rank) {
    bool same = true, any_cl = false;
    for (int v : dynamic) {
        if (ctx.src.value(v).shape.size() != out_rank) return identity_perm(out_rank);
        same &= ctx.perm[v] == ctx.perm[dynamic[0]];
        any_cl |= ctx.perm[v] == channels_last_perm(out_rank) && out_rank >= 3;
    }
    if (!dynamic.empty() && same) return ctx.perm[dynamic[0]];
    return any_cl ? channels_last_perm(out_rank) : identity_perm(out_rank);
}

// A constant operand expanded to the output rank (leading 1s) and permuted to `layout`.
Tensor constant_in_layout(const Tensor& c, size_t rank, const Perm& layout) {
    Tensor t = c.cast(DType::Float32);
    Shape s = t.shape();
    while (s.size() < rank) s.insert(s.begin(), 1);
    t.reshape(s);
    return permute(t, layout);
}

void lower_binary(LowerContext& ctx, const Node& n) {
    const Graph& g = ctx.src;
    const int out = n.outputs.at(0);
    const size_t rank = g.value(out).shape.size();
    const int bits = ctx.node_bits(n);
    std::vector<int> dynamic;
    for (int j = 0; j < 2; ++j)
        if (!g.value(n.inputs.at(j)).constant) dynamic.push_back(n.inputs[j]);
    if (dynamic.empty()) throw InternalError("node '" + n.name + "': constant-only binary op not folded");
    const Perm layout = common_layout(ctx, dynamic, rank);
    std::vector<int> inputs;
    for (int j = 0; j < 2; ++j) {
        const Value& val = g.value(n.inputs[j]);
        if (!val.constant) {
            inputs.push_back(ctx.read_input(n, j, layout));
            continue;
        }
        const OperandQuant& planned = ctx.operand(n, j);
        int64_t clamped = 0;
        Tensor q = quantize_tensor(constant_in_layout(*val.constant, rank, layout), planned.exponent(), planned.bits,
                                   ctx.policy.rounding, bits == 16 ? DType::Int16 : DType::Int8, &clamped);
        if (clamped)
            ctx.note(node_label(n) + ": constant operand '" + val.name + "' clamped at exponent " +
                     std::to_string(planned.exponent()));
        inputs.push_back(ctx.add_constant(val.name, std::move(q), exponent_list(planned), "layout ==> UNK"));
    }
    const int y = ctx.define_output(out, layout);
    ctx.add_node(n.name, n.op_type, inputs, {y}, bits);
}

void lower_concat(LowerContext& ctx, const Node& n) {
    const Graph& g = ctx.src;
    const int out = n.outputs.at(0);
    const size_t rank = g.value(out).shape.size();
    const int bits = ctx.node_bits(n);
    std::vector<int> dynamic;
    for (int v : n.inputs)
        if (v >= 0 && !g.value(v).constant) dynamic.push_back(v);
    const Perm layout = common_layout(ctx, dynamic, rank);
    std::vector<int> inputs;
    for (size_t j = 0; j < n.inputs.size(); ++j) {
        const int v = n.inputs[j];
        if (v < 0) continue;
        const Value& val = g.value(v);
        if (!val.constant) {
            inputs.push_back(ctx.read_input(n, static_cast<int>(j), layout));
            continue;
        }
        const OperandQuant& planned = ctx.operand(n, static_cast<int>(j));
        Tensor q = quantize_tensor(permute(val.constant->cast(DType::Float32), layout), planned.exponent(),
                                   planned.bits, ctx.policy.rounding, bits == 16 ? DType::Int16 : DType::Int8);
        inputs.push_back(ctx.add_constant(val.name, std::move(q), exponent_list(planned), "layout ==> UNK"));
    }
    int64_t axis = n.attr_int("axis", 0);
    if (axis < 0) axis += static_cast<int64_t>(rank);
    const int y = ctx.define_output(out, layout);
    Node& c = ctx.add_node(n.name, "Concat", inputs, {y}, bits);
    c.attrs["axis"] = static_cast<int64_t>(inverse_perm(layout)[axis]);
}

}  // namespace

ESPQ_REGISTER_LOWERING("Add", lower_binary);
ESPQ_REGISTER_LOWERING("Sub", lower_binary);
ESPQ_REGISTER_LOWERING("Mul", lower_binary);
ESPQ_REGISTER_LOWERING("Concat", lower_concat);

}  // namespace espq::quant
