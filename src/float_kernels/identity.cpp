// Identity: the output is the input (any dtype), copied byte for byte.
#include "float_kernels/op_helpers.hpp"

namespace espq::float_kernels {
namespace {

void infer_identity(InferContext& ctx) {
    check_arity(ctx, 1, 1, 1, 1);
    const Value& x = require_input(ctx, 0, "input");
    set_output(ctx, 0, x.dtype, x.shape);
}

ESPQ_REGISTER_FLOAT_OP(FloatOpDef{"Identity", infer_identity,
                                  [](const Node&, const Graph&) { return make_copy_kernel(); }});

}  // namespace
}  // namespace espq::float_kernels
