// Eigen views of the kernels' row-major (C-order) float buffers.
#pragma once

#include <Eigen/Core>

namespace espq::float_kernels {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using RowMap = Eigen::Map<RowMatrix>;
using ConstRowMap = Eigen::Map<const RowMatrix>;
// A block of columns of a wider row-major matrix (row stride larger than the block's width).
using StridedRowMap = Eigen::Map<RowMatrix, Eigen::Unaligned, Eigen::OuterStride<>>;

}  // namespace espq::float_kernels
