// Reductions: ReduceSum, ReduceMean, ReduceMax, ReduceMin, and ReduceProd, ReduceSumSquare, ReduceL1,
// ReduceL2, ReduceLogSum (all of which ESP-DL implements), for float32/float64/int32/int64.
//
// `axes` is an attribute in older opsets and an optional input in newer ones (ReduceSum from 13, the others
// from 18). No axes means every axis, unless noop_with_empty_axes=1, which makes the op an identity.
// keepdims (default 1) keeps reduced axes as size 1. Over an empty set, Sum gives 0, Max -inf (the type's
// lowest), Min +inf (its highest); a NaN input gives NaN for Max/Min as in numpy.
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

#include "exec/loops.hpp"
#include "float_kernels/dtype_dispatch.hpp"
#include "float_kernels/op_helpers.hpp"

namespace espq::float_kernels {
namespace {

enum class Kind { Sum, Mean, Max, Min, Prod, SumSquare, L1, L2, LogSum };

struct ReduceSpec {
    Shape in;
    Shape out;                         // with keepdims applied
    std::vector<int64_t> out_strides;  // per input dim; 0 along reduced dims
    bool identity = false;             // noop_with_empty_axes with no axes
};

ReduceSpec reduce_spec(const Node& node, const Graph& graph) {
    ReduceSpec s;
    s.in = graph.value(node.inputs.at(0)).shape;
    const int64_t rank = static_cast<int64_t>(s.in.size());
    const auto axes = ints_from_attr_or_input(node, graph, "axes", 1);
    const bool keepdims = node.attr_int("keepdims", 1) != 0;
    std::vector<bool> reduced(s.in.size(), false);
    if (!axes || axes->empty()) {
        if (node.attr_int("noop_with_empty_axes", 0) != 0)
            s.identity = true;
        else
            reduced.assign(s.in.size(), true);
    } else {
        for (int a : normalize_axes(node, *axes, rank, "axes")) reduced[a] = true;
    }
    Shape kept_shape;  // input shape with reduced dims set to 1
    for (size_t k = 0; k < s.in.size(); ++k) {
        kept_shape.push_back(reduced[k] ? 1 : s.in[k]);
        if (!reduced[k])
            s.out.push_back(s.in[k]);
        else if (keepdims)
            s.out.push_back(1);
    }
    s.out_strides = exec::contiguous_strides(kept_shape);
    for (size_t k = 0; k < s.in.size(); ++k)
        if (reduced[k]) s.out_strides[k] = 0;
    return s;
}

void infer_reduce(InferContext& ctx) {
    check_arity(ctx, 1, 2, 1, 1);
    require_dtype(ctx, 0, "data", {DType::Float32, DType::Float64, DType::Int32, DType::Int64});
    set_output(ctx, 0, ctx.in(0)->dtype, reduce_spec(ctx.node, ctx.graph).out);
}

template <Kind kKind, typename T>
T initial() {
    if constexpr (kKind == Kind::Max)
        return std::numeric_limits<T>::has_infinity ? -std::numeric_limits<T>::infinity()
                                                    : std::numeric_limits<T>::lowest();
    if constexpr (kKind == Kind::Min)
        return std::numeric_limits<T>::has_infinity ? std::numeric_limits<T>::infinity()
                                                    : std::numeric_limits<T>::max();
    if constexpr (kKind == Kind::Prod) return T(1);
    return T(0);
}

template <Kind kKind, typename T>
T combine(T acc, T x) {
    if constexpr (kKind == Kind::Max || kKind == Kind::Min) {
        if constexpr (std::is_floating_point_v<T>)
            if (std::isnan(x)) return x;
        if constexpr (kKind == Kind::Max)
            return acc < x ? x : acc;
        else
            return x < acc ? x : acc;
    } else if constexpr (kKind == Kind::Prod) {
        return acc * x;
    } else if constexpr (kKind == Kind::SumSquare || kKind == Kind::L2) {
        return acc + x * x;
    } else if constexpr (kKind == Kind::L1) {
        return acc + (x < 0 ? -x : x);
    } else {
        return acc + x;
    }
}

template <Kind kKind, typename T>
T finish(T acc, int64_t count) {
    if constexpr (kKind == Kind::Mean) {
        if constexpr (std::is_integral_v<T>)
            return count == 0 ? T(0) : static_cast<T>(acc / static_cast<T>(count));
        else
            return acc / static_cast<T>(count);
    } else if constexpr (kKind == Kind::L2) {
        return static_cast<T>(std::sqrt(static_cast<double>(acc)));
    } else if constexpr (kKind == Kind::LogSum) {
        if constexpr (std::is_floating_point_v<T>)
            return std::log(acc);
        else
            return static_cast<T>(std::log(static_cast<double>(acc)));
    } else {
        (void)count;
        return acc;
    }
}

template <Kind kKind, typename T>
void reduce(const T* x, T* y, int64_t out_numel, int64_t count, const std::vector<exec::Loop>& outer,
            const exec::Loop& inner) {
    for (int64_t i = 0; i < out_numel; ++i) y[i] = initial<kKind, T>();
    const int64_t n = inner.count;
    exec::for_each_offset(outer.data(), outer.size(), [&](int64_t xi, int64_t yi) {
        const T* px = x + xi;
        T* py = y + yi;
        if (inner.stride1 == 0) {  // innermost dimension is reduced: accumulate into one output
            T acc = *py;
            for (int64_t i = 0; i < n; ++i) acc = combine<kKind, T>(acc, px[i]);
            *py = acc;
        } else {
            for (int64_t i = 0; i < n; ++i) py[i] = combine<kKind, T>(py[i], px[i]);
        }
    });
    for (int64_t i = 0; i < out_numel; ++i) y[i] = finish<kKind, T>(y[i], count);
}

template <Kind kKind>
std::unique_ptr<FloatKernel> prepare_reduce(const Node& node, const Graph& graph) {
    const ReduceSpec s = reduce_spec(node, graph);
    if (s.identity) return make_copy_kernel();
    std::vector<exec::Loop> outer = exec::merge_loops(s.in, exec::contiguous_strides(s.in), s.out_strides);
    // Innermost loop: the input is contiguous there (stride 1); the output either advances with it or not.
    exec::Loop inner{1, 1, 0};
    if (!outer.empty()) {
        inner = outer.back();
        outer.pop_back();
    }
    const DType dtype = graph.value(node.inputs.at(0)).dtype;
    const int64_t out_numel = shape_numel(s.out);
    const int64_t count = out_numel == 0 ? 0 : shape_numel(s.in) / out_numel;
    return make_kernel([=](const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out, KernelScratch&) {
        expect_shape(*in[0], s.in, node);
        dispatch_arith(dtype, [&](auto tag) {
            using T = decltype(tag);
            T* y = out[0]->data<T>();
            if (in[0]->numel() == 0) {  // reduction over an empty set: only the initial values remain
                for (int64_t i = 0; i < out_numel; ++i) y[i] = finish<kKind, T>(initial<kKind, T>(), 0);
                return;
            }
            reduce<kKind, T>(in[0]->data<T>(), y, out_numel, count, outer, inner);
        });
    });
}

template <Kind kKind>
FloatOpDef reduce_op(const char* name) {
    return FloatOpDef{name, infer_reduce, prepare_reduce<kKind>};
}

ESPQ_REGISTER_FLOAT_OP(reduce_op<Kind::Sum>("ReduceSum"));
ESPQ_REGISTER_FLOAT_OP(reduce_op<Kind::Mean>("ReduceMean"));
ESPQ_REGISTER_FLOAT_OP(reduce_op<Kind::Max>("ReduceMax"));
ESPQ_REGISTER_FLOAT_OP(reduce_op<Kind::Min>("ReduceMin"));
ESPQ_REGISTER_FLOAT_OP(reduce_op<Kind::Prod>("ReduceProd"));
ESPQ_REGISTER_FLOAT_OP(reduce_op<Kind::SumSquare>("ReduceSumSquare"));
ESPQ_REGISTER_FLOAT_OP(reduce_op<Kind::L1>("ReduceL1"));
ESPQ_REGISTER_FLOAT_OP(reduce_op<Kind::L2>("ReduceL2"));
ESPQ_REGISTER_FLOAT_OP(reduce_op<Kind::LogSum>("ReduceLogSum"));

}  // namespace
}  // namespace espq::float_kernels
