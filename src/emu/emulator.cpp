// Graph execution for the ESP-DL emulator: prepares one kernel per node in topological order (recomputing
// every activation shape on the way), then runs samples through per-thread workspaces.
#include "espq/emulator.hpp"

#include <mutex>

#include "emu/emu_op.hpp"

namespace espq {

namespace {
// Buffers for every computed value of one run, reused by later runs (shapes are static).
struct Workspace {
    std::vector<Tensor> slots;
    emu::Scratch scratch;
};
}  // namespace

struct Emulator::Impl {
    Graph graph;  // a copy whose computed-value shapes are the emulator's own
    Target target = Target::ESP32S3;
    std::vector<std::unique_ptr<emu::EmuKernel>> kernels;
    std::mutex pool_mutex;
    std::vector<std::unique_ptr<Workspace>> pool;

    std::unique_ptr<Workspace> acquire() {
        {
            std::lock_guard<std::mutex> lock(pool_mutex);
            if (!pool.empty()) {
                auto ws = std::move(pool.back());
                pool.pop_back();
                return ws;
            }
        }
        auto ws = std::make_unique<Workspace>();
        ws->slots.resize(graph.values.size());
        for (const auto& n : graph.nodes)
            for (int o : n.outputs) ws->slots[o] = Tensor(graph.value(o).dtype, graph.value(o).shape);
        return ws;
    }
    void release(std::unique_ptr<Workspace> ws) {
        std::lock_guard<std::mutex> lock(pool_mutex);
        pool.push_back(std::move(ws));
    }
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
                throw UserError("node '" + n.name + "' (" + n.op_type + "): input '" + g.value(v).name +
                                "' is neither a graph input, an initializer nor produced by an earlier node");
        emu::EmuPrepareFn prepare = emu::find_emu_op(n.op_type);
        if (!prepare)
            throw UnsupportedError("node '" + n.name + "' (" + n.op_type + "): not emulated yet for " +
                                   target_name(target));
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
    const Graph& g = impl_->graph;
    if (inputs.size() != g.inputs.size())
        throw UserError("the model has " + std::to_string(g.inputs.size()) + " input(s), got " +
                        std::to_string(inputs.size()));
    for (size_t i = 0; i < inputs.size(); ++i) {
        const Value& v = g.value(g.inputs[i]);
        if (inputs[i].dtype() != v.dtype || inputs[i].shape() != v.shape)
            throw UserError("input '" + v.name + "' needs " + dtype_name(v.dtype) + " " + shape_str(v.shape) +
                            ", got " + dtype_name(inputs[i].dtype()) + " " + shape_str(inputs[i].shape()));
    }
    Impl& impl = *impl_;  // the pool is internally synchronised; the prepared kernels are const
    std::unique_ptr<Workspace> ws = impl.acquire();
    struct ReturnToPool {
        Impl& impl;
        std::unique_ptr<Workspace>& ws;
        ~ReturnToPool() { impl.release(std::move(ws)); }
    } return_to_pool{impl, ws};

    std::vector<const Tensor*> value_ptr(g.values.size(), nullptr);
    for (size_t v = 0; v < g.values.size(); ++v)
        if (g.values[v].constant) value_ptr[v] = &*g.values[v].constant;
    for (size_t i = 0; i < inputs.size(); ++i) {
        value_ptr[g.inputs[i]] = &inputs[i];
        if (observer) observer(g.inputs[i], inputs[i]);
    }
    std::vector<const Tensor*> in;
    std::vector<Tensor*> out;
    for (size_t k = 0; k < g.nodes.size(); ++k) {
        const Node& n = g.nodes[k];
        in.clear();
        out.clear();
        for (int v : n.inputs) in.push_back(v < 0 ? nullptr : value_ptr[v]);
        for (int o : n.outputs) {
            out.push_back(&ws->slots[o]);
            value_ptr[o] = &ws->slots[o];
        }
        impl.kernels[k]->run(in, out, ws->scratch);
        if (observer)
            for (int o : n.outputs) observer(o, ws->slots[o]);
    }
    std::vector<Tensor> result;
    result.reserve(g.outputs.size());
    for (int o : g.outputs) result.push_back(*value_ptr[o]);
    return result;
}

}  // namespace espq
