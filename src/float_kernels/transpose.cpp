// Transpose (any dtype): output dim k is input dim perm[k]; perm defaults to reversing the dimensions.
#include <numeric>

#include "float_kernels/op_helpers.hpp"

namespace espq::float_kernels {
namespace {

std::vector<int64_t> permutation(const Node& node, size_t rank) {
    std::vector<int64_t> reversed(rank);
    std::iota(reversed.rbegin(), reversed.rend(), 0);
    return node.attr_ints("perm", reversed);
}

void infer_transpose(InferContext& ctx) {
    check_arity(ctx, 1, 1, 1, 1);
    const Value& x = require_input(ctx, 0, "data");
    const std::vector<int64_t> perm = permutation(ctx.node, x.shape.size());
    std::vector<bool> seen(x.shape.size(), false);
    bool valid = perm.size() == x.shape.size();
    for (int64_t p : perm) {
        valid = valid && p >= 0 && p < static_cast<int64_t>(x.shape.size()) && !seen[p];
        if (valid) seen[p] = true;
    }
    if (!valid)
        ctx.error("perm [" + shape_str(perm, ",") + "] is not a permutation of the " + std::to_string(x.shape.size()) +
                  " input dimensions (shape " + shape_str(x.shape) + ")");
    Shape out;
    for (int64_t p : perm) out.push_back(x.shape[p]);
    set_output(ctx, 0, x.dtype, out);
}

std::unique_ptr<FloatKernel> prepare_transpose(const Node& node, const Graph& graph) {
    const Value& x = graph.value(node.inputs.at(0));
    return make_strided_copy_kernel(
        exec::transpose_copy(x.shape, permutation(node, x.shape.size()), dtype_size(x.dtype)), x.shape, node);
}

ESPQ_REGISTER_FLOAT_OP(FloatOpDef{"Transpose", infer_transpose, prepare_transpose});

}  // namespace
}  // namespace espq::float_kernels
