// Transpose: a raw copy with permuted axes; `perm` may hold negative entries (docs/espdl-file-format.md §3.2).
#include <numeric>

#include "emu/emu_op.hpp"
#include "exec/strided_copy.hpp"

namespace espq::emu {

namespace {

std::unique_ptr<EmuKernel> prepare_transpose(PrepareContext& ctx) {
    const Shape& xs = ctx.in_shape(0);
    const int rank = static_cast<int>(xs.size());
    ctx.check(ctx.in_dtype(0) == ctx.out_dtype(0), "Transpose copies raw values: input and output dtypes must match");
    std::vector<int64_t> perm = ctx.node().attr_ints("perm");
    if (perm.empty()) {
        perm.resize(rank);
        std::iota(perm.rbegin(), perm.rend(), 0);
    }
    ctx.check(static_cast<int>(perm.size()) == rank, "perm has " + std::to_string(perm.size()) +
                                                         " entries for a rank-" + std::to_string(rank) + " input");
    std::vector<bool> seen(rank, false);
    Shape ys(rank);
    for (int d = 0; d < rank; ++d) {
        perm[d] = normalize_axis(ctx, perm[d], rank, "perm entry");
        ctx.check(!seen[perm[d]], "perm repeats axis " + std::to_string(perm[d]));
        seen[perm[d]] = true;
        ys[d] = xs[perm[d]];
    }
    ctx.set_out_shape(0, ys);
    const exec::StridedCopy copy = exec::transpose_copy(xs, perm, dtype_size(ctx.out_dtype(0)));
    return make_kernel([copy](const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out, KernelScratch&) {
        copy.run(in[0]->raw(), out[0]->raw());
    });
}

}  // namespace

ESPQ_REGISTER_EMU_OP("Transpose", prepare_transpose);

}  // namespace espq::emu
