// Slice: starts/ends/axes/steps from initializers, ONNX clamping rules, a raw strided copy (docs/esp-dl-arithmetic.md
// docs/esp-dl-arithmetic.md §6.13).
#include "emu/emu_op.hpp"
#include "exec/strided_copy.hpp"

namespace espq::emu {

namespace {

std::unique_ptr<EmuKernel> prepare_slice(PrepareContext& ctx) {
    ctx.check(ctx.in_dtype(0) == ctx.out_dtype(0), "Slice copies raw values: input and output dtypes must match");
    const Shape& xs = ctx.in_shape(0);
    const int rank = static_cast<int>(xs.size());
    std::vector<int64_t> starts = ctx.require_constant(1, "starts").as_int64s();
    std::vector<int64_t> ends = ctx.require_constant(2, "ends").as_int64s();
    ctx.check(starts.size() == ends.size(), "starts and ends have different lengths");
    std::vector<int64_t> axes, steps;
    if (ctx.has_input(3)) axes = ctx.require_constant(3, "axes").as_int64s();
    else
        for (size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<int64_t>(i));
    if (ctx.has_input(4)) steps = ctx.require_constant(4, "steps").as_int64s();
    else steps.assign(starts.size(), 1);
    ctx.check(axes.size() == starts.size() && steps.size() == starts.size(), "axes/steps lengths differ from starts");
    std::vector<exec::SliceRange> ranges(rank);
    Shape ys = xs;
    for (int d = 0; d < rank; ++d) ranges[d].count = xs[d];
    for (size_t i = 0; i < starts.size(); ++i) {
        const int d = normalize_axis(ctx, axes[i], rank);
        ctx.check(steps[i] != 0, "a slice step of 0 is invalid");
        ranges[d] = exec::slice_range(xs[d], starts[i], ends[i], steps[i]);
        ys[d] = ranges[d].count;
    }
    ctx.set_out_shape(0, ys);
    const exec::StridedCopy copy = exec::slice_copy(xs, ranges, dtype_size(ctx.out_dtype(0)));
    return make_kernel([copy](const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out, KernelScratch&) {
        copy.run(in[0]->raw(), out[0]->raw());
    });
}

}  // namespace

ESPQ_REGISTER_EMU_OP("Slice", prepare_slice);

}  // namespace espq::emu
