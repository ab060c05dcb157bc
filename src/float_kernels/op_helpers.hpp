// Helpers shared by the elementwise, activation, data-movement and reduction float kernels: input/output
// checks for `infer`, axis normalisation, integer parameters that moved from attributes to inputs across
// opsets, and the byte-copy kernel of the ops that only relabel a tensor's shape.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "espq/float_ops.hpp"
#include "espq/ir.hpp"
#include "espq/node_error.hpp"
#include "exec/loops.hpp"
#include "exec/strided_copy.hpp"
#include "float_kernels/window.hpp"

namespace espq::float_kernels {

// For check_arity: no upper bound (variadic inputs).
constexpr int kUnbounded = std::numeric_limits<int>::max();

// Checks the number of (non-omitted) inputs and of outputs against ONNX's arity for the op.
void check_arity(const InferContext& ctx, int min_inputs, int max_inputs, int min_outputs, int max_outputs);

// Input i must be present and have a static shape; returns its value.
const Value& require_input(const InferContext& ctx, int i, const char* what);

// Input i's dtype must be one of `allowed`.
void require_dtype(const InferContext& ctx, int i, const char* what, std::initializer_list<DType> allowed);

// Whether output i exists (optional trailing outputs may be omitted).
bool has_output(const InferContext& ctx, int i);
void set_output(const InferContext& ctx, int i, DType dtype, Shape shape);

// The helpers below take the Node and Graph so that `prepare` can re-derive what `infer` validated; errors
// are the same UserError as InferContext::error. The InferContext overloads forward to them.

// `axis` in [-rank, rank) mapped to [0, rank); `attr` names it in the error.
int normalize_axis(const Node& node, int64_t axis, int64_t rank, const std::string& attr);
// A list of axes normalised like normalize_axis; duplicates are an error. Result keeps the given order.
std::vector<int> normalize_axes(const Node& node, const std::vector<int64_t>& axes, int64_t rank,
                                const std::string& attr);

// The integer data of input i, which must be a constant (espq needs static shapes) of an integer dtype.
std::vector<int64_t> constant_ints(const Node& node, const Graph& graph, int i, const char* what);

// An integer list that older opsets give as attribute `attr` and newer ones as input `input` (Squeeze axes,
// Split sizes, Reduce* axes, Slice starts/ends...). nullopt if the node has neither; both is an error.
std::optional<std::vector<int64_t>> ints_from_attr_or_input(const Node& node, const Graph& graph,
                                                            const std::string& attr, int input);

inline int normalize_axis(const InferContext& ctx, int64_t axis, int64_t rank, const std::string& attr) {
    return normalize_axis(ctx.node, axis, rank, attr);
}
inline std::vector<int> normalize_axes(const InferContext& ctx, const std::vector<int64_t>& axes, int64_t rank,
                                       const std::string& attr) {
    return normalize_axes(ctx.node, axes, rank, attr);
}
inline std::vector<int64_t> constant_ints(const InferContext& ctx, int i, const char* what) {
    return constant_ints(ctx.node, ctx.graph, i, what);
}
inline std::optional<std::vector<int64_t>> ints_from_attr_or_input(const InferContext& ctx, const std::string& attr,
                                                                   int input) {
    return ints_from_attr_or_input(ctx.node, ctx.graph, attr, input);
}

// The kernel of an op whose single output is `copy` applied to its input 0 (of shape `in_shape`).
std::unique_ptr<FloatKernel> make_strided_copy_kernel(exec::StridedCopy copy, const Shape& in_shape, const Node& node);

// Run-time guard: the tensor the executor passes has the shape `infer` produced (an espq bug otherwise).
void expect_shape(const Tensor& t, const Shape& shape, const Node& node);

// Kernel for ops whose output holds the input's bytes unchanged under another shape (Identity, Reshape,
// Flatten, Squeeze, Unsqueeze).
std::unique_ptr<FloatKernel> make_copy_kernel();

}  // namespace espq::float_kernels
