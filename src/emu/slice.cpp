// Slice: starts/ends/axes/steps from initializers, ONNX clamping rules, a raw strided copy (§6.17).
#include <algorithm>

#include "emu/emu_op.hpp"

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
    std::vector<int64_t> begin(rank, 0), step(rank, 1);
    Shape ys = xs;
    for (size_t i = 0; i < starts.size(); ++i) {
        const int d = normalize_axis(ctx, axes[i], rank);
        const int64_t dim = xs[d], st = steps[i];
        ctx.check(st != 0, "a slice step of 0 is invalid");
        int64_t s = starts[i] < 0 ? starts[i] + dim : starts[i];
        int64_t e = ends[i] < 0 ? ends[i] + dim : ends[i];
        if (st > 0) {
            s = std::clamp<int64_t>(s, 0, dim);
            e = std::clamp<int64_t>(e, 0, dim);
            ys[d] = e > s ? (e - s + st - 1) / st : 0;
        } else {
            s = std::clamp<int64_t>(s, 0, dim - 1);
            e = std::clamp<int64_t>(e, -1, dim - 1);
            ys[d] = s > e ? (s - e + (-st) - 1) / (-st) : 0;
        }
        begin[d] = s;
        step[d] = st;
    }
    ctx.set_out_shape(0, ys);
    std::vector<int64_t> in_stride(rank, 1);
    for (int d = rank - 2; d >= 0; --d) in_stride[d] = in_stride[d + 1] * xs[d + 1];
    int64_t base = 0;
    std::vector<int64_t> stride(rank);
    for (int d = 0; d < rank; ++d) {
        base += begin[d] * in_stride[d];
        stride[d] = step[d] * in_stride[d];
    }
    const size_t es = dtype_size(ctx.out_dtype(0));
    return make_kernel([=](const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out, Scratch&) {
        strided_copy(in[0]->raw(), out[0]->raw(), es, ys, base, stride);
    });
}

}  // namespace

ESPQ_REGISTER_EMU_OP("Slice", prepare_slice);

}  // namespace espq::emu
