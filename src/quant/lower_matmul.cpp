// MatMul. ESP-DL runs every [M, C] x [C, N] slice as a 1x1 convolution whose filter is the second input, read in
// the target's blocked filter layout (docs/esp-dl-arithmetic.md §6.3, §6.18). A constant second input is blocked
// at export (lower_gemm.cpp). A computed one (attention's Q x K^T, P x V) is blocked at run time by data-movement
// nodes in front of the MatMul, as ESP-PPQ's exporter inserts them (docs/espdl-file-format.md §4.4); the batch
// dimensions are merged into one first so that no glue tensor exceeds 4-D.
#include "quant/lower_gemm.hpp"

namespace espq::quant {

namespace {

// Builds the data-movement chain on the second input. Every tensor of the chain holds the same integers in
// another order, so all share the operand's dtype and exponent.
class FilterBlocker {
public:
    FilterBlocker(LowerContext& ctx, const Node& n, int operand)
        : ctx_(ctx), n_(n), dtype_(ctx.dst.value(operand).dtype), exponents_(ctx.dst.value(operand).exponents),
          bits_(dtype_ == DType::Int16 ? 16 : 8) {}

    int reshape(int in, const Shape& shape) {
        const std::string name = next_name("Reshape");
        const int s = ints(name + ".shape", shape);
        return emit(name, "Reshape", {in, s}, shape);
    }
    int transpose(int in, const std::vector<int64_t>& perm) {
        const Shape& is = ctx_.dst.value(in).shape;
        Shape os;
        for (int64_t p : perm) os.push_back(is[static_cast<size_t>(p)]);
        const std::string name = next_name("Transpose");
        const int out = emit(name, "Transpose", {in}, os);
        ctx_.dst.nodes.back().attrs["perm"] = Attribute::Ints(perm.begin(), perm.end());
        return out;
    }
    // Rows [begin, end) of axis 1 of a 3-D tensor.
    int slice_rows(int in, int64_t begin, int64_t end) {
        Shape os = ctx_.dst.value(in).shape;
        os[1] = end - begin;
        const std::string name = next_name("Slice");
        // ESP-DL's Slice leaves axes it is not given at 0, so axes and steps are always written.
        return emit(name, "Slice",
                    {in, ints(name + ".starts", {begin}), ints(name + ".ends", {end}), ints(name + ".axes", {1}),
                     ints(name + ".steps", {1})},
                    os);
    }
    int concat_rows(int a, int b) {
        Shape os = ctx_.dst.value(a).shape;
        os[1] += ctx_.dst.value(b).shape[1];
        const int out = emit(next_name("Concat"), "Concat", {a, b}, os);
        ctx_.dst.nodes.back().attrs["axis"] = int64_t{1};
        return out;
    }

private:
    std::string next_name(const std::string& op) {
        return ctx_.fresh_name(n_.name + "/filter_" + op + "_" + std::to_string(ctx_.inserted_counter++));
    }
    int ints(const std::string& name, const std::vector<int64_t>& v) {
        return ctx_.add_constant(name, Tensor::from<int64_t>({static_cast<int64_t>(v.size())}, v), {0},
                                 "layout ==> UNK");
    }
    int emit(const std::string& name, const std::string& op, std::vector<int> inputs, const Shape& shape) {
        Value v;
        v.name = ctx_.fresh_name(name + "_out");
        v.dtype = dtype_;
        v.shape = shape;
        v.shape_known = true;
        v.exponents = exponents_;
        const int out = ctx_.dst.add_value(std::move(v));
        ctx_.add_node(name, op, std::move(inputs), {out}, bits_);
        return out;
    }

    LowerContext& ctx_;
    const Node& n_;
    DType dtype_;
    std::vector<int64_t> exponents_;
    int bits_;
};

// The computed second input `b` of shape [..., C, N] rearranged so that each [C, N] slice is stored as the
// conv filter the kernel reads: `block` = 0 (C targets) output-channel-major [N][C]; otherwise, for each full
// block of `block` output channels, [C][block], then the N mod block remaining channels as [n][C]
// (docs/espdl-file-format.md §4.2). The result keeps the shape [..., C, N].
int block_computed_filter(LowerContext& ctx, const Node& n, int b, int block) {
    const Shape shape = ctx.dst.value(b).shape;
    if (shape.size() < 2) return b;  // a vector is one output channel: [C] is already [1][C]
    const int64_t c = shape[shape.size() - 2], nn = shape.back();
    const int64_t batch = shape_numel(shape) / (c * nn);
    const int64_t full = block > 0 ? nn / block * block : 0;
    if (c == 1 || nn == 1 || (full == nn && full == block)) return b;  // every order is the same
    FilterBlocker glue(ctx, n, b);
    const Shape merged = {batch, c, nn};
    const int x = shape == merged ? b : glue.reshape(b, merged);
    int y;
    if (full == nn) {
        // [B, C, N/A, A] -> [B, N/A, C, A]
        const int blocks = glue.reshape(x, {batch, c, nn / block, block});
        y = glue.transpose(blocks, {0, 2, 1, 3});
    } else {
        const int t = glue.transpose(x, {0, 2, 1});  // [B, N, C]: output-channel-major
        if (full == 0) {
            y = t;
        } else {
            // Full blocks [B, N/A, A, C] -> [B, N/A, C, A], then the remainder rows as they are.
            const int head = glue.reshape(glue.slice_rows(t, 0, full), {batch, full / block, block, c});
            const int blocked = glue.reshape(glue.transpose(head, {0, 1, 3, 2}), {batch, full, c});
            y = glue.concat_rows(blocked, glue.slice_rows(t, full, nn));
        }
    }
    return glue.reshape(y, shape);
}

void lower_computed_matmul(LowerContext& ctx, const Node& n) {
    const Graph& g = ctx.src;
    const int out = n.outputs.at(0);
    const Shape& as = g.value(n.inputs.at(0)).shape;
    const Shape& bs = g.value(n.inputs.at(1)).shape;
    if (std::max(as.size(), bs.size()) > 4)
        throw_node_unsupported(n, "inputs " + shape_str(as) + " x " + shape_str(bs) +
                                      " have more than 4 dimensions; ESP-DL's MatMul supports up to 4-D "
                                      "(merge batch dimensions with a Reshape)");
    const int bits = ctx.node_bits(n);
    const int a = ctx.read_input(n, 0, identity_perm(as.size()));
    const int b = block_computed_filter(ctx, n, ctx.read_input(n, 1, identity_perm(bs.size())),
                                        ctx.policy.lane_channels(bits == 16 ? DType::Int16 : DType::Int8));
    const int y = ctx.define_output(out, identity_perm(g.value(out).shape.size()));
    Node& m = ctx.add_node(n.name, "MatMul", {a, b}, {y}, bits);
    m.attrs["activation"] = n.attr_string("activation", "Linear");
}

void lower_matmul(LowerContext& ctx, const Node& n) {
    if (ctx.src.value(n.inputs.at(1)).constant) lower_weighted_matrix(ctx, n, false);
    else lower_computed_matmul(ctx, n);
}

}  // namespace

ESPQ_REGISTER_LOWERING("MatMul", lower_matmul);

}  // namespace espq::quant
