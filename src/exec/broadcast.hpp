// Elementwise out = op(a, b) under ONNX (numpy) multidirectional broadcasting, on a loop nest prepared once per
// node: the float executor's arithmetic, PRelu and Max/Min, and the emulator's Add, Sub and Mul.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "espq/tensor.hpp"
#include "exec/loops.hpp"

namespace espq::exec {

// The broadcast of two shapes (right-aligned; each dimension equal or 1), or nullopt if they do not broadcast.
std::optional<Shape> broadcast_shape(const Shape& a, const Shape& b);

class BroadcastPlan {
public:
    BroadcastPlan() = default;
    // `out` must be the broadcast of `a` and `b` (or larger, e.g. for folding variadic Max/Min in place).
    BroadcastPlan(const Shape& a, const Shape& b, const Shape& out);

    const Shape& a_shape() const { return a_; }
    const Shape& b_shape() const { return b_; }
    // Loop structure (for tests): length of the innermost loop and number of loops around it.
    int64_t inner_length() const { return inner_; }
    size_t outer_depth() const { return outer_.size(); }

    // out[i] = op(a[ia], b[ib]) for every output element in C order. `out` may alias `a` when a has the output's
    // shape. `op` must be a pure function of its operands: the same result is computed once for a run of
    // repeated operands (both broadcast along the innermost loop).
    template <typename TA, typename TB, typename TO, typename Op>
    void apply(const TA* a, const TB* b, TO* out, Op op) const {
        if (out_numel_ == 0) return;
        const int64_t n = inner_;
        const bool a_runs = inner_stride_a_ != 0, b_runs = inner_stride_b_ != 0;
        int64_t o = 0;
        // The innermost loop is specialised on which operands advance, so that equal shapes, scalars and
        // per-channel operands run as simple (vectorisable) loops.
        for_each_offset(outer_.data(), outer_.size(), [&](int64_t oa, int64_t ob) {
            const TA* pa = a + oa;
            const TB* pb = b + ob;
            TO* po = out + o;
            o += n;
            if (a_runs && b_runs) {
                for (int64_t i = 0; i < n; ++i) po[i] = op(pa[i], pb[i]);
            } else if (a_runs) {
                const TB vb = *pb;
                for (int64_t i = 0; i < n; ++i) po[i] = op(pa[i], vb);
            } else if (b_runs) {
                const TA va = *pa;
                for (int64_t i = 0; i < n; ++i) po[i] = op(va, pb[i]);
            } else {
                const TO v = op(*pa, *pb);
                for (int64_t i = 0; i < n; ++i) po[i] = v;
            }
        });
    }

private:
    Shape a_, b_;
    std::vector<Loop> outer_;
    int64_t inner_ = 1;
    int64_t inner_stride_a_ = 0, inner_stride_b_ = 0;  // 0 (broadcast) or 1 (contiguous)
    int64_t out_numel_ = 0;
};

}  // namespace espq::exec
