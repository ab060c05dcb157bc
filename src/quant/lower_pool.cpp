// MaxPool (passive: raw integer max), AveragePool and GlobalAveragePool (float rescale on the chip).
#include "quant/lower_context.hpp"

namespace espq::quant {

namespace {

void lower_pool(LowerContext& ctx, const Node& n) {
    const Graph& g = ctx.src;
    const int x = n.inputs.at(0), out = n.outputs.at(0);
    const size_t rank = g.value(x).shape.size();
    if (rank != 3 && rank != 4)
        throw_node_unsupported(n, "only 1-D and 2-D pooling runs on ESP-DL");
    if (n.outputs.size() > 1)
        throw_node_unsupported(n, "the Indices output is not supported by ESP-DL");
    const int bits = ctx.node_bits(n);
    const Perm nhwc = channels_last_perm(rank);
    const bool global = n.op_type == "GlobalAveragePool";
    const int xin = ctx.read_input(n, 0, nhwc);
    const int y = ctx.define_output(out, nhwc);
    Node& p = ctx.add_node(n.name, n.op_type, {xin}, {y}, bits);
    if (global) return;
    const size_t sd = rank - 2;
    if (n.attr_int("ceil_mode", 0) != 0)
        throw_node_unsupported(n, "ceil_mode=1 is not supported by ESP-DL; "
                               "export with ceil_mode=0 and explicit padding");
    const auto dil = n.attr_ints("dilations", std::vector<int64_t>(sd, 1));
    for (int64_t d : dil)
        if (d != 1) throw_node_unsupported(n, "dilated pooling is not supported by ESP-DL");
    const std::string auto_pad = n.attr_string("auto_pad", "NOTSET");
    if (auto_pad != "NOTSET" && auto_pad != "VALID")
        throw_node_unsupported(n, "auto_pad=" + auto_pad + " pooling; export with explicit pads");
    const auto pads = auto_pad == "VALID" ? std::vector<int64_t>(2 * sd, 0)
                                          : n.attr_ints("pads", std::vector<int64_t>(2 * sd, 0));
    p.attrs["ceil_mode"] = int64_t{0};
    p.attrs["kernel_shape"] = Attribute::Ints(n.attr_ints("kernel_shape"));
    p.attrs["pads"] = Attribute::Ints(pads);
    p.attrs["strides"] = Attribute::Ints(n.attr_ints("strides", std::vector<int64_t>(sd, 1)));
    if (n.op_type == "MaxPool") {
        // ESP-DL's MaxPool reads no dilations (they must be 1); like ESP-PPQ, write them only if the model did.
        if (n.has_attr("dilations")) p.attrs["dilations"] = Attribute::Ints(dil);
    } else {
        const int64_t cip = n.attr_int("count_include_pad", 0);
        bool padded = false;
        for (int64_t v : pads) padded |= v != 0;
        if (cip == 0 && padded)
            ctx.note(node_label(n) + ": count_include_pad=0 with padding; ESP-DL always divides "
                     "by the full kernel area, so border outputs differ from the float model");
        p.attrs["count_include_pad"] = cip;
    }
}

}  // namespace

ESPQ_REGISTER_LOWERING("MaxPool", lower_pool);
ESPQ_REGISTER_LOWERING("AveragePool", lower_pool);
ESPQ_REGISTER_LOWERING("GlobalAveragePool", lower_pool);

}  // namespace espq::quant
