// Split along `axis`: sizes from input 1, else `num_outputs`, else equal parts per output (docs/esp-dl-arithmetic.md
// docs/esp-dl-arithmetic.md §6.13).
#include "emu/emu_op.hpp"
#include "exec/axis_parts.hpp"

namespace espq::emu {

namespace {

std::unique_ptr<EmuKernel> prepare_split(PrepareContext& ctx) {
    const Shape& xs = ctx.in_shape(0);
    const int rank = static_cast<int>(xs.size());
    const int axis = normalize_axis(ctx, ctx.node().attr_int("axis", 0), rank);
    const int outputs = ctx.num_outputs();
    std::vector<int64_t> sizes;
    if (ctx.has_input(1)) {
        sizes = ctx.require_constant(1, "split").as_int64s();
    } else if (ctx.node().has_attr("split")) {
        sizes = ctx.node().attr_ints("split");
    } else {
        const int64_t parts = ctx.node().attr_int("num_outputs", outputs);
        ctx.check(parts == outputs && parts > 0, "num_outputs differs from the node's output count");
        const int64_t each = (xs[axis] + parts - 1) / parts;  // ONNX: the last part may be smaller
        for (int64_t i = 0, left = xs[axis]; i < parts; ++i, left -= each) sizes.push_back(std::min(each, left));
    }
    ctx.check(static_cast<int>(sizes.size()) == outputs, "split sizes count differs from the output count");
    int64_t sum = 0;
    for (int64_t s : sizes) {
        ctx.check(s >= 0, "negative split size");
        sum += s;
    }
    ctx.check(sum == xs[axis], "split sizes add up to " + std::to_string(sum) + ", the axis has " +
                                   std::to_string(xs[axis]));
    for (int i = 0; i < outputs; ++i) {
        ctx.check(ctx.out_dtype(i) == ctx.in_dtype(0), "Split copies raw values: output dtypes must match the input");
        Shape ys = xs;
        ys[axis] = sizes[i];
        ctx.set_out_shape(i, ys);
    }
    const exec::AxisParts parts(xs, axis, sizes, dtype_size(ctx.in_dtype(0)));
    return make_kernel([parts](const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out, KernelScratch&) {
        parts.split(*in[0], out);
    });
}

}  // namespace

ESPQ_REGISTER_EMU_OP("Split", prepare_split);

}  // namespace espq::emu
