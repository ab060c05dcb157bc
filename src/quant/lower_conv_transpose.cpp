// ConvTranspose (1-D, 2-D, depthwise) -> ESP-DL InsertZeros followed by Conv, the decomposition ESP-PPQ exports
// (docs/esp-dl-arithmetic.md §6.19). ESP-DL has no ConvTranspose module.
//
// A transposed convolution scatters input pixel i to outputs i*stride + k*dilation - pad_begin. The same sum is
// a stride-1 convolution, with the spatially flipped kernel (channels swapped within each group), of the input
// with stride - 1 zeros inserted between neighbouring pixels and dilation*(kernel-1) - pad zeros around it.
// InsertZeros writes the interior zeros (and output_padding zeros at the end); the Conv's own padding, which
// ESP-DL never materializes, supplies the border zeros. InsertZeros copies raw integers, so its output carries
// the exponent the Conv reads its input with, and the plan quantizes the ConvTranspose as that Conv.
#include <algorithm>

#include "float_kernels/window.hpp"
#include "quant/lower_context.hpp"
#include "quant/plan_operands.hpp"

namespace espq::quant {

namespace {

struct TransposedAsConv {
    bool insert_zeros = false;                    // false: the Conv reads the input itself (stride 1, no padding)
    std::vector<int64_t> stride, output_padding;  // InsertZeros attributes, one per spatial axis
    LowerContext::ConvAttrs conv;                 // the stride-1 Conv on the zero-inserted tensor
};

// The InsertZeros and Conv attributes computing ConvTranspose node n on input shape `xs` (NCHW / NCW). Pads
// come from ONNX's rules (explicit, auto_pad or output_shape) as the float kernel resolves them.
TransposedAsConv transposed_as_conv(const Node& n, const Shape& xs, const Shape& ws) {
    using float_kernels::Dims;
    const Dims in(xs.begin() + 2, xs.end()), kernel(ws.begin() + 2, ws.end());
    const float_kernels::Window w = float_kernels::transposed_window(n, in, kernel);
    const size_t sd = in.size();
    const Dims output_padding = n.attr_ints("output_padding", Dims(sd, 0));
    TransposedAsConv r;
    r.conv.group = n.attr_int("group", 1);
    r.conv.kernel = kernel;
    r.conv.strides.assign(sd, 1);
    r.conv.dilations = w.dilations;
    r.conv.pads.assign(2 * sd, 0);
    r.stride = w.strides;
    r.output_padding.assign(sd, 0);
    for (size_t i = 0; i < sd; ++i) {
        const int64_t reach = w.span(i) - 1;  // dilation * (kernel - 1)
        const std::string axis = " along spatial axis " + std::to_string(i);
        if (w.pad_begin[i] < 0)
            throw_node_unsupported(n, "output_shape asks for more output than the input reaches" + axis +
                                          " (a negative begin pad); the Conv that runs it on ESP-DL cannot add it; "
                                          "remove output_shape and Pad the output instead");
        if (w.pad_begin[i] > reach)
            throw_node_unsupported(n, "begin pad " + std::to_string(w.pad_begin[i]) +
                                          " exceeds dilation*(kernel-1) = " + std::to_string(reach) + axis +
                                          ", which would need a negative Conv padding on ESP-DL; export with smaller "
                                          "pads and crop the output with a Slice");
        // Zeros after the last input pixel: the Conv's end padding plus InsertZeros' output_padding.
        const int64_t tail = w.out[i] - w.strides[i] * (in[i] - 1) + w.pad_begin[i] - 1;
        if (tail < 0)
            throw_node_unsupported(n, "end pad " + std::to_string(w.pad_end[i]) +
                                          " exceeds dilation*(kernel-1) = " + std::to_string(reach) + axis +
                                          " plus output_padding, which would need a negative Conv padding on ESP-DL; "
                                          "export with smaller pads and crop the output with a Slice");
        // As ESP-PPQ: output_padding goes to InsertZeros, the Conv pads by reach - pad. Zeros beyond the kernel's
        // reach (output_shape larger than the natural output) go to InsertZeros too: ESP-DL's Conv is only
        // used with pads within the kernel.
        int64_t extra = std::min(std::max<int64_t>(output_padding.size() > i ? output_padding[i] : 0, 0), tail);
        extra = std::max(extra, tail - reach);
        r.output_padding[i] = extra;
        r.conv.pads[i] = reach - w.pad_begin[i];
        r.conv.pads[i + sd] = tail - extra;
        r.insert_zeros |= w.strides[i] > 1 || extra > 0;
    }
    return r;
}

void lower_conv_transpose(LowerContext& ctx, const Node& n) {
    const Graph& g = ctx.src;
    const Value& wv = g.value(n.inputs.at(1));
    if (!wv.constant) throw_node_unsupported(n, "the weight is computed at run time; ESP-DL needs constant weights");
    const Shape& xs = g.value(n.inputs.at(0)).shape;
    const size_t rank = xs.size();
    if (rank != 3 && rank != 4)
        throw_node_unsupported(n,
                               "only 1-D and 2-D transposed convolutions run on ESP-DL (InsertZeros takes 1 or 2 "
                               "spatial axes)");
    const TransposedAsConv t = transposed_as_conv(n, xs, wv.shape);
    int x = ctx.read_input(n, 0, channels_last_perm(rank));
    if (t.insert_zeros) {
        const Value& xv = ctx.dst.value(x);
        Value z;
        z.name = ctx.fresh_name(n.name + "/InsertZeros_output");
        z.dtype = xv.dtype;
        z.shape = xv.shape;  // N, spatial..., C
        for (size_t i = 0; i + 2 < rank; ++i)
            z.shape[1 + i] = t.stride[i] * (xv.shape[1 + i] - 1) + 1 + t.output_padding[i];
        z.shape_known = true;
        z.exponents = xv.exponents;  // a copy of raw integers: the exponent the Conv reads
        const int zid = ctx.dst.add_value(std::move(z));
        Node& iz = ctx.add_node(ctx.fresh_name(n.name + "/InsertZeros"), "InsertZeros", {x}, {zid}, ctx.node_bits(n));
        iz.attrs["stride"] = Attribute::Ints(t.stride);
        iz.attrs["output_padding"] = Attribute::Ints(t.output_padding);
        x = zid;
    }
    ctx.conv_node(n, x, xs[1], conv_transpose_as_conv_weight(*wv.constant, t.conv.group), t.conv);
}

}  // namespace

ESPQ_REGISTER_LOWERING("ConvTranspose", lower_conv_transpose);

}  // namespace espq::quant
