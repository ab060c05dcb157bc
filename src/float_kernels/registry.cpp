// The float operator registry and the shared helpers of InferContext.
#include "espq/float_ops.hpp"
#include "espq/node_error.hpp"
#include "exec/broadcast.hpp"
#include "exec/op_registry.hpp"

namespace espq {

namespace {
exec::OpRegistry<FloatOpDef>& registry() {
    static exec::OpRegistry<FloatOpDef> r("float");
    return r;
}
}  // namespace

bool register_float_op(FloatOpDef def) {
    const std::string op_type = def.op_type;
    registry().add(op_type, std::move(def));
    return true;
}

const FloatOpDef* find_float_op(const std::string& op_type) { return registry().find(op_type); }

std::vector<std::string> float_op_types() { return registry().op_types(); }

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
