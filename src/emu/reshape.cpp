// Reshape, Flatten, Squeeze, Unsqueeze, Identity: same bytes, new shape (ESP-DL aliases the input;
// docs/esp-dl-arithmetic.md §6.15).
#include "emu/emu_op.hpp"

namespace espq::emu {

namespace {

std::unique_ptr<EmuKernel> copy_kernel() {
    return make_kernel([](const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out, KernelScratch&) {
        std::memcpy(out[0]->raw(), in[0]->raw(), in[0]->nbytes());
    });
}

// The axes of Squeeze/Unsqueeze: input 1 (opset >= 13, what ESP-PPQ writes) or the `axes` attribute.
std::vector<int64_t> axes_of(PrepareContext& ctx) {
    if (ctx.has_input(1)) return ctx.require_constant(1, "axes").as_int64s();
    return ctx.node().attr_ints("axes");
}

void check_same_dtype(PrepareContext& ctx) {
    ctx.check(ctx.in_dtype(0) == ctx.out_dtype(0), std::string("output dtype ") + dtype_name(ctx.out_dtype(0)) +
                                                       " differs from the input dtype " + dtype_name(ctx.in_dtype(0)) +
                                                       " (this op only moves data)");
}

std::unique_ptr<EmuKernel> prepare_reshape(PrepareContext& ctx) {
    check_same_dtype(ctx);
    const Shape& xs = ctx.in_shape(0);
    std::vector<int64_t> target = ctx.require_constant(1, "shape").as_int64s();
    const bool allowzero = ctx.node().attr_int("allowzero", 0) != 0;
    int infer = -1;
    int64_t known = 1;
    for (size_t i = 0; i < target.size(); ++i) {
        if (target[i] == 0 && !allowzero) {
            ctx.check(i < xs.size(), "shape entry 0 copies a dimension the input does not have");
            target[i] = xs[i];
        }
        if (target[i] == -1) {
            ctx.check(infer < 0, "shape has more than one -1");
            infer = static_cast<int>(i);
        } else {
            ctx.check(target[i] >= 0, "shape entry " + std::to_string(target[i]) + " is invalid");
            known *= target[i];
        }
    }
    if (infer >= 0) {
        ctx.check(known > 0 && shape_numel(xs) % known == 0, "cannot infer the -1 of the target shape");
        target[infer] = shape_numel(xs) / known;
    }
    ctx.check(shape_numel(target) == shape_numel(xs),
              "cannot reshape " + shape_str(xs) + " (" + std::to_string(shape_numel(xs)) + " elements) to " +
                  shape_str(target));
    ctx.set_out_shape(0, target);
    return copy_kernel();
}

std::unique_ptr<EmuKernel> prepare_flatten(PrepareContext& ctx) {
    check_same_dtype(ctx);
    const Shape& xs = ctx.in_shape(0);
    const int rank = static_cast<int>(xs.size());
    int64_t axis = ctx.node().attr_int("axis", 1);
    if (axis < 0) axis += rank;
    ctx.check(axis >= 0 && axis <= rank, "axis is out of range");
    int64_t a = 1, b = 1;
    for (int d = 0; d < rank; ++d) (d < axis ? a : b) *= xs[d];
    ctx.set_out_shape(0, {a, b});
    return copy_kernel();
}

std::unique_ptr<EmuKernel> prepare_squeeze(PrepareContext& ctx) {
    check_same_dtype(ctx);
    const Shape& xs = ctx.in_shape(0);
    const int rank = static_cast<int>(xs.size());
    std::vector<bool> drop(rank, false);
    std::vector<int64_t> axes = axes_of(ctx);
    if (axes.empty()) {
        for (int d = 0; d < rank; ++d) drop[d] = xs[d] == 1;
    } else {
        for (int64_t a : axes) {
            int d = normalize_axis(ctx, a, rank);
            ctx.check(xs[d] == 1, "cannot squeeze axis " + std::to_string(d) + " of size " + std::to_string(xs[d]));
            drop[d] = true;
        }
    }
    Shape ys;
    for (int d = 0; d < rank; ++d)
        if (!drop[d]) ys.push_back(xs[d]);
    ctx.set_out_shape(0, ys);
    return copy_kernel();
}

std::unique_ptr<EmuKernel> prepare_unsqueeze(PrepareContext& ctx) {
    check_same_dtype(ctx);
    const Shape& xs = ctx.in_shape(0);
    std::vector<int64_t> axes = axes_of(ctx);
    const int rank = static_cast<int>(xs.size() + axes.size());
    std::vector<bool> add(rank, false);
    for (int64_t a : axes) {
        int d = normalize_axis(ctx, a, rank);
        ctx.check(!add[d], "axes repeat " + std::to_string(d));
        add[d] = true;
    }
    Shape ys;
    size_t src = 0;
    for (int d = 0; d < rank; ++d) ys.push_back(add[d] ? 1 : xs.at(src++));
    ctx.set_out_shape(0, ys);
    return copy_kernel();
}

std::unique_ptr<EmuKernel> prepare_identity(PrepareContext& ctx) {
    check_same_dtype(ctx);
    ctx.set_out_shape(0, ctx.in_shape(0));
    return copy_kernel();
}

}  // namespace

ESPQ_REGISTER_EMU_OP("Reshape", prepare_reshape);
ESPQ_REGISTER_EMU_OP("Flatten", prepare_flatten);
ESPQ_REGISTER_EMU_OP("Squeeze", prepare_squeeze);
ESPQ_REGISTER_EMU_OP("Unsqueeze", prepare_unsqueeze);
ESPQ_REGISTER_EMU_OP("Identity", prepare_identity);

}  // namespace espq::emu
