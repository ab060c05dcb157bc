// Copies a strided view of a tensor (any dtype) into a dense, C-ordered output: the data movement of
// Transpose (permuted strides) and Slice (offset start, stepped and possibly negative strides), in the float
// executor and the emulator alike (both copy raw elements).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "espq/tensor.hpp"
#include "exec/loops.hpp"

namespace espq::exec {

class StridedCopy {
public:
    StridedCopy() = default;
    // dst[i_0, ..., i_k] = src[offset + sum_j i_j * src_strides[j]] for the index space `dims`; strides and
    // offset count elements of `elem_size` bytes.
    StridedCopy(const Shape& dims, const std::vector<int64_t>& src_strides, int64_t offset, size_t elem_size);

    void run(const uint8_t* src, uint8_t* dst) const;

private:
    std::vector<Loop> outer_;  // stride0: source, stride1: destination
    int64_t inner_ = 1, inner_src_stride_ = 1;
    int64_t offset_ = 0;
    size_t elem_size_ = 1;
    int64_t numel_ = 0;
};

// Transpose of a dense tensor of shape `in`: output dimension k is input dimension perm[k] (each in [0, rank)).
StridedCopy transpose_copy(const Shape& in, const std::vector<int64_t>& perm, size_t elem_size);

// ONNX Slice along one axis of extent `dim`: negative start/end count from the end; for step > 0 both clamp to
// [0, dim], for step < 0 start clamps to [0, dim-1] and end to [-1, dim-1]; ceil((end - start) / step) elements.
struct SliceRange {
    int64_t start = 0;  // first element taken (0 when none is)
    int64_t count = 0;  // elements taken (>= 0)
    int64_t step = 1;   // 1 when at most one element is taken (a huge step would overflow the offsets)
};
SliceRange slice_range(int64_t dim, int64_t start, int64_t end, int64_t step);  // step != 0

// Slice of a dense tensor of shape `in`: along input dimension k, `ranges[k]`.
StridedCopy slice_copy(const Shape& in, const std::vector<SliceRange>& ranges, size_t elem_size);

}  // namespace espq::exec
