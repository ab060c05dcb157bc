// Cast between numeric dtypes (float32/64, int8..int64, uint8..uint64, bool).
//
// Float to integer truncates toward zero like a C cast. Where C leaves the result undefined (NaN, values out
// of the target's range) this saturates to the target's range and maps NaN to 0, so a malformed model gives
// a defined answer instead of undefined behaviour. Anything to bool is "x != 0".
#include <cmath>
#include <limits>
#include <type_traits>

#include "float_kernels/dtype_dispatch.hpp"
#include "float_kernels/op_helpers.hpp"

namespace espq::float_kernels {
namespace {

template <typename D, typename S>
D convert(S v) {
    if constexpr (std::is_same_v<D, bool>) {
        return v != S{};
    } else if constexpr (std::is_floating_point_v<S> && std::is_integral_v<D>) {
        if (std::isnan(v)) return D{0};
        if (v <= static_cast<S>(std::numeric_limits<D>::lowest())) return std::numeric_limits<D>::lowest();
        if (v >= static_cast<S>(std::numeric_limits<D>::max())) return std::numeric_limits<D>::max();
        return static_cast<D>(v);
    } else {
        return static_cast<D>(v);
    }
}

DType target_dtype(const Node& node) {
    return static_cast<DType>(node.attr_int("to", 0));
}

void infer_cast(InferContext& ctx) {
    check_arity(ctx, 1, 1, 1, 1);
    const Value& x = require_input(ctx, 0, "input");
    if (!ctx.node.has_attr("to")) ctx.error("attribute 'to' (the target dtype) is required");
    const DType to = target_dtype(ctx.node);
    if (!is_numeric_dtype(to))
        ctx.error("casting to " + std::string(dtype_name(to)) + " (ONNX type " +
                  std::to_string(ctx.node.attr_int("to", 0)) +
                  ") is not supported; espq casts between float32/64, int8..64, uint8..64 and bool");
    if (!is_numeric_dtype(x.dtype)) ctx.error("casting from " + std::string(dtype_name(x.dtype)) + " is not supported");
    set_output(ctx, 0, to, x.shape);
}

std::unique_ptr<FloatKernel> prepare_cast(const Node& node, const Graph& graph) {
    const DType from = graph.value(node.inputs.at(0)).dtype, to = target_dtype(node);
    return make_kernel([from, to](const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out,
                                  KernelScratch&) {
        const int64_t n = in[0]->numel();
        dispatch_numeric(from, [&](auto src_tag) {
            using S = decltype(src_tag);
            const S* x = in[0]->data<S>();
            dispatch_numeric(to, [&](auto dst_tag) {
                using D = decltype(dst_tag);
                D* y = out[0]->data<D>();
                for (int64_t i = 0; i < n; ++i) y[i] = convert<D, S>(x[i]);
            });
        });
    });
}

ESPQ_REGISTER_FLOAT_OP(FloatOpDef{"Cast", infer_cast, prepare_cast});

}  // namespace
}  // namespace espq::float_kernels
