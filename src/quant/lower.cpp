// Lowering driver: float graph + plan -> ESP-DL graph (see include/espq/quantize.hpp).
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>

#include "exec/strided_copy.hpp"
#include "quant/lower_context.hpp"
#include "espq/support.hpp"
#include "quant/op_classes.hpp"

namespace espq::quant {

// ---- layouts ----

Perm identity_perm(size_t rank) {
    Perm p(rank);
    for (size_t i = 0; i < rank; ++i) p[i] = static_cast<int>(i);
    return p;
}

Perm channels_last_perm(size_t rank) {
    if (rank == 4) return {0, 2, 3, 1};
    if (rank == 3) return {0, 2, 1};
    return identity_perm(rank);
}

Perm inverse_perm(const Perm& p) {
    Perm inv(p.size());
    for (size_t i = 0; i < p.size(); ++i) inv[p[i]] = static_cast<int>(i);
    return inv;
}

Shape permute_shape(const Shape& s, const Perm& p) {
    if (p.size() != s.size()) return s;
    Shape out(s.size());
    for (size_t i = 0; i < p.size(); ++i) out[i] = s[p[i]];
    return out;
}

// ---- numerics ----

double round_ties(double x, Rounding r) {
    if (r == Rounding::HalfUp) return std::floor(x + 0.5);
    return std::nearbyint(x);  // default FE_TONEAREST: ties to even
}

namespace {

// Quantizes element i at exponent_of(i), saturating to `bits`; counts the saturated elements.
template <typename ExponentOf>
Tensor quantize_elements(const Tensor& real, ExponentOf exponent_of, int bits, Rounding r, DType out_dtype,
                         int64_t* clamped) {
    const double lo = -std::ldexp(1.0, bits - 1), hi = std::ldexp(1.0, bits - 1) - 1;
    const auto v = real.as_doubles();
    Tensor out(out_dtype, real.shape());
    int64_t nclamp = 0;
    for (size_t i = 0; i < v.size(); ++i) {
        double q = round_ties(std::ldexp(v[i], -exponent_of(i)), r);
        if (q < lo || q > hi) ++nclamp;
        q = std::min(hi, std::max(lo, q));
        switch (out_dtype) {
            case DType::Int8: out.data<int8_t>()[i] = static_cast<int8_t>(q); break;
            case DType::Int16: out.data<int16_t>()[i] = static_cast<int16_t>(q); break;
            case DType::Int32: out.data<int32_t>()[i] = static_cast<int32_t>(q); break;
            case DType::Int64: out.data<int64_t>()[i] = static_cast<int64_t>(q); break;
            default: throw InternalError("quantize_tensor: bad output dtype");
        }
    }
    if (clamped) *clamped = nclamp;
    return out;
}

}  // namespace

Tensor quantize_tensor(const Tensor& real, int exponent, int bits, Rounding r, DType out_dtype, int64_t* clamped) {
    return quantize_elements(real, [exponent](size_t) { return exponent; }, bits, r, out_dtype, clamped);
}

Tensor quantize_channels(const Tensor& real, const std::vector<int>& exponents, int axis, int bits, Rounding r,
                         DType out_dtype, int64_t* clamped) {
    if (exponents.size() == 1) return quantize_tensor(real, exponents[0], bits, r, out_dtype, clamped);
    const Shape& shape = real.shape();
    if (axis < 0 || axis >= static_cast<int>(shape.size()) || shape[axis] != static_cast<int64_t>(exponents.size()))
        throw InternalError("quantize_channels: " + std::to_string(exponents.size()) + " exponents for axis " +
                            std::to_string(axis) + " of shape " + shape_str(shape));
    size_t inner = 1;  // elements after the channel axis (row-major)
    for (size_t d = static_cast<size_t>(axis) + 1; d < shape.size(); ++d) inner *= static_cast<size_t>(shape[d]);
    const size_t channels = exponents.size();
    return quantize_elements(real, [&](size_t i) { return exponents[(i / inner) % channels]; }, bits, r, out_dtype,
                             clamped);
}

std::vector<int64_t> exponent_list(const OperandQuant& q) { return {q.exponents.begin(), q.exponents.end()}; }

// ---- registry ----

namespace {
std::map<std::string, LowerFn>& lowerings() {
    static std::map<std::string, LowerFn> m;
    return m;
}
DType int_dtype(int bits) { return bits == 16 ? DType::Int16 : DType::Int8; }
const char* quant_type_of(int bits) { return bits == 16 ? "S16" : bits == 8 ? "S8" : "F32"; }
}  // namespace

bool register_lowering(const std::string& op, LowerFn fn) {
    if (!lowerings().emplace(op, std::move(fn)).second) throw InternalError("lowering for " + op + " registered twice");
    return true;
}

const LowerFn* find_lowering(const std::string& op) {
    auto it = lowerings().find(op);
    return it == lowerings().end() ? nullptr : &it->second;
}

// ---- context helpers ----

std::string LowerContext::fresh_name(const std::string& base) {
    std::string n = dst.unique_name(base);
    return n;
}

void LowerContext::note(const std::string& s) const {
    spdlog::info("{}", s);
    if (notes) notes->push_back(s);
}

int LowerContext::node_bits(const Node& n) const { return plan.node_bits.at(node_index(n)); }

const NodeQuant& LowerContext::node_quant(const Node& n) const {
    if (plan.nodes.size() != src.nodes.size())
        throw InternalError("lowering: the plan has no operand reads (plan_quantization did not fill QuantPlan::nodes)");
    return plan.nodes[static_cast<size_t>(node_index(n))];
}

const OperandQuant& LowerContext::operand(const Node& n, int j) const {
    const NodeQuant& nq = node_quant(n);
    if (j < 0 || j >= static_cast<int>(nq.inputs.size()))
        throw InternalError("lowering: node '" + n.name + "' has no planned input " + std::to_string(j));
    return nq.inputs[static_cast<size_t>(j)];
}

int LowerContext::read_input(const Node& n, int j, const Perm& layout) {
    const OperandQuant& op = operand(n, j);
    if (op.exponents.size() != 1)
        throw InternalError("lowering: node '" + n.name + "' input " + std::to_string(j) + " has no planned read");
    return activation(n.inputs.at(static_cast<size_t>(j)), op.bits, op.exponent(), layout, n.name);
}

int LowerContext::add_constant(const std::string& name, Tensor t, std::vector<int64_t> exponents,
                               const std::string& doc) {
    Value v;
    v.name = fresh_name(name);
    v.dtype = t.dtype();
    v.shape = t.shape();
    v.shape_known = true;
    v.constant = std::move(t);
    v.exponents = std::move(exponents);
    v.doc_string = doc;
    return dst.add_value(std::move(v));
}

Node& LowerContext::add_node(const std::string& name, const std::string& op, std::vector<int> inputs,
                             std::vector<int> outputs, int bits) {
    Node n;
    n.name = name;
    n.op_type = op;
    n.inputs = std::move(inputs);
    n.outputs = std::move(outputs);
    n.attrs["quant_type"] = std::string(quant_type_of(bits));
    dst.nodes.push_back(std::move(n));
    return dst.nodes.back();
}

int LowerContext::define_output(int fv, const Perm& layout) {
    const Value& f = src.value(fv);
    const TensorQuant& tq = q(fv);
    Value v;
    v.name = f.name;
    v.dtype = tq.bits ? int_dtype(tq.bits) : DType::Float32;
    v.shape = permute_shape(f.shape, layout);
    v.shape_known = true;
    v.exponents = {tq.bits ? tq.exponent : 0};
    const int id = dst.add_value(std::move(v));
    lowered[fv] = id;
    perm[fv] = layout;
    cache[{fv, tq.bits, tq.exponent, layout}] = id;
    return id;
}

int LowerContext::activation(int fv, int bits, int exponent, const Perm& layout, const std::string& consumer) {
    auto key = std::make_tuple(fv, bits, exponent, layout);
    auto it = cache.find(key);
    if (it != cache.end()) return it->second;
    if (lowered[fv] < 0) throw InternalError("lowering: '" + src.value(fv).name + "' used before it is lowered");
    const TensorQuant& tq = q(fv);
    // Layout first, in the native precision (a Transpose is a copy), then precision / exponent.
    int cur = lowered[fv];
    if (perm[fv] != layout) {
        auto tkey = std::make_tuple(fv, tq.bits, tq.exponent, layout);
        auto tit = cache.find(tkey);
        if (tit != cache.end()) {
            cur = tit->second;
        } else {
            // The stored tensor is permute(onnx, perm[fv]); we need permute(onnx, layout).
            const Perm& from = perm[fv];
            const Perm inv = inverse_perm(from);
            Perm tp(layout.size());
            for (size_t i = 0; i < layout.size(); ++i) tp[i] = inv[layout[i]];
            Value v;
            v.name = fresh_name(src.value(fv).name + "/transposed");
            v.dtype = dst.value(cur).dtype;
            v.shape = permute_shape(src.value(fv).shape, layout);
            v.shape_known = true;
            v.exponents = dst.value(cur).exponents;
            const int out = dst.add_value(std::move(v));
            Node& n = add_node(fresh_name(consumer + "/Transpose_" + std::to_string(inserted_counter++)), "Transpose",
                               {cur}, {out}, tq.bits);
            n.attrs["perm"] = Attribute::Ints(tp.begin(), tp.end());
            cache[tkey] = out;
            cur = out;
        }
    }
    if (tq.bits == 0 && bits != 0) {
        // A float tensor (a Softmax output) read by an integer node: ESP-DL's QuantizeLinear module converts it
        // by the two tensors' dtypes and exponents (TensorBase::assign), like RequantizeLinear.
        cur = convert(fv, cur, "QuantizeLinear", bits, exponent, layout, consumer);
    } else if (bits != tq.bits || exponent != tq.exponent) {
        if (bits == 0) throw InternalError("lowering: an integer tensor read as float");
        cur = convert(fv, cur, "RequantizeLinear", bits, exponent, layout, consumer);
    }
    cache[key] = cur;
    return cur;
}

// Inserts `op` (RequantizeLinear, or QuantizeLinear for a float tensor) converting the lowered tensor `cur` of
// float value `fv` to `bits` at `exponent`; returns the converted tensor.
int LowerContext::convert(int fv, int cur, const std::string& op, int bits, int exponent, const Perm& layout,
                          const std::string& consumer) {
    Value v;
    v.name = fresh_name(src.value(fv).name + (op == "QuantizeLinear" ? "/quant" : "/requant"));
    v.dtype = int_dtype(bits);
    v.shape = permute_shape(src.value(fv).shape, layout);
    v.shape_known = true;
    v.exponents = {exponent};
    const int out = dst.add_value(std::move(v));
    const std::string nn = fresh_name(consumer + "/" + op + "_" + std::to_string(inserted_counter++));
    // ESP-DL ignores these two inputs (it converts by the ValueInfo exponents), ESP-PPQ writes them.
    const int from_exponent = q(fv).bits ? q(fv).exponent : 0;
    const int scale = add_constant(
        nn + ".scale", Tensor::scalar<float>(static_cast<float>(std::ldexp(1.0, exponent - from_exponent))), {0},
        "layout ==> UNK");
    Tensor zp = bits == 16 ? Tensor::scalar<int16_t>(0) : Tensor::scalar<int8_t>(0);
    const int zero = add_constant(nn + ".zero_point", std::move(zp), {0}, "layout ==> UNK");
    add_node(nn, op, {cur, scale, zero}, {out}, bits);
    return out;
}

int LowerContext::activation_in_layout(int fv, const Perm& layout, const std::string& consumer) {
    return activation(fv, q(fv).bits, q(fv).exponent, layout, consumer);
}

}  // namespace espq::quant

