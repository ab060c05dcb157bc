// Shape rules shared by Conv and ConvTranspose: the (1-D or 2-D) input, the weight layout, group, kernel_shape,
// the optional bias and the output shape.
#pragma once

#include "float_kernels/window.hpp"

namespace espq::float_kernels {

enum class ConvKind {
    Forward,     // W is (M, C/group, kernel...)
    Transposed,  // W is (C, M/group, kernel...)
};

struct ConvShape {
    int64_t batch = 0, in_channels = 0, out_channels = 0, group = 1;
    PlaneWindow win;

    int64_t group_in() const { return in_channels / group; }
    int64_t group_out() const { return out_channels / group; }
};

// Validates the node against the shapes of X and W (UserError naming the node otherwise).
ConvShape conv_shape(const Node& node, const Shape& x, const Shape& w, ConvKind kind);

// The whole `infer` of Conv / ConvTranspose: inputs X, W, optional B; one FLOAT output (N, M, spatial...).
void infer_conv_like(InferContext& ctx, ConvKind kind);

// The ConvShape of a node whose shapes `infer` has set, for prepare().
ConvShape prepared_conv_shape(const Node& node, const Graph& graph, ConvKind kind);

}  // namespace espq::float_kernels
