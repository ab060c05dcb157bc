// The emulator's operator registry, PrepareContext and ESP-DL's element-wise shape rules.
#include <algorithm>

#include "emu/emu_op.hpp"
#include "exec/broadcast.hpp"
#include "exec/op_registry.hpp"

namespace espq::emu {

namespace {
exec::OpRegistry<EmuPrepareFn>& registry() {
    static exec::OpRegistry<EmuPrepareFn> r("emulator");
    return r;
}
}  // namespace

bool register_emu_op(const char* op_type, EmuPrepareFn fn) {
    registry().add(op_type, fn);
    return true;
}

EmuPrepareFn find_emu_op(const std::string& op_type) {
    const EmuPrepareFn* fn = registry().find(op_type);
    return fn ? *fn : nullptr;
}

std::vector<std::string> emu_op_types() { return registry().op_types(); }

const Value& PrepareContext::in_value(int i) const {
    int id = node_.input(i);
    if (id < 0) error("input " + std::to_string(i) + " is required but missing");
    return graph_.value(id);
}

const Value& PrepareContext::out_value(int i) const {
    if (i >= num_outputs()) error("output " + std::to_string(i) + " is required but missing");
    return graph_.value(node_.outputs[i]);
}

const Shape& PrepareContext::in_shape(int i) const {
    int id = node_.input(i);
    if (id < 0) error("input " + std::to_string(i) + " is required but missing");
    return shapes_.at(id);
}

int PrepareContext::exponent_of(const Value& v, const std::string& which) const {
    if (v.exponents.empty())
        error(which + " '" + v.name + "' has no exponent; a quantized .espdl tensor needs exactly one");
    if (v.exponents.size() > 1)
        error(which + " '" + v.name + "' has " + std::to_string(v.exponents.size()) +
              " exponents; activations are per-tensor on every ESP-DL target");
    return static_cast<int>(v.exponents[0]);
}

int PrepareContext::in_exponent(int i) const { return exponent_of(in_value(i), "input"); }
int PrepareContext::out_exponent(int i) const { return exponent_of(out_value(i), "output"); }

const Tensor* PrepareContext::constant(int i) const {
    int id = node_.input(i);
    if (id < 0) return nullptr;
    const Value& v = graph_.value(id);
    return v.constant ? &*v.constant : nullptr;
}

const Tensor& PrepareContext::require_constant(int i, const std::string& what) const {
    const Tensor* t = constant(i);
    if (!t)
        error(what + " (input " + std::to_string(i) +
              ") must be a constant initializer; ESP-DL reads it once at load time");
    return *t;
}

void PrepareContext::set_out_shape(int i, Shape shape) {
    if (i >= num_outputs()) error("output " + std::to_string(i) + " is required but missing");
    shapes_.at(node_.outputs[i]) = std::move(shape);
}

const Value* PrepareContext::find_constant(const std::string& name) const {
    int id = graph_.find(name);
    if (id < 0 || !graph_.value(id).constant) return nullptr;
    return &graph_.value(id);
}

void PrepareContext::error(const std::string& what) const {
    throw_node_error(node_, what);
}

void PrepareContext::unsupported(const std::string& what) const {
    throw_node_unsupported(
        node_, std::string("not emulated yet for ") + target_name(policy_.target) + (what.empty() ? "" : ": " + what));
}

void PrepareContext::require_dtype(DType got, std::initializer_list<DType> allowed, const std::string& which) const {
    for (DType d : allowed)
        if (d == got) return;
    std::string names;
    for (DType d : allowed) names += (names.empty() ? "" : "/") + std::string(dtype_name(d));
    unsupported(which + " has dtype " + dtype_name(got) + "; this operator handles " + names);
}

int normalize_axis(const PrepareContext& ctx, int64_t axis, int rank, const char* what) {
    if (axis < -rank || axis >= std::max(rank, 1))
        ctx.error(std::string(what) + " " + std::to_string(axis) + " is out of range for rank " +
                  std::to_string(rank));
    return static_cast<int>(axis < 0 ? axis + rank : axis);
}

ElemwiseMerge merge_elemwise_shapes(const Shape& out_shape, const Shape& a, const Shape& b) {
    // Mirrors esp-dl get_elemwise_operation_args: align ranks, then fold dimension j into i while the two
    // inputs have the same broadcast pattern over (i, j).
    const int dims = static_cast<int>(out_shape.size());
    std::vector<int64_t> s0(dims, 1), s1(dims, 1), so(out_shape.begin(), out_shape.end());
    std::copy(a.begin(), a.end(), s0.begin() + (dims - static_cast<int>(a.size())));
    std::copy(b.begin(), b.end(), s1.begin() + (dims - static_cast<int>(b.size())));
    int merged = dims;
    for (int i = 0; i < dims; ++i) {
        int j = i + 1;
        for (; j < dims; ++j) {
            if (s0[i] == s1[i] && s0[j] == s1[j]) {
                s0[i] *= s0[j];
                s1[i] *= s1[j];
                so[i] *= so[j];
                s0[j] = s1[j] = so[j] = 1;
            } else if (s0[i] == 1 && s0[j] == 1) {
                s1[i] *= s1[j];
                so[i] *= so[j];
                s1[j] = so[j] = 1;
            } else if (s1[i] == 1 && s1[j] == 1) {
                s0[i] *= s0[j];
                so[i] *= so[j];
                s0[j] = so[j] = 1;
            } else {
                break;
            }
        }
        if (j == dims) {
            merged = i + 1;
            break;
        }
    }
    ElemwiseMerge m;
    m.dims = merged;
    if (merged == 0) {  // rank-0 operands: one element
        m.output_d0 = m.input0_d0 = m.input1_d0 = 1;
        return m;
    }
    m.output_d0 = so[merged - 1];
    m.input0_d0 = s0[merged - 1];
    m.input1_d0 = s1[merged - 1];
    return m;
}

Shape broadcast_shape(const PrepareContext& ctx, const Shape& a, const Shape& b) {
    std::optional<Shape> out = exec::broadcast_shape(a, b);
    if (!out) ctx.error("inputs of shapes " + shape_str(a) + " and " + shape_str(b) + " cannot be broadcast together");
    return *out;
}

ElemwiseMerge elementwise_shape(PrepareContext& ctx, Shape& out) {
    const Shape& a = ctx.in_shape(0);
    const Shape& b = ctx.in_shape(1);
    out = broadcast_shape(ctx, a, b);
    ElemwiseMerge m = merge_elemwise_shapes(out, a, b);
    if (m.dims > 4)
        ctx.error("broadcasting " + shape_str(a) + " with " + shape_str(b) +
                  " needs more than 4 merged dimensions, which ESP-DL's element-wise kernels do not support");
    ctx.set_out_shape(0, out);
    return m;
}

}  // namespace espq::emu
