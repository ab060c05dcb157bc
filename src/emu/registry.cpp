// The emulator's operator registry, PrepareContext and the shared broadcasting helpers.
#include <algorithm>
#include <map>

#include "emu/emu_op.hpp"

namespace espq::emu {

namespace {
std::map<std::string, EmuPrepareFn>& registry() {
    static std::map<std::string, EmuPrepareFn> r;
    return r;
}
}  // namespace

bool register_emu_op(const char* op_type, EmuPrepareFn fn) {
    auto& r = registry();
    if (r.count(op_type)) throw InternalError(std::string("emulator op '") + op_type + "' registered twice");
    r.emplace(op_type, fn);
    return true;
}

EmuPrepareFn find_emu_op(const std::string& op_type) {
    auto it = registry().find(op_type);
    return it == registry().end() ? nullptr : it->second;
}

std::vector<std::string> emu_op_types() {
    std::vector<std::string> v;
    for (const auto& [k, _] : registry()) v.push_back(k);
    return v;
}

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
    throw UserError("node '" + node_.name + "' (" + node_.op_type + "): " + what);
}

void PrepareContext::unsupported(const std::string& what) const {
    throw UnsupportedError("node '" + node_.name + "' (" + node_.op_type + "): not emulated yet for " +
                           target_name(policy_.target) + (what.empty() ? "" : ": " + what));
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
    size_t r = std::max(a.size(), b.size());
    Shape out(r);
    for (size_t i = 0; i < r; ++i) {
        int64_t da = i < r - a.size() ? 1 : a[i - (r - a.size())];
        int64_t db = i < r - b.size() ? 1 : b[i - (r - b.size())];
        if (da != db && da != 1 && db != 1)
            ctx.error("inputs of shapes " + shape_str(a) + " and " + shape_str(b) + " cannot be broadcast together");
        out[i] = (da == 1) ? db : da;
    }
    return out;
}

BroadcastPlan make_broadcast_plan(const Shape& out, const Shape& a, const Shape& b) {
    BroadcastPlan p;
    p.out = out;
    const int rank = static_cast<int>(out.size());
    auto strides = [&](const Shape& s) {
        std::vector<int64_t> st(rank, 0);
        int64_t acc = 1;
        for (int d = rank - 1, sd = static_cast<int>(s.size()) - 1; d >= 0; --d, --sd) {
            int64_t dim = sd >= 0 ? s[sd] : 1;
            st[d] = dim == 1 ? 0 : acc;
            acc *= dim;
        }
        return st;
    };
    p.stride_a = strides(a);
    p.stride_b = strides(b);
    return p;
}

void strided_copy(const uint8_t* x, uint8_t* y, size_t es, const Shape& out, int64_t base,
                  const std::vector<int64_t>& stride) {
    const int rank = static_cast<int>(out.size());
    const int64_t total = shape_numel(out);
    if (total == 0) return;
    std::vector<int64_t> idx(rank, 0);
    int64_t src = base;
    for (int64_t o = 0; o < total; ++o) {
        std::memcpy(y + o * es, x + src * es, es);
        for (int d = rank - 1; d >= 0; --d) {
            src += stride[d];
            if (++idx[d] < out[d]) break;
            src -= stride[d] * out[d];
            idx[d] = 0;
        }
    }
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
