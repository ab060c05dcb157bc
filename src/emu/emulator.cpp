// Graph execution for the ESP-DL emulator: prepares one kernel per node in topological order (recomputing
// every activation shape on the way), then runs samples through per-thread workspaces.
#include "espq/emulator.hpp"

#include "common/graph_runner.hpp"
#include "emu/emu_op.hpp"

namespace espq {

// The prepared kernels and the run loop (src/common/graph_runner.hpp); `graph` is a copy whose computed-value
// shapes are the emulator's own.
struct Emulator::Impl : GraphRunner<Kernel, KernelScratch> {
    Target target = Target::ESP32S3;
};

Emulator::Emulator(const Graph& graph, Target target) : impl_(std::make_unique<Impl>()) {
    if (graph.semantics != Semantics::EspdlQuantized)
        throw InternalError("the emulator runs lowered .espdl graphs; use the FloatExecutor for ONNX graphs");
    Impl& impl = *impl_;
    impl.graph = graph;
    impl.target = target;
    impl.graph.topo_sort();
    Graph& g = impl.graph;
    const TargetPolicy& policy = target_policy(target);

    // Shapes of graph inputs come from their ValueInfo, constants from their data; everything else is
    // computed by the producing node's prepare.
    std::vector<Shape> shapes(g.values.size());
    std::vector<bool> known(g.values.size(), false);
    for (size_t v = 0; v < g.values.size(); ++v) {
        if (g.values[v].constant) {
            shapes[v] = g.values[v].constant->shape();
            known[v] = true;
        }
    }
    for (int v : g.inputs) {
        shapes[v] = g.value(v).shape;
        known[v] = true;
        DType d = g.value(v).dtype;
        if (d != DType::Int8 && d != DType::Int16 && d != DType::Float32)
            throw UserError("graph input '" + g.value(v).name + "' has dtype " + dtype_name(d) +
                            "; ESP-DL model inputs are INT8, INT16 or FLOAT");
    }
    for (const Node& n : g.nodes) {
        for (int v : n.inputs)
            if (v >= 0 && !known[v])
                throw_node_error(n, "input '" + g.value(v).name +
                                        "' is neither a graph input, an initializer nor produced by an earlier node");
        emu::EmuPrepareFn prepare = emu::find_emu_op(n.op_type);
        if (!prepare) throw_node_unsupported(n, std::string("not emulated yet for ") + target_name(target));
        for (int o : n.outputs) shapes[o] = Shape{-1};
        emu::PrepareContext ctx(g, n, policy, shapes);
        impl.kernels.push_back(prepare(ctx));
        for (int o : n.outputs) {
            if (shapes[o] == Shape{-1})
                throw InternalError("emulator op " + n.op_type + " did not set the shape of output '" +
                                    g.value(o).name + "'");
            known[o] = true;
        }
    }
    for (size_t v = 0; v < g.values.size(); ++v)
        if (known[v] && !g.values[v].constant) {
            g.values[v].shape = shapes[v];
            g.values[v].shape_known = true;
        }
    for (int o : g.outputs)
        if (!known[o]) throw UserError("graph output '" + g.value(o).name + "' is not produced by any node");
}

Emulator::~Emulator() = default;
Emulator::Emulator(Emulator&&) noexcept = default;

const Graph& Emulator::graph() const { return impl_->graph; }
Target Emulator::target() const { return impl_->target; }

std::vector<Tensor> Emulator::run(const std::vector<Tensor>& inputs, const Observer& observer) const {
    return impl_->run(inputs, observer);
}

}  // namespace espq