namespace espq {

LoweredModel lower_to_espdl(const Graph& src, const QuantPlan& plan, const LowerOptions& options) {
    using namespace quant;
    LoweredModel result;
    result.target = plan.target;
    EspdlModel& m = result.model;
    Graph& dst = m.graph;
    dst.name = src.name.empty() ? "main_graph" : src.name;
    dst.semantics = Semantics::EspdlQuantized;
    dst.ir_version = src.ir_version > 0 ? src.ir_version : 8;
    dst.metadata = options.metadata;

    LowerContext ctx{src, plan, dst, target_policy(plan.target), {}, {}, {}, 0, 0, {}, &result.notes};
    ctx.lowered.assign(src.values.size(), -1);
    ctx.perm.assign(src.values.size(), {});

    // Graph inputs are stored channels-last when a conv-like op reads them, as ESP-PPQ does.
    const auto consumers = src.consumers();
    for (int v : src.inputs) {
        const Value& f = src.value(v);
        bool conv_like = false;
        for (int c : consumers[v]) conv_like |= op_reads_channels_last(src.nodes[c].op_type);
        const Perm layout = conv_like ? channels_last_perm(f.shape.size()) : identity_perm(f.shape.size());
        if (plan.tensors[v].bits == 0)
            throw UnsupportedError("graph input '" + f.name + "' (" + dtype_name(f.dtype) +
                                   ") cannot be quantized; ESP-DL models take int8/int16 inputs");
        dst.inputs.push_back(ctx.define_output(v, layout));
        result.input_perms.push_back(layout);
    }

    for (const Node& n : src.nodes) {
        try {
            const LowerFn* fn = find_lowering(n.op_type);
            if (!fn) {
                const std::string why = lowering_refusal(n.op_type, plan.target);
                throw_node_unsupported(n, std::string("cannot be lowered to ESP-DL for ") + target_name(plan.target) +
                                              (why.empty() ? "" : "; " + why));
            }
            (*fn)(ctx, n);
        } catch (const UnsupportedError& e) {
            if (!options.collect_errors) throw;
            options.collect_errors->push_back(e.what());
            for (int o : n.outputs)  // stand-ins so that later nodes can still be checked
                if (ctx.lowered[o] < 0) ctx.define_output(o, identity_perm(src.value(o).shape.size()));
        }
    }
    if (options.collect_errors && !options.collect_errors->empty()) return result;
    for (int v : src.outputs) {
        if (ctx.lowered[v] < 0) throw InternalError("lowering: graph output not produced");
        dst.outputs.push_back(ctx.lowered[v]);
        result.output_perms.push_back(ctx.perm[v]);
    }
    dst.topo_sort();
    dst.verify();
    return result;
}

Tensor permute(const Tensor& t, const std::vector<int>& perm) {
    if (perm.empty() || perm == quant::identity_perm(perm.size())) return t;
    Tensor out(t.dtype(), quant::permute_shape(t.shape(), perm));
    exec::transpose_copy(t.shape(), std::vector<int64_t>(perm.begin(), perm.end()), dtype_size(t.dtype()))
        .run(t.raw(), out.raw());
    return out;
}

Tensor quantize_input(const LoweredModel& lowered, int input_index, const Tensor& sample) {
    const Graph& g = lowered.model.graph;
    const Value& v = g.value(g.inputs.at(input_index));
    Tensor p = permute(sample, lowered.input_perms.at(input_index));
    if (p.shape() != v.shape)
        throw UserError("input '" + v.name + "' needs " + shape_str(v.shape) + " (stored layout), got " +
                        shape_str(p.shape()));
    if (v.dtype == DType::Float32) return p.cast(DType::Float32);
    const int bits = v.dtype == DType::Int16 ? 16 : 8;
    // The device quantizes its input with dl::tool::round, whose tie rule is the target's (half up on S3 and C,
    // half to even on P4 and S31).
    return quant::quantize_tensor(p, static_cast<int>(v.exponents.at(0)), bits, target_policy(lowered.target).rounding,
                                  v.dtype);
}

Tensor dequantize_output(const LoweredModel& lowered, int output_index, const Tensor& raw) {
    const Graph& g = lowered.model.graph;
    const Value& v = g.value(g.outputs.at(output_index));
    Tensor f = raw.cast(DType::Float32);
    if (v.dtype != DType::Float32) {
        const float s = std::ldexp(1.0f, static_cast<int>(v.exponents.at(0)));
        for (int64_t i = 0; i < f.numel(); ++i) f.data<float>()[i] *= s;
    }
    return permute(f, quant::inverse_perm(lowered.output_perms.at(output_index)));
}

}  // namespace espq
