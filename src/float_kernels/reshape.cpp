// Reshape (any dtype): the `shape` input (a constant; opsets < 5 had a `shape` attribute) may hold 0 = copy
// that dimension from the input (unless allowzero=1, opset 14, where 0 is a real zero) and one -1 =
// inferred from the element count.
#include "float_kernels/op_helpers.hpp"

namespace espq::float_kernels {
namespace {

void infer_reshape(InferContext& ctx) {
    check_arity(ctx, 1, 2, 1, 1);
    const Value& x = require_input(ctx, 0, "data");
    const auto requested = ints_from_attr_or_input(ctx, "shape", 1);
    if (!requested) ctx.error("needs the target shape (input 'shape')");
    const bool allowzero = ctx.node.attr_int("allowzero", 0) != 0;
    Shape out;
    int infer_at = -1;
    int64_t known = 1;
    for (size_t i = 0; i < requested->size(); ++i) {
        int64_t d = (*requested)[i];
        if (d == -1) {
            if (infer_at >= 0) ctx.error("shape " + shape_str(*requested, ",") + " has more than one -1");
            infer_at = static_cast<int>(i);
        } else if (d == 0 && !allowzero) {
            if (i >= x.shape.size())
                ctx.error("shape " + shape_str(*requested, ",") + " copies dimension " + std::to_string(i) +
                          " (0) but the input has rank " + std::to_string(x.shape.size()));
            d = x.shape[i];
        } else if (d < 0) {
            ctx.error("shape " + shape_str(*requested, ",") + " has a negative dimension " + std::to_string(d));
        }
        out.push_back(d);
        if (d != -1) known *= d;
    }
    const int64_t numel = shape_numel(x.shape);
    if (infer_at >= 0) {
        if (allowzero && known == 0)
            ctx.error("shape " + shape_str(*requested, ",") + " has both 0 and -1, which allowzero=1 forbids");
        if (known == 0 || numel % known != 0)
            ctx.error("cannot infer the -1 in shape " + shape_str(*requested, ",") + " for an input of " +
                      std::to_string(numel) + " elements (" + shape_str(x.shape) + ")");
        out[infer_at] = numel / known;
    } else if (known != numel) {
        ctx.error("shape " + shape_str(*requested, ",") + " has " + std::to_string(known) + " elements but the input " +
                  shape_str(x.shape) + " has " + std::to_string(numel));
    }
    set_output(ctx, 0, x.dtype, out);
}

ESPQ_REGISTER_FLOAT_OP(FloatOpDef{"Reshape", infer_reshape,
                                  [](const Node&, const Graph&) { return make_copy_kernel(); }});

}  // namespace
}  // namespace espq::float_kernels
