// Concat: a raw copy per outer index along `axis` (stored layout); exponents are ignored (docs/esp-dl-arithmetic.md
// docs/esp-dl-arithmetic.md §6).
#include "emu/emu_op.hpp"
#include "exec/axis_parts.hpp"

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
    const exec::AxisParts parts(out, axis, extents, dtype_size(dt));
    return make_kernel([parts](const std::vector<const Tensor*>& in, const std::vector<Tensor*>& o, KernelScratch&) {
        parts.concat(in, *o[0]);
    });
}

}  // namespace

ESPQ_REGISTER_EMU_OP("Concat", prepare_concat);

}  // namespace espq::emu
