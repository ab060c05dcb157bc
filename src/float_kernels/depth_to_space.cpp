// DepthToSpace (ONNX opsets 11-18): X (N, C, H, W) -> (N, C/b^2, H*b, W*b) for blocksize b, any fixed-width
// dtype. mode DCR (default): y[n, c, h*b+i, w*b+j] = x[n, (i*b + j) * C/b^2 + c, h, w];
// mode CRD:                  y[n, c, h*b+i, w*b+j] = x[n, c * b^2 + i*b + j, h, w].
#include "float_kernels/space_depth.hpp"
#include "float_kernels/window.hpp"

namespace espq::float_kernels {
namespace {

bool crd_mode(const Node& node) {
    const std::string mode = node.attr_string("mode", "DCR");
    if (mode != "DCR" && mode != "CRD") throw_node_error(node, "attribute mode='" + mode + "' must be DCR or CRD");
    return mode == "CRD";
}

Shape output_shape(const Node& node, const Shape& x) {
    const int64_t b = blocksize_attr(node);
    if (x[1] % (b * b) != 0)
        throw_node_error(node, "input channels " + std::to_string(x[1]) +
                                   " are not divisible by blocksize^2 = " + std::to_string(b * b));
    return {x[0], x[1] / (b * b), x[2] * b, x[3] * b};
}

void infer_depth_to_space(InferContext& ctx) {
    crd_mode(ctx.node);
    infer_block_op(ctx, output_shape);
}

std::unique_ptr<FloatKernel> prepare_depth_to_space(const Node& node, const Graph& graph) {
    const Shape space = output_shape(node, graph.value(node.input(0)).shape);
    return make_block_kernel(BlockDirection::DepthToSpace, space, blocksize_attr(node), crd_mode(node));
}

}  // namespace

ESPQ_REGISTER_FLOAT_OP(FloatOpDef{"DepthToSpace", infer_depth_to_space, prepare_depth_to_space});

}  // namespace espq::float_kernels
