// Gather (any data dtype; int32/int64 indices): out = data[..., indices, ...] along `axis` (default 0), with
// output shape data[:axis] + indices.shape + data[axis+1:]. Negative indices count from the end; an index
// out of [-dim, dim) is a UserError (checked at infer time when the indices are constant).
#include <cstring>

#include "float_kernels/dtype_dispatch.hpp"
#include "float_kernels/op_helpers.hpp"

namespace espq::float_kernels {
namespace {

int gather_axis(const Node& node, const Graph& graph) {
    const int64_t rank = static_cast<int64_t>(graph.value(node.inputs.at(0)).shape.size());
    return normalize_axis(node, node.attr_int("axis", 0), rank, "axis");
}

// Index `i` mapped to [0, dim), or an error naming it.
int64_t resolve_index(const Node& node, int64_t i, int64_t dim) {
    if (i < -dim || i >= dim)
        throw_node_error(node, "index " + std::to_string(i) + " is out of range for a gathered axis of size " +
                                   std::to_string(dim) + " (valid: " + std::to_string(-dim) + ".." +
                                   std::to_string(dim - 1) + ")");
    return i < 0 ? i + dim : i;
}

void infer_gather(InferContext& ctx) {
    check_arity(ctx, 2, 2, 1, 1);
    const Value& data = require_input(ctx, 0, "data");
    require_dtype(ctx, 1, "indices", {DType::Int32, DType::Int64});
    if (data.shape.empty()) ctx.error("data must have rank >= 1, got a scalar");
    const int axis = gather_axis(ctx.node, ctx.graph);
    if (const Tensor* idx = ctx.constant(1))
        for (int64_t i : idx->as_int64s()) resolve_index(ctx.node, i, data.shape[axis]);
    Shape out(data.shape.begin(), data.shape.begin() + axis);
    const Shape& ishape = ctx.in(1)->shape;
    out.insert(out.end(), ishape.begin(), ishape.end());
    out.insert(out.end(), data.shape.begin() + axis + 1, data.shape.end());
    set_output(ctx, 0, data.dtype, out);
}

std::unique_ptr<FloatKernel> prepare_gather(const Node& node, const Graph& graph) {
    const Value& data = graph.value(node.inputs.at(0));
    const int axis = gather_axis(node, graph);
    int64_t outer = 1, inner = 1;
    for (int k = 0; k < axis; ++k) outer *= data.shape[k];
    for (size_t k = axis + 1; k < data.shape.size(); ++k) inner *= data.shape[k];
    const int64_t dim = data.shape[axis];
    const size_t chunk = static_cast<size_t>(inner) * dtype_size(data.dtype);
    const DType index_type = graph.value(node.inputs.at(1)).dtype;
    return make_kernel(
        [=, shape = data.shape](const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out, KernelScratch&) {
            expect_shape(*in[0], shape, node);
            const int64_t count = in[1]->numel();
            const uint8_t* src = in[0]->raw();
            uint8_t* dst = out[0]->raw();
            dispatch_arith(index_type, [&](auto tag) {
                using I = decltype(tag);
                const I* idx = in[1]->data<I>();
                for (int64_t o = 0; o < outer; ++o) {
                    const uint8_t* block = src + static_cast<size_t>(o * dim) * chunk;
                    for (int64_t j = 0; j < count; ++j) {
                        const int64_t i = resolve_index(node, static_cast<int64_t>(idx[j]), dim);
                        if (chunk) std::memcpy(dst, block + static_cast<size_t>(i) * chunk, chunk);
                        dst += chunk;
                    }
                }
            });
        });
}

ESPQ_REGISTER_FLOAT_OP(FloatOpDef{"Gather", infer_gather, prepare_gather});

}  // namespace
}  // namespace espq::float_kernels
