// Shared by DepthToSpace and SpaceToDepth, which are inverse rearrangements between the channel axis and
// b x b spatial blocks of an NCHW tensor.
#pragma once

#include <memory>

#include "espq/float_ops.hpp"

namespace espq::float_kernels {

// The required `blocksize` attribute (>= 1).
int64_t blocksize_attr(const Node& node);

// The `infer` of both ops: a rank-4 input of a fixed-width dtype; the output keeps the dtype and has the shape
// `output_shape` computes (which also validates the attributes).
void infer_block_op(InferContext& ctx, Shape (*output_shape)(const Node&, const Shape&));

enum class BlockDirection { DepthToSpace, SpaceToDepth };

// Kernel copying between `depth` (N, C*b*b, H, W) and `space` (N, C, H*b, W*b) layouts, any fixed-width dtype:
// the depth channel of (c, i, j) is (i*b + j) * C + c, or c*b*b + i*b + j when `crd` (DepthToSpace mode CRD).
// `space_shape` is the (N, C, H*b, W*b) side.
std::unique_ptr<FloatKernel> make_block_kernel(BlockDirection direction, const Shape& space_shape, int64_t b,
                                               bool crd);

}  // namespace espq::float_kernels
