// LayerNormalization: one ESP-DL module that computes in float from the exponents (docs/esp-dl-arithmetic.md
// §6.17). It reads Scale and B in the activation's dtype, each with its own exponent, one value per element of
// a normalised slice, so both are expanded to the full normalised shape and quantized here.
#include <climits>

#include "exec/broadcast.hpp"
#include "quant/lower_context.hpp"

namespace espq::quant {

namespace {

// `param` broadcast to `target` (it broadcasts: the float kernel's shape inference checked it).
Tensor expand_to(const Tensor& param, const Shape& target) {
    const Tensor p = param.cast(DType::Float32);
    Tensor out(DType::Float32, target);
    const float none = 0.f;
    exec::BroadcastPlan(p.shape(), Shape{}, target).apply(p.data<float>(), &none, out.data<float>(),
                                                          [](float a, float) { return a; });
    return out;
}

void lower_layer_normalization(LowerContext& ctx, const Node& n) {
    const Graph& g = ctx.src;
    const int x = n.inputs.at(0), out = n.outputs.at(0);
    const int bits = ctx.node_bits(n);
    const Shape& xs = g.value(x).shape;
    const int64_t rank = static_cast<int64_t>(xs.size());
    int64_t axis = n.attr_int("axis", -1);
    if (axis < 0) axis += rank;
    const Shape normalized(xs.begin() + axis, xs.end());
    const int64_t inner = shape_numel(normalized);
    // The module sums a slice's raw integers in an int32.
    if (inner > (int64_t{INT32_MAX} >> (bits - 1)))
        throw_node_unsupported(n, "a normalised slice of " + std::to_string(inner) + " elements can overflow the "
                                  "int32 sum ESP-DL's " + std::to_string(bits) + "-bit kernel keeps; normalise "
                                  "over fewer axes");
    // The module normalises the trailing axes of the stored tensor: keep the input's layout when it leaves the
    // normalised axes in place (their element order is Scale's and B's), else read it in the ONNX layout.
    Perm layout = ctx.perm[x];
    for (int64_t d = axis; d < rank; ++d)
        if (layout.size() != xs.size() || layout[d] != d) layout = identity_perm(xs.size());
    const int xin = ctx.read_input(n, 0, layout);
    std::vector<int> inputs = {xin};
    for (int j = 1; j <= 2; ++j) {
        if (n.input(j) < 0) continue;
        const Value& c = g.value(n.inputs[j]);
        const OperandQuant& planned = ctx.operand(n, j);
        if (!c.constant || !planned.quantized())
            throw_node_unsupported(n, "input '" + c.name + "' is computed at run time; ESP-DL needs a constant " +
                                      (j == 1 ? "Scale" : "B"));
        Tensor q = quantize_tensor(expand_to(*c.constant, normalized), planned.exponent(), planned.bits,
                                   ctx.policy.rounding, bits == 16 ? DType::Int16 : DType::Int8);
        inputs.push_back(ctx.add_constant(c.name, std::move(q), exponent_list(planned), "layout ==> UNK"));
    }
    const int y = ctx.define_output(out, layout);
    Node& m = ctx.add_node(n.name, "LayerNormalization", inputs, {y}, bits);
    m.attrs["axis"] = axis;
    m.attrs["epsilon"] = n.attr_float("epsilon", 1e-5f);
    m.attrs["stash_type"] = int64_t{0};  // what ESP-PPQ writes; the module ignores it
}

}  // namespace

ESPQ_REGISTER_LOWERING("LayerNormalization", lower_layer_normalization);

}  // namespace espq::quant
