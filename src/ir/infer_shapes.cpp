// Static shape inference with folding of shape sub-graphs (see include/espq/onnx_import.hpp).
#include <spdlog/spdlog.h>

#include "espq/float_ops.hpp"
#include "espq/onnx_import.hpp"

namespace espq {

namespace {

// Shape and Size only need the input's (static) shape, not its data.
bool needs_only_shapes(const std::string& op) { return op == "Shape" || op == "Size"; }

// Folding evaluates the node once with the float kernel; the output becomes a constant Value.
void fold_node(Graph& g, const Node& n, const FloatOpDef& def) {
    std::vector<Tensor> placeholder_inputs;
    std::vector<const Tensor*> in;
    placeholder_inputs.reserve(n.inputs.size());
    for (int v : n.inputs) {
        if (v < 0) {
            in.push_back(nullptr);
        } else if (g.value(v).is_constant()) {
            in.push_back(&*g.value(v).constant);
        } else {  // Shape/Size of a computed tensor: a zero tensor of the right shape carries the shape
            placeholder_inputs.emplace_back(g.value(v).dtype, g.value(v).shape);
            in.push_back(&placeholder_inputs.back());
        }
    }
    std::vector<Tensor> outs;
    for (int o : n.outputs) outs.emplace_back(g.value(o).dtype, g.value(o).shape);
    std::vector<Tensor*> out_ptrs;
    for (auto& t : outs) out_ptrs.push_back(&t);
    KernelScratch scratch;
    def.prepare(n, g)->run(in, out_ptrs, scratch);
    for (size_t i = 0; i < n.outputs.size(); ++i) g.value(n.outputs[i]).constant = std::move(outs[i]);
}

}  // namespace

static bool is_foldable(const Graph& g, const Node& n) {
    if (n.num_inputs() == 0) return false;  // nothing to fold from (Constant nodes are resolved at load)
    bool all_const = true;
    for (int v : n.inputs) all_const &= (v < 0 || g.value(v).is_constant());
    if (!all_const && !needs_only_shapes(n.op_type)) return false;
    for (int o : n.outputs)
        if (g.is_graph_output(o)) return false;
    return true;
}

int fold_constant_nodes(Graph& g) {
    std::vector<bool> folded(g.nodes.size(), false);
    int count = 0;
    for (size_t i = 0; i < g.nodes.size(); ++i) {
        const Node& n = g.nodes[i];
        if (!is_foldable(g, n)) continue;
        const FloatOpDef* def = find_float_op(n.op_type);
        if (!def) throw UnsupportedError("unsupported operator '" + n.op_type + "' at node '" + n.name + "'");
        fold_node(g, n, *def);
        folded[i] = true;
        ++count;
    }
    if (count) {
        g.remove_nodes(folded);
        g.remove_dead_code();
    }
    return count;
}

void infer_shapes(Graph& g) {
    for (const auto& n : g.nodes)
        if (!find_float_op(n.op_type))
            throw UnsupportedError("unsupported operator '" + n.op_type + "' at node '" + n.name + "'");

    // Shapes are inferred in order; a node is folded as soon as it is known to be constant, so that later
    // nodes (Reshape reading a computed shape) see constant inputs during their own inference.
    std::vector<bool> folded(g.nodes.size(), false);
    for (size_t i = 0; i < g.nodes.size(); ++i) {
        const Node& n = g.nodes[i];
        for (int v : n.inputs)
            if (v >= 0 && !g.value(v).shape_known)
                throw InternalError("infer_shapes: input '" + g.value(v).name + "' of node '" + n.name +
                                    "' has no shape (graph not sorted?)");
        const FloatOpDef& def = *find_float_op(n.op_type);
        InferContext ctx{g, n, g};
        def.infer(ctx);
        for (int o : n.outputs) {
            Value& v = g.value(o);
            v.shape_known = true;
            for (int64_t d : v.shape)
                if (d < 0) throw InternalError("infer_shapes: op " + n.op_type + " left a dynamic dim");
        }
        if (is_foldable(g, n)) {
            fold_node(g, n, def);
            folded[i] = true;
        }
    }
    const size_t before = g.nodes.size();
    g.remove_nodes(folded);
    if (g.nodes.size() != before) spdlog::debug("folded {} constant nodes", before - g.nodes.size());
    g.remove_dead_code();
}

}  // namespace espq
