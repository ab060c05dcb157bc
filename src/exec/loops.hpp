// Loop nests over a tensor index space with two strided operands, flattened as far as the strides allow; the
// float executor and the emulator share them.
//
// Broadcasting (Add, PRelu...), reductions and strided copies (Transpose, Slice) all walk an index space
// `dims` while two operands move through memory with their own element strides. Merging adjacent dimensions
// across which both operands stay linear turns the common cases into one long innermost loop: equal shapes
// become a single flat loop, a per-channel [1,C,1,1] operand against [N,C,H,W] becomes N*C runs of H*W
// elements against one value, a scalar operand a flat loop against a constant.
#pragma once

#include <cstdint>
#include <vector>

#include "espq/tensor.hpp"

namespace espq::exec {

// Element strides of a dense C-ordered tensor of `shape` (the last dimension has stride 1).
std::vector<int64_t> contiguous_strides(const Shape& shape);

struct Loop {
    int64_t count;
    int64_t stride0;  // element strides of the two operands (may be 0 = broadcast, or negative)
    int64_t stride1;
};

// Outer-to-inner loops for `dims` with the operands' strides; size-1 dimensions are dropped and adjacent
// dimensions merged wherever both operands are linear across them. Empty if the space has one element.
std::vector<Loop> merge_loops(const Shape& dims, const std::vector<int64_t>& strides0,
                              const std::vector<int64_t>& strides1);

// Calls f(offset0, offset1) for every index of `loops[0..n)` in C order (an odometer; n may be 0: one call).
template <typename F>
void for_each_offset(const Loop* loops, size_t n, F&& f) {
    for (size_t d = 0; d < n; ++d)
        if (loops[d].count == 0) return;
    constexpr size_t kInline = 16;
    int64_t inline_idx[kInline] = {};
    std::vector<int64_t> heap_idx;
    int64_t* idx = inline_idx;
    if (n > kInline) {
        heap_idx.assign(n, 0);
        idx = heap_idx.data();
    }
    int64_t off0 = 0, off1 = 0;
    for (;;) {
        f(off0, off1);
        size_t d = n;
        for (;;) {
            if (d == 0) return;
            --d;
            off0 += loops[d].stride0;
            off1 += loops[d].stride1;
            if (++idx[d] < loops[d].count) break;
            off0 -= loops[d].stride0 * loops[d].count;
            off1 -= loops[d].stride1 * loops[d].count;
            idx[d] = 0;
        }
    }
}

}  // namespace espq::exec
