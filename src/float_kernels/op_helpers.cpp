#include "float_kernels/op_helpers.hpp"

#include <algorithm>
#include <cstring>

namespace espq::float_kernels {

namespace {
std::string arity_text(int lo, int hi) {
    if (lo == hi) return std::to_string(lo);
    if (hi == kUnbounded) return "at least " + std::to_string(lo);
    return std::to_string(lo) + ".." + std::to_string(hi);
}
}  // namespace

void check_arity(const InferContext& ctx, int min_inputs, int max_inputs, int min_outputs, int max_outputs) {
    const int ni = ctx.node.num_inputs();
    if (ni < min_inputs || ni > max_inputs)
        ctx.error("has " + std::to_string(ni) + " input(s); ONNX defines " + arity_text(min_inputs, max_inputs));
    const int no = ctx.num_outputs();
    if (no < min_outputs || no > max_outputs)
        ctx.error("has " + std::to_string(no) + " output(s); ONNX defines " + arity_text(min_outputs, max_outputs));
}

const Value& require_input(const InferContext& ctx, int i, const char* what) {
    const Value* v = ctx.in(i);
    if (!v) ctx.error("input " + std::to_string(i) + " (" + what + ") is required");
    if (!v->shape_known)
        ctx.error("input " + std::to_string(i) + " (" + what + ", '" + v->name +
                  "') has no static shape; give the model fixed input shapes");
    return *v;
}

void require_dtype(const InferContext& ctx, int i, const char* what, std::initializer_list<DType> allowed) {
    const Value& v = require_input(ctx, i, what);
    if (std::find(allowed.begin(), allowed.end(), v.dtype) != allowed.end()) return;
    std::string names;
    for (DType t : allowed) names += std::string(names.empty() ? "" : ", ") + dtype_name(t);
    ctx.error("input " + std::to_string(i) + " (" + what + ", '" + v.name + "') is " + dtype_name(v.dtype) +
              "; this kernel supports " + names);
}

bool has_output(const InferContext& ctx, int i) {
    return i < ctx.num_outputs() && ctx.node.outputs[i] >= 0;
}

void set_output(const InferContext& ctx, int i, DType dtype, Shape shape) {
    Value& v = ctx.out(i);
    v.dtype = dtype;
    v.shape = std::move(shape);
    v.shape_known = true;
}

int normalize_axis(const Node& node, int64_t axis, int64_t rank, const std::string& attr) {
    if (axis < -rank || axis >= rank)
        throw_node_error(node, attr + " " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank) +
                                   " (valid: " + std::to_string(-rank) + ".." + std::to_string(rank - 1) + ")");
    return static_cast<int>(axis < 0 ? axis + rank : axis);
}

std::vector<int> normalize_axes(const Node& node, const std::vector<int64_t>& axes, int64_t rank,
                                const std::string& attr) {
    std::vector<int> out;
    std::vector<bool> seen(static_cast<size_t>(std::max<int64_t>(rank, 0)), false);
    for (int64_t a : axes) {
        int n = normalize_axis(node, a, rank, attr);
        if (seen[n]) throw_node_error(node, attr + " lists axis " + std::to_string(n) + " twice");
        seen[n] = true;
        out.push_back(n);
    }
    return out;
}

namespace {
const Value* input_value(const Node& node, const Graph& graph, int i) {
    const int id = node.input(i);
    return id < 0 ? nullptr : &graph.value(id);
}
}  // namespace

std::vector<int64_t> constant_ints(const Node& node, const Graph& graph, int i, const char* what) {
    const Value* v = input_value(node, graph, i);
    if (!v) throw_node_error(node, "input " + std::to_string(i) + " (" + what + ") is required");
    if (!v->constant)
        throw_node_error(node,
                         "input " + std::to_string(i) + " (" + what + ", '" + v->name +
                             "') must be a constant: espq needs static shapes (fix the model's input shapes so that "
                             "the shape computation folds, or replace it by an initializer)");
    const Tensor& t = *v->constant;
    if (!dtype_is_integer(t.dtype()) || t.dtype() == DType::Bool)
        throw_node_error(node, "input " + std::to_string(i) + " (" + what + ") must be an integer tensor, got " +
                                   dtype_name(t.dtype()));
    if (t.rank() > 1)
        throw_node_error(node, "input " + std::to_string(i) + " (" + what + ") must be a 1-D list, got shape " +
                                   shape_str(t.shape()));
    return t.as_int64s();
}

std::optional<std::vector<int64_t>> ints_from_attr_or_input(const Node& node, const Graph& graph,
                                                            const std::string& attr, int input) {
    const bool has_input = node.input(input) >= 0;
    if (node.has_attr(attr) && has_input)
        throw_node_error(node, "'" + attr + "' is given both as an attribute and as input " + std::to_string(input) +
                                   "; use the input (newer opsets) or the attribute (older opsets), not both");
    if (node.has_attr(attr)) return node.attr_ints(attr);
    if (has_input) return constant_ints(node, graph, input, attr.c_str());
    return std::nullopt;
}

void expect_shape(const Tensor& t, const Shape& shape, const Node& node) {
    if (t.shape() != shape)
        throw InternalError(node_label(node) + ": prepared for shape " + shape_str(shape) + ", run with " +
                            shape_str(t.shape()));
}

std::unique_ptr<FloatKernel> make_strided_copy_kernel(exec::StridedCopy copy, const Shape& in_shape, const Node& node) {
    return make_kernel([copy = std::move(copy), in_shape, node](const std::vector<const Tensor*>& in,
                                                                const std::vector<Tensor*>& out, KernelScratch&) {
        expect_shape(*in[0], in_shape, node);
        copy.run(in[0]->raw(), out[0]->raw());
    });
}

std::unique_ptr<FloatKernel> make_copy_kernel() {
    return make_kernel([](const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out, KernelScratch&) {
        invariant(in[0]->nbytes() == out[0]->nbytes(), "copy kernel: input and output sizes differ");
        if (in[0]->nbytes()) std::memcpy(out[0]->raw(), in[0]->raw(), in[0]->nbytes());
    });
}

}  // namespace espq::float_kernels
