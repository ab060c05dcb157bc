#include "exec/broadcast.hpp"

#include <algorithm>

#include "espq/error.hpp"

namespace espq::exec {

namespace {
// Strides of `shape` right-aligned to `out`'s rank, 0 along dimensions where it is broadcast.
std::vector<int64_t> broadcast_strides(const Shape& shape, const Shape& out) {
    invariant(shape.size() <= out.size(), "BroadcastPlan: operand rank exceeds output rank");
    const size_t lead = out.size() - shape.size();
    std::vector<int64_t> strides(out.size(), 0);
    int64_t s = 1;
    for (size_t k = out.size(); k-- > lead;) {
        const int64_t d = shape[k - lead];
        invariant(d == out[k] || d == 1, "BroadcastPlan: operand shape does not broadcast to the output");
        strides[k] = (d == 1) ? 0 : s;
        s *= d;
    }
    return strides;
}
}  // namespace

std::optional<Shape> broadcast_shape(const Shape& a, const Shape& b) {
    const size_t rank = std::max(a.size(), b.size());
    Shape out(rank);
    for (size_t i = 0; i < rank; ++i) {
        const int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
        const int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
        if (da != db && da != 1 && db != 1) return std::nullopt;
        out[i] = (da == 1) ? db : da;
    }
    return out;
}

BroadcastPlan::BroadcastPlan(const Shape& a, const Shape& b, const Shape& out)
    : a_(a), b_(b), out_numel_(shape_numel(out)) {
    outer_ = merge_loops(out, broadcast_strides(a, out), broadcast_strides(b, out));
    if (!outer_.empty()) {
        // After dropping size-1 dims, the innermost dimension of an operand that is not broadcast there has
        // only size-1 dimensions inside it, hence stride 1.
        inner_ = outer_.back().count;
        inner_stride_a_ = outer_.back().stride0;
        inner_stride_b_ = outer_.back().stride1;
        outer_.pop_back();
    }
    invariant((inner_stride_a_ == 0 || inner_stride_a_ == 1) && (inner_stride_b_ == 0 || inner_stride_b_ == 1),
              "BroadcastPlan: innermost stride is not 0 or 1");
}

}  // namespace espq::exec
