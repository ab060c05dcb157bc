// The float operator registry and the shared helpers of InferContext.
#include <algorithm>
#include <map>

#include "espq/float_ops.hpp"
#include "espq/node_error.hpp"
#include "exec/broadcast.hpp"

namespace espq {

namespace {
std::map<std::string, FloatOpDef>& registry() {
    static std::map<std::string, FloatOpDef> r;
    return r;
}
}  // namespace

bool register_float_op(FloatOpDef def) {
    auto& r = registry();
    if (r.count(def.op_type)) throw InternalError("float op '" + def.op_type + "' registered twice");
    std::string key = def.op_type;
    r.emplace(std::move(key), std::move(def));
    return true;
}

const FloatOpDef* find_float_op(const std::string& op_type) {
    auto& r = registry();
    auto it = r.find(op_type);
    return it == r.end() ? nullptr : &it->second;
}

std::vector<std::string> float_op_types() {
    std::vector<std::string> v;
    for (const auto& [k, _] : registry()) v.push_back(k);
    return v;
}

const Value* InferContext::in(int i) const {
    int id = node.input(i);
    return id < 0 ? nullptr : &graph.value(id);
}

Value& InferContext::out(int i) const { return mutable_graph.value(node.outputs.at(i)); }

const Tensor* InferContext::constant(int i) const {
    const Value* v = in(i);
    return (v && v->constant) ? &*v->constant : nullptr;
}

void InferContext::error(const std::string& what) const {
    throw_node_error(node, what);
}

Shape broadcast_shapes(const Shape& a, const Shape& b, const InferContext& ctx) {
    std::optional<Shape> out = exec::broadcast_shape(a, b);
    if (!out)
        ctx.error("inputs of shapes " + shape_str(a) + " and " + shape_str(b) +
                  " cannot be broadcast together (ONNX multidirectional broadcasting)");
    return *out;
}

}  // namespace espq
