// Gather along `axis` with int64/int32 indices (negative ones count from the end): a raw copy
// (docs/esp-dl-arithmetic.md §6.15).
#include "emu/emu_op.hpp"

namespace espq::emu {

namespace {

std::unique_ptr<EmuKernel> prepare_gather(PrepareContext& ctx) {
    ctx.check(ctx.in_dtype(0) == ctx.out_dtype(0), "Gather copies raw values: input and output dtypes must match");
    const Shape& xs = ctx.in_shape(0);
    const Shape& is = ctx.in_shape(1);
    const int rank = static_cast<int>(xs.size());
    const int axis = normalize_axis(ctx, ctx.node().attr_int("axis", 0), rank);
    ctx.check(ctx.in_dtype(1) == DType::Int64 || ctx.in_dtype(1) == DType::Int32, "indices must be INT64 or INT32");
    Shape ys(xs.begin(), xs.begin() + axis);
    ys.insert(ys.end(), is.begin(), is.end());
    ys.insert(ys.end(), xs.begin() + axis + 1, xs.end());
    ctx.set_out_shape(0, ys);
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < axis; ++d) outer *= xs[d];
    for (int d = axis + 1; d < rank; ++d) inner *= xs[d];
    const int64_t dim = xs[axis];
    const int64_t es = static_cast<int64_t>(dtype_size(ctx.in_dtype(0)));
    std::vector<int64_t> fixed;
    if (const Tensor* t = ctx.constant(1)) {
        fixed = t->as_int64s();
        for (int64_t& i : fixed) {
            if (i < 0) i += dim;
            ctx.check(i >= 0 && i < dim, "index out of range for an axis of size " + std::to_string(dim));
        }
    }
    const std::string label = node_label(ctx.node());  // the kernel outlives the prepare context
    return make_kernel([=](const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out, KernelScratch&) {
        std::vector<int64_t> idx = fixed.empty() ? in[1]->as_int64s() : fixed;
        for (int64_t& i : idx) {
            if (i < 0) i += dim;
            if (i < 0 || i >= dim)
                throw UserError(label + ": index out of range for an axis of size " + std::to_string(dim));
        }
        const uint8_t* x = in[0]->raw();
        uint8_t* y = out[0]->raw();
        const int64_t chunk = inner * es;
        for (int64_t o = 0; o < outer; ++o)
            for (size_t j = 0; j < idx.size(); ++j, y += chunk)
                std::memcpy(y, x + (o * dim + idx[j]) * chunk, chunk);
    });
}

}  // namespace

ESPQ_REGISTER_EMU_OP("Gather", prepare_gather);

}  // namespace espq::emu
