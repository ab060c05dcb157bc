// SpaceToDepth (ONNX opsets 11-18): X (N, C, H, W) -> (N, C*b^2, H/b, W/b) for blocksize b, any fixed-width
// dtype: y[n, (i*b + j) * C + c, h, w] = x[n, c, h*b + i, w*b + j] (the inverse of DepthToSpace mode DCR).
#include "float_kernels/space_depth.hpp"
#include "float_kernels/window.hpp"

namespace espq::float_kernels {
namespace {

Shape output_shape(const Node& node, const Shape& x) {
    const int64_t b = blocksize_attr(node);
    if (x[2] % b != 0 || x[3] % b != 0)
        throw_node_error(node, "spatial size " + std::to_string(x[2]) + "x" + std::to_string(x[3]) +
                                   " is not divisible by blocksize " + std::to_string(b));
    return {x[0], x[1] * b * b, x[2] / b, x[3] / b};
}

void infer_space_to_depth(InferContext& ctx) { infer_block_op(ctx, output_shape); }

std::unique_ptr<FloatKernel> prepare_space_to_depth(const Node& node, const Graph& graph) {
    const Shape& x = graph.value(node.input(0)).shape;
    output_shape(node, x);  // validates
    return make_block_kernel(BlockDirection::SpaceToDepth, x, blocksize_attr(node), false);
}

}  // namespace

ESPQ_REGISTER_FLOAT_OP(FloatOpDef{"SpaceToDepth", infer_space_to_depth, prepare_space_to_depth});

}  // namespace espq::float_kernels
