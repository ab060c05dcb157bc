// Add, Sub, Mul, Div and Pow with ONNX multidirectional broadcasting.
//
// Besides float32 these run on int32/int64 (and float64), because shape sub-graphs (Shape -> Gather -> Mul
// -> Concat -> Reshape) compute with them when they are folded at load time. Integer arithmetic wraps
// (two's complement) instead of being undefined on overflow, and integer division truncates toward zero
// like ONNX's reference (numpy divide then cast); dividing an integer by zero is a UserError, not a crash.
#include <cmath>
#include <limits>
#include <type_traits>

#include "exec/broadcast.hpp"
#include "float_kernels/dtype_dispatch.hpp"
#include "float_kernels/op_helpers.hpp"

namespace espq::float_kernels {
namespace {

enum class Arith { Add, Sub, Mul, Div };

template <typename T>
using Unsigned = std::make_unsigned_t<T>;

template <Arith kOp, typename T>
T arith(T a, T b, const Node& node) {
    if constexpr (std::is_floating_point_v<T>) {
        (void)node;
        if constexpr (kOp == Arith::Add) return a + b;
        if constexpr (kOp == Arith::Sub) return a - b;
        if constexpr (kOp == Arith::Mul) return a * b;
        if constexpr (kOp == Arith::Div) return a / b;
    } else {
        using U = Unsigned<T>;
        if constexpr (kOp == Arith::Add) return static_cast<T>(static_cast<U>(a) + static_cast<U>(b));
        if constexpr (kOp == Arith::Sub) return static_cast<T>(static_cast<U>(a) - static_cast<U>(b));
        if constexpr (kOp == Arith::Mul) return static_cast<T>(static_cast<U>(a) * static_cast<U>(b));
        if constexpr (kOp == Arith::Div) {
            if (b == 0) throw_node_error(node, "integer division by zero");
            if (b == -1) return static_cast<T>(U{0} - static_cast<U>(a));  // INT_MIN / -1 overflows in C++
            return static_cast<T>(a / b);
        }
    }
}

// Pow of an integer base by an integer exponent, exactly (double pow loses precision above 2^53); a
// negative exponent truncates the fractional result toward zero like numpy's float pow then cast.
template <typename T>
T int_pow(T base, int64_t e) {
    if (e < 0) {
        if (base == 1) return 1;
        if (base == -1) return (e % 2 == 0) ? 1 : -1;
        return 0;  // |base|^e < 1 truncates to 0 (base 0 gives inf in numpy; cast is undefined there)
    }
    using U = Unsigned<T>;
    U result = 1, b = static_cast<U>(base);
    for (uint64_t k = static_cast<uint64_t>(e); k; k >>= 1) {
        if (k & 1) result *= b;
        b *= b;
    }
    return static_cast<T>(result);
}

template <typename TB, typename TE>
TB power(TB base, TE e) {
    if constexpr (std::is_integral_v<TB> && std::is_integral_v<TE>) {
        return int_pow<TB>(base, static_cast<int64_t>(e));
    } else if constexpr (std::is_same_v<TB, float>) {
        return std::pow(base, static_cast<float>(e));
    } else if constexpr (std::is_same_v<TB, double>) {
        return std::pow(base, static_cast<double>(e));
    } else {  // integer base, float exponent: float power then truncation, as numpy computes it
        const double r = std::pow(static_cast<double>(base), static_cast<double>(e));
        if (!std::isfinite(r)) return 0;
        if (r >= static_cast<double>(std::numeric_limits<TB>::max())) return std::numeric_limits<TB>::max();
        if (r <= static_cast<double>(std::numeric_limits<TB>::min())) return std::numeric_limits<TB>::min();
        return static_cast<TB>(r);
    }
}

void infer_binary(InferContext& ctx, bool same_dtype) {
    check_arity(ctx, 2, 2, 1, 1);
    const Value& a = require_input(ctx, 0, "A");
    const Value& b = require_input(ctx, 1, "B");
    const std::initializer_list<DType> kTypes = {DType::Float32, DType::Float64, DType::Int32, DType::Int64};
    require_dtype(ctx, 0, "A", kTypes);
    require_dtype(ctx, 1, "B", kTypes);
    if (same_dtype && a.dtype != b.dtype)
        ctx.error(std::string("inputs are ") + dtype_name(a.dtype) + " and " + dtype_name(b.dtype) + "; ONNX " +
                  ctx.node.op_type + " needs both of one type (insert a Cast)");
    set_output(ctx, 0, a.dtype, broadcast_shapes(a.shape, b.shape, ctx));
}

struct BinaryShapes {
    exec::BroadcastPlan plan;
    Shape out;
};

BinaryShapes binary_shapes(const Node& node, const Graph& graph) {
    const Shape& a = graph.value(node.inputs.at(0)).shape;
    const Shape& b = graph.value(node.inputs.at(1)).shape;
    const Shape& out = graph.value(node.outputs.at(0)).shape;
    return {exec::BroadcastPlan(a, b, out), out};
}

template <Arith kOp>
std::unique_ptr<FloatKernel> prepare_arith(const Node& node, const Graph& graph) {
    const DType dtype = graph.value(node.inputs.at(0)).dtype;
    return make_kernel([s = binary_shapes(node, graph), dtype, node](const std::vector<const Tensor*>& in,
                                                                     const std::vector<Tensor*>& out, KernelScratch&) {
        expect_shape(*in[0], s.plan.a_shape(), node);
        expect_shape(*in[1], s.plan.b_shape(), node);
        dispatch_arith(dtype, [&](auto tag) {
            using T = decltype(tag);
            s.plan.apply(in[0]->data<T>(), in[1]->data<T>(), out[0]->data<T>(),
                         [&node](T a, T b) { return arith<kOp, T>(a, b, node); });
        });
    });
}

std::unique_ptr<FloatKernel> prepare_pow(const Node& node, const Graph& graph) {
    const DType base_type = graph.value(node.inputs.at(0)).dtype;
    const DType exp_type = graph.value(node.inputs.at(1)).dtype;
    return make_kernel([s = binary_shapes(node, graph), base_type, exp_type, node](
                           const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out, KernelScratch&) {
        expect_shape(*in[0], s.plan.a_shape(), node);
        expect_shape(*in[1], s.plan.b_shape(), node);
        dispatch_arith(base_type, [&](auto base_tag) {
            using TB = decltype(base_tag);
            dispatch_arith(exp_type, [&](auto exp_tag) {
                using TE = decltype(exp_tag);
                s.plan.apply(in[0]->data<TB>(), in[1]->data<TE>(), out[0]->data<TB>(),
                             [](TB a, TE e) { return power<TB, TE>(a, e); });
            });
        });
    });
}

template <Arith kOp>
FloatOpDef arith_op(const char* name) {
    return FloatOpDef{name, [](InferContext& ctx) { infer_binary(ctx, true); }, prepare_arith<kOp>};
}

ESPQ_REGISTER_FLOAT_OP(arith_op<Arith::Add>("Add"));
ESPQ_REGISTER_FLOAT_OP(arith_op<Arith::Sub>("Sub"));
ESPQ_REGISTER_FLOAT_OP(arith_op<Arith::Mul>("Mul"));
ESPQ_REGISTER_FLOAT_OP(arith_op<Arith::Div>("Div"));
// Pow's exponent may have another numeric type than the base (opset 12+); the output has the base's type.
ESPQ_REGISTER_FLOAT_OP(FloatOpDef{"Pow", [](InferContext& ctx) { infer_binary(ctx, false); }, prepare_pow});

}  // namespace
}  // namespace espq::float_kernels
