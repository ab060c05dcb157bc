// Shape: the input's dimensions as a 1-D int64 tensor; opset 15's start/end (default 0 / rank) select a
// range of them, counting negative values from the end and clamping to [0, rank].
#include <algorithm>
#include <cstring>

#include "float_kernels/op_helpers.hpp"

namespace espq::float_kernels {
namespace {

std::vector<int64_t> selected_dims(const Node& node, const Shape& shape) {
    const int64_t rank = static_cast<int64_t>(shape.size());
    auto clamp_index = [rank](int64_t i) { return std::clamp<int64_t>(i < 0 ? i + rank : i, 0, rank); };
    const int64_t start = clamp_index(node.attr_int("start", 0));
    const int64_t end = clamp_index(node.attr_int("end", rank));
    if (end <= start) return {};
    return std::vector<int64_t>(shape.begin() + start, shape.begin() + end);
}

void infer_shape(InferContext& ctx) {
    check_arity(ctx, 1, 1, 1, 1);
    const Value& x = require_input(ctx, 0, "data");
    set_output(ctx, 0, DType::Int64, {static_cast<int64_t>(selected_dims(ctx.node, x.shape).size())});
}

std::unique_ptr<FloatKernel> prepare_shape(const Node& node, const Graph&) {
    return make_kernel([node](const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out, KernelScratch&) {
        const std::vector<int64_t> dims = selected_dims(node, in[0]->shape());
        invariant(static_cast<int64_t>(dims.size()) == out[0]->numel(), "Shape: output size differs from infer");
        if (!dims.empty()) std::memcpy(out[0]->raw(), dims.data(), dims.size() * sizeof(int64_t));
    });
}

ESPQ_REGISTER_FLOAT_OP(FloatOpDef{"Shape", infer_shape, prepare_shape});

}  // namespace
}  // namespace espq::float_kernels
