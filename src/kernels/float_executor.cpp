// Float reference executor: one prepared kernel per node, per-thread workspaces reused across runs.
#include "espq/float_executor.hpp"

#include <mutex>

namespace espq {

namespace {
// Buffers for every value of one run; reused by the next run on any thread, so steady-state runs allocate
// nothing (shapes are static).
struct Workspace {
    std::vector<Tensor> slots;
    Scratch scratch;
};
}  // namespace

struct FloatExecutor::Impl {
    Graph graph;
    std::vector<std::unique_ptr<FloatKernel>> kernels;
    std::mutex pool_mutex;
    std::vector<std::unique_ptr<Workspace>> pool;

    std::unique_ptr<Workspace> acquire() {
        std::lock_guard<std::mutex> lock(pool_mutex);
        if (pool.empty()) {
            auto ws = std::make_unique<Workspace>();
            ws->slots.resize(graph.values.size());
            for (const auto& n : graph.nodes)
                for (int o : n.outputs) ws->slots[o] = Tensor(graph.value(o).dtype, graph.value(o).shape);
            return ws;
        }
        auto ws = std::move(pool.back());
        pool.pop_back();
        return ws;
    }
    void release(std::unique_ptr<Workspace> ws) {
        std::lock_guard<std::mutex> lock(pool_mutex);
        pool.push_back(std::move(ws));
    }
};

FloatExecutor::FloatExecutor(const Graph& graph) : impl_(std::make_unique<Impl>()) {
    if (graph.semantics != Semantics::OnnxFloat)
        throw InternalError("FloatExecutor needs an ONNX-semantics graph; use the emulator for .espdl graphs");
    impl_->graph = graph;
    for (const auto& n : impl_->graph.nodes) {
        const FloatOpDef* def = find_float_op(n.op_type);
        if (!def) throw UnsupportedError("unsupported operator '" + n.op_type + "' at node '" + n.name + "'");
        impl_->kernels.push_back(def->prepare(n, impl_->graph));
    }
}

FloatExecutor::~FloatExecutor() = default;
FloatExecutor::FloatExecutor(FloatExecutor&&) noexcept = default;

const Graph& FloatExecutor::graph() const { return impl_->graph; }

std::vector<Tensor> FloatExecutor::run(const std::vector<Tensor>& inputs, const Observer& observer) const {
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
        impl_->kernels[k]->run(in, out, ws->scratch);
        if (observer)
            for (int o : n.outputs) observer(o, ws->slots[o]);
    }
    std::vector<Tensor> result;
    for (int o : g.outputs) result.push_back(*value_ptr[o]);
    return result;
}

}  // namespace espq
