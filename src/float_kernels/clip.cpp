// Clip: y = min(max(x, min), max). Opset 11+ takes min and max as optional scalar inputs (possibly computed
// at run time); opset 6-10 took float attributes. With min > max every element becomes max, as ONNX says.
#include <limits>

#include "float_kernels/dtype_dispatch.hpp"
#include "float_kernels/op_helpers.hpp"

namespace espq::float_kernels {
namespace {

void infer_clip(InferContext& ctx) {
    check_arity(ctx, 1, 3, 1, 1);
    require_dtype(ctx, 0, "input", {DType::Float32, DType::Float64, DType::Int32, DType::Int64});
    const DType dtype = ctx.in(0)->dtype;
    const bool has_attr_bounds = ctx.node.has_attr("min") || ctx.node.has_attr("max");
    if (has_attr_bounds && ctx.node.num_inputs() > 1)
        ctx.error("has both min/max attributes (opset < 11) and min/max inputs (opset 11+); use one form");
    if (has_attr_bounds && dtype != DType::Float32)
        ctx.error("min/max attributes (opset < 11) apply to float tensors only; this input is " +
                  std::string(dtype_name(dtype)));
    for (int i = 1; i < 3; ++i) {
        const Value* b = ctx.in(i);
        if (!b) continue;
        const char* what = i == 1 ? "min" : "max";
        if (b->dtype != dtype)
            ctx.error(std::string("input '") + what + "' is " + dtype_name(b->dtype) + " but the data is " +
                      dtype_name(dtype) + "; both must have one type");
        if (!b->shape_known || shape_numel(b->shape) != 1)
            ctx.error(std::string("input '") + what + "' must be a scalar, got shape " + shape_str(b->shape));
    }
    ctx.node.attr_float("min", 0.f);  // type checks
    ctx.node.attr_float("max", 0.f);
    set_output(ctx, 0, dtype, ctx.in(0)->shape);
}

std::unique_ptr<FloatKernel> prepare_clip(const Node& node, const Graph& graph) {
    const DType dtype = graph.value(node.inputs.at(0)).dtype;
    const float attr_min = node.attr_float("min", -std::numeric_limits<float>::max());
    const float attr_max = node.attr_float("max", std::numeric_limits<float>::max());
    return make_kernel(
        [dtype, attr_min, attr_max](const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out,
                                    KernelScratch&) {
            dispatch_arith(dtype, [&](auto tag) {
                using T = decltype(tag);
                T lo = std::numeric_limits<T>::lowest(), hi = std::numeric_limits<T>::max();
                if constexpr (std::is_same_v<T, float>) {
                    lo = attr_min;
                    hi = attr_max;
                }
                if (in.size() > 1 && in[1]) lo = in[1]->data<T>()[0];
                if (in.size() > 2 && in[2]) hi = in[2]->data<T>()[0];
                const T* x = in[0]->data<T>();
                T* y = out[0]->data<T>();
                const int64_t n = in[0]->numel();
                for (int64_t i = 0; i < n; ++i) {
                    const T v = x[i] < lo ? lo : x[i];
                    y[i] = hi < v ? hi : v;
                }
            });
        });
}

ESPQ_REGISTER_FLOAT_OP(FloatOpDef{"Clip", infer_clip, prepare_clip});

}  // namespace
}  // namespace espq::float_kernels
