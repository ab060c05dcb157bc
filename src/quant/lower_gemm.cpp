// Gemm (normalized: transB = 0, alpha = beta = 1) and MatMul with a constant second input (a computed one is
// lower_matmul.cpp's).
#include "quant/lower_gemm.hpp"

#include "espdl/layout.hpp"

namespace espq::quant {

void lower_weighted_matrix(LowerContext& ctx, const Node& n, bool is_gemm) {
    const Graph& g = ctx.src;
    const int a = n.inputs.at(0), out = n.outputs.at(0);
    const Value& wv = g.value(n.inputs.at(1));
    const std::string op = n.op_type;
    if (!wv.constant || wv.shape.size() != 2)
        throw_node_unsupported(n, "only a constant 2-D second input is supported "
                               "(ESP-DL reads it as a blocked filter)");
    if (is_gemm && (n.attr_int("transA", 0) != 0 || n.attr_int("transB", 0) != 0 || n.attr_float("alpha", 1.f) != 1.f ||
                    n.attr_float("beta", 1.f) != 1.f))
        throw InternalError("node '" + n.name + "': Gemm not normalized (normalize_gemm pass disabled?)");
    const int bits = ctx.node_bits(n);
    const Shape& as = g.value(a).shape;
    const int ain = ctx.read_input(n, 0, identity_perm(as.size()));
    // Per-channel exponents index the output columns N of the [K, N] weight.
    const OperandQuant& planned_w = ctx.operand(n, 1);
    Tensor wq = quantize_channels(wv.constant->cast(DType::Float32), planned_w.exponents, 1, planned_w.bits,
                                  ctx.policy.rounding, bits == 16 ? DType::Int16 : DType::Int8);
    // Gemm weights are stored [1,1,K,N]; a MatMul constant keeps its ONNX dims [K, N]. Same element order.
    const espdl::WeightKind kind = is_gemm ? espdl::WeightKind::Gemm : espdl::WeightKind::MatMul;
    const int block = ctx.policy.lane_channels(wq.dtype());
    const std::string doc = espdl::layout_doc_string(espdl::layout_tag(kind, 2, wv.shape[1], block));
    const int w = ctx.add_constant(wv.name, espdl::to_blocked(wq, kind, block), exponent_list(planned_w), doc);
    std::vector<int> inputs = {ain, w};
    if (is_gemm && n.input(2) >= 0) {
        const Tensor& c = *g.value(n.inputs[2]).constant;
        const int64_t nn = wv.shape[1];
        if (c.numel() != nn && c.numel() != 1)
            throw_node_unsupported(n, "bias C of shape " + shape_str(c.shape()) +
                                   " is not per output column; ESP-DL needs a bias of shape [" + std::to_string(nn) + "]");
        Tensor cb = c.cast(DType::Float32);
        if (cb.numel() == 1) {
            Tensor full(DType::Float32, {nn});
            for (int64_t j = 0; j < nn; ++j) full.data<float>()[j] = cb.data<float>()[0];
            cb = std::move(full);
        }
        inputs.push_back(ctx.bias_constant(n, cb));
    }
    const int y = ctx.define_output(out, identity_perm(g.value(out).shape.size()));
    Node& m = ctx.add_node(n.name, op, inputs, {y}, bits);
    m.attrs["activation"] = n.attr_string("activation", "Linear");
    if (is_gemm) {
        m.attrs["alpha"] = 1.0f;
        m.attrs["beta"] = 1.0f;
        m.attrs["transB"] = int64_t{0};
    }
}

ESPQ_REGISTER_LOWERING("Gemm", [](LowerContext& ctx, const Node& n) { lower_weighted_matrix(ctx, n, true); });

}  // namespace espq::quant
