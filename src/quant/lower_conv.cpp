// Conv (2-D, 1-D, depthwise) -> ESP-DL Conv: NHWC activations, blocked int8/int16 filter, int32/int64 bias. The
// Conv node itself (LowerContext::conv_node) is shared with ConvTranspose (lower_conv_transpose.cpp).
#include <algorithm>
#include <cmath>

#include "espdl/layout.hpp"
#include "quant/lower_context.hpp"

namespace espq::quant {

int LowerContext::bias_constant(const Node& n, const Tensor& real_bias) {
    const OperandQuant& planned = operand(n, 2);
    const DType dt = node_bits(n) == 16 ? DType::Int64 : DType::Int32;
    Tensor real = real_bias.cast(DType::Float32);
    real.reshape({real.numel()});
    int64_t clamped = 0;
    Tensor b = quantize_channels(real, planned.exponents, 0, planned.bits, policy.rounding, dt, &clamped);
    if (clamped)
        note(node_label(n) + ": " + std::to_string(clamped) + " bias value(s) clamped to " +
             std::to_string(planned.bits) + " bits (bias exponent " +
             (planned.per_channel() ? std::string("e_in + e_w per channel") : std::to_string(planned.exponent())) +
             "); consider 16-bit for this layer");
    return add_constant(src.value(n.inputs.at(2)).name, std::move(b), exponent_list(planned), "layout ==> UNK");
}

void LowerContext::conv_node(const Node& n, int x_nhwc, int64_t in_channels, const Tensor& weight,
                             const ConvAttrs& a) {
    const int out = n.outputs.at(0);
    const size_t rank = weight.shape().size();
    const int64_t cout = weight.shape()[0];
    const bool depthwise = a.group > 1;
    if (depthwise && !(a.group == in_channels && cout == in_channels))
        throw_node_unsupported(n, "grouped convolution with group=" + std::to_string(a.group) + " (" +
                                      std::to_string(in_channels) + " -> " + std::to_string(cout) +
                                      " channels) is executed as depthwise by ESP-DL and would be wrong; split it "
                                      "into separate convolutions and a Concat");
    const int bits = node_bits(n);
    const int e_in = operand(n, 0).exponent();
    const OperandQuant& planned_w = operand(n, 1);
    Tensor wq = quantize_channels(weight.cast(DType::Float32), planned_w.exponents, 0, planned_w.bits, policy.rounding,
                                  bits == 16 ? DType::Int16 : DType::Int8);
    const espdl::WeightKind kind = depthwise ? espdl::WeightKind::DepthwiseConv : espdl::WeightKind::Conv;
    const int block = policy.lane_channels(wq.dtype());
    const std::string doc = espdl::layout_doc_string(espdl::layout_tag(kind, static_cast<int>(rank) - 2, cout, block));
    const int w = add_constant(src.value(n.inputs.at(1)).name, espdl::to_blocked(wq, kind, block),
                               exponent_list(planned_w), doc);
    std::vector<int> inputs = {x_nhwc, w};
    if (n.input(2) >= 0) inputs.push_back(bias_constant(n, *src.value(n.inputs[2]).constant));
    const int e_w = *std::max_element(planned_w.exponents.begin(), planned_w.exponents.end());
    if (e_in + e_w > q(out).exponent) throw InternalError("node '" + n.name + "': negative shift survived planning");

    const int y = define_output(out, channels_last_perm(rank));
    Node& c = add_node(n.name, "Conv", inputs, {y}, bits);
    c.attrs["activation"] = n.attr_string("activation", "Linear");
    c.attrs["dilations"] = Attribute::Ints(a.dilations);
    c.attrs["group"] = a.group;
    c.attrs["kernel_shape"] = Attribute::Ints(a.kernel);
    c.attrs["pads"] = Attribute::Ints(a.pads);
    c.attrs["strides"] = Attribute::Ints(a.strides);
}

namespace {

// ONNX pads (with auto_pad resolved) in ONNX order [x1_begin, x2_begin, x1_end, x2_end].
std::vector<int64_t> resolved_pads(const Node& n, const Shape& in, const std::vector<int64_t>& kernel,
                                   const std::vector<int64_t>& strides, const std::vector<int64_t>& dil) {
    const size_t sd = kernel.size();
    const std::string auto_pad = n.attr_string("auto_pad", "NOTSET");
    std::vector<int64_t> pads = n.attr_ints("pads", std::vector<int64_t>(2 * sd, 0));
    if (auto_pad == "VALID") return std::vector<int64_t>(2 * sd, 0);
    if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
        for (size_t i = 0; i < sd; ++i) {
            const int64_t len = in[2 + i], out = (len + strides[i] - 1) / strides[i];
            const int64_t total = std::max<int64_t>(0, (out - 1) * strides[i] + dil[i] * (kernel[i] - 1) + 1 - len);
            pads[i] = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
            pads[i + sd] = total - pads[i];
        }
    }
    return pads;
}

void lower_conv(LowerContext& ctx, const Node& n) {
    const Graph& g = ctx.src;
    const Value& wv = g.value(n.inputs.at(1));
    if (!wv.constant)
        throw_node_unsupported(n, "the weight is computed at run time; ESP-DL needs "
                               "constant weights");
    const Shape& xs = g.value(n.inputs.at(0)).shape;
    const size_t rank = xs.size();
    if (rank != 3 && rank != 4)
        throw_node_unsupported(n, "only 1-D and 2-D convolutions run on ESP-DL");
    const size_t sd = rank - 2;
    LowerContext::ConvAttrs a;
    a.group = n.attr_int("group", 1);
    a.kernel = n.attr_ints("kernel_shape", std::vector<int64_t>(wv.shape.begin() + 2, wv.shape.end()));
    a.strides = n.attr_ints("strides", std::vector<int64_t>(sd, 1));
    a.dilations = n.attr_ints("dilations", std::vector<int64_t>(sd, 1));
    a.pads = resolved_pads(n, xs, a.kernel, a.strides, a.dilations);
    const int xin_nhwc = ctx.read_input(n, 0, channels_last_perm(rank));
    ctx.conv_node(n, xin_nhwc, xs[1], *wv.constant, a);
}

}  // namespace

ESPQ_REGISTER_LOWERING("Conv", lower_conv);

}  // namespace espq::quant
