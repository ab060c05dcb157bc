// Concat: a raw copy per outer index along `axis` (stored layout); exponents are ignored (§6.8).
#include "emu/emu_op.hpp"

namespace espq::emu {

namespace {

std::unique_ptr<EmuKernel> prepare_concat(PrepareContext& ctx) {
    const int count = ctx.num_inputs();
    ctx.check(count >= 1, "Concat needs at least one input");
    const Shape& first = ctx.in_shape(0);
    const int rank = static_cast<int>(first.size());
    const int axis = normalize_axis(ctx, ctx.node().attr_int("axis", 0), rank);
    const DType dt = ctx.out_dtype(0);
    Shape out = first;
    out[axis] = 0;
    std::vector<int64_t> extents;
    for (int i = 0; i < count; ++i) {
        const Shape& s = ctx.in_shape(i);
        ctx.check(ctx.in_dtype(i) == dt, "input " + std::to_string(i) + " has dtype " + dtype_name(ctx.in_dtype(i)) +
                                             ", the output " + dtype_name(dt) + " (Concat copies raw values)");
        ctx.check(static_cast<int>(s.size()) == rank, "inputs have different ranks");
        for (int d = 0; d < rank; ++d)
            if (d != axis && s[d] != first[d])
                ctx.error("input shapes " + shape_str(first) + " and " + shape_str(s) + " differ outside axis " +
                          std::to_string(axis));
        out[axis] += s[axis];
        extents.push_back(s[axis]);
    }
    ctx.set_out_shape(0, out);
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < axis; ++d) outer *= out[d];
    for (int d = axis + 1; d < rank; ++d) inner *= out[d];
    const size_t es = dtype_size(dt);
    return make_kernel([=](const std::vector<const Tensor*>& in, const std::vector<Tensor*>& o, Scratch&) {
        uint8_t* y = o[0]->raw();
        const int64_t row = out[axis] * inner * static_cast<int64_t>(es);
        int64_t offset = 0;
        for (size_t i = 0; i < extents.size(); ++i) {
            const int64_t chunk = extents[i] * inner * static_cast<int64_t>(es);
            const uint8_t* x = in[i]->raw();
            for (int64_t r = 0; r < outer; ++r) std::memcpy(y + r * row + offset, x + r * chunk, chunk);
            offset += chunk;
        }
    });
}

}  // namespace

ESPQ_REGISTER_EMU_OP("Concat", prepare_concat);

}  // namespace espq::emu
