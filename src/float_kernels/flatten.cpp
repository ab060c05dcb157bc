// Flatten (any dtype): [d0..dn) -> [prod(d[:axis]), prod(d[axis:])], axis in [-rank, rank] (default 1).
#include "float_kernels/op_helpers.hpp"

namespace espq::float_kernels {
namespace {

void infer_flatten(InferContext& ctx) {
    check_arity(ctx, 1, 1, 1, 1);
    const Value& x = require_input(ctx, 0, "input");
    const int64_t rank = static_cast<int64_t>(x.shape.size());
    int64_t axis = ctx.node.attr_int("axis", 1);
    if (axis < -rank || axis > rank)
        ctx.error("axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank) +
                  " (valid: " + std::to_string(-rank) + ".." + std::to_string(rank) + ")");
    if (axis < 0) axis += rank;
    int64_t outer = 1, inner = 1;
    for (int64_t k = 0; k < rank; ++k) (k < axis ? outer : inner) *= x.shape[k];
    set_output(ctx, 0, x.dtype, {outer, inner});
}

ESPQ_REGISTER_FLOAT_OP(FloatOpDef{"Flatten", infer_flatten,
                                  [](const Node&, const Graph&) { return make_copy_kernel(); }});

}  // namespace
}  // namespace espq::float_kernels
