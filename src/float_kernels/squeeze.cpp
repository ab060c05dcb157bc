// Squeeze (any dtype): removes the listed size-1 dimensions (`axes` attribute before opset 13, optional
// input from 13), or every size-1 dimension when no axes are given.
#include "float_kernels/op_helpers.hpp"

namespace espq::float_kernels {
namespace {

void infer_squeeze(InferContext& ctx) {
    check_arity(ctx, 1, 2, 1, 1);
    const Value& x = require_input(ctx, 0, "data");
    const int64_t rank = static_cast<int64_t>(x.shape.size());
    std::vector<bool> drop(x.shape.size(), false);
    const auto axes = ints_from_attr_or_input(ctx, "axes", 1);
    if (axes && !axes->empty()) {
        for (int a : normalize_axes(ctx, *axes, rank, "axes")) {
            if (x.shape[a] != 1)
                ctx.error("cannot squeeze axis " + std::to_string(a) + " of size " + std::to_string(x.shape[a]) +
                          " (input shape " + shape_str(x.shape) + "); only size-1 axes can be removed");
            drop[a] = true;
        }
    } else {
        for (size_t k = 0; k < x.shape.size(); ++k) drop[k] = (x.shape[k] == 1);
    }
    Shape out;
    for (size_t k = 0; k < x.shape.size(); ++k)
        if (!drop[k]) out.push_back(x.shape[k]);
    set_output(ctx, 0, x.dtype, out);
}

ESPQ_REGISTER_FLOAT_OP(FloatOpDef{"Squeeze", infer_squeeze,
                                  [](const Node&, const Graph&) { return make_copy_kernel(); }});

}  // namespace
}  // namespace espq::float_kernels
