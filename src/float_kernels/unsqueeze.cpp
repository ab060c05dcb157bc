// Unsqueeze (any dtype): inserts size-1 dimensions at `axes` (attribute before opset 13, required input
// from 13), which index the output's dimensions (output rank = input rank + number of axes).
#include "float_kernels/op_helpers.hpp"

namespace espq::float_kernels {
namespace {

void infer_unsqueeze(InferContext& ctx) {
    check_arity(ctx, 1, 2, 1, 1);
    const Value& x = require_input(ctx, 0, "data");
    const auto axes = ints_from_attr_or_input(ctx, "axes", 1);
    if (!axes || axes->empty()) ctx.error("needs a non-empty 'axes' (input 1 from opset 13, attribute before)");
    const int64_t out_rank = static_cast<int64_t>(x.shape.size() + axes->size());
    std::vector<bool> inserted(static_cast<size_t>(out_rank), false);
    for (int a : normalize_axes(ctx, *axes, out_rank, "axes")) inserted[a] = true;
    Shape out;
    size_t next = 0;
    for (int64_t k = 0; k < out_rank; ++k) out.push_back(inserted[k] ? 1 : x.shape[next++]);
    set_output(ctx, 0, x.dtype, out);
}

ESPQ_REGISTER_FLOAT_OP(FloatOpDef{"Unsqueeze", infer_unsqueeze,
                                  [](const Node&, const Graph&) { return make_copy_kernel(); }});

}  // namespace
}  // namespace espq::float_kernels
