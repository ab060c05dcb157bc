// Copies a strided view of a tensor (any dtype) into a dense, C-ordered output: the data movement of
// Transpose (permuted strides) and Slice (offset start, stepped and possibly negative strides).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "espq/float_ops.hpp"
#include "espq/tensor.hpp"
#include "float_kernels/loops.hpp"

namespace espq::kernels {

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

// The kernel of an op whose single output is `copy` applied to its input 0 (of shape `in_shape`).
std::unique_ptr<FloatKernel> make_strided_copy_kernel(StridedCopy copy, const Shape& in_shape, const Node& node);

}  // namespace espq::kernels
