// Runs a graph through one prepared kernel per node (in node order), shared by the float reference executor and
// the ESP-DL emulator: input checks, per-thread workspaces reused across runs, and the observer hook.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "espq/error.hpp"
#include "espq/ir.hpp"

namespace espq {

// Kernel: has `void run(const std::vector<const Tensor*>&, const std::vector<Tensor*>&, ScratchT&) const`.
template <typename Kernel, typename ScratchT>
class GraphRunner {
public:
    using Observer = std::function<void(int value_id, const Tensor&)>;

    Graph graph;  // node i runs kernels[i]
    std::vector<std::unique_ptr<Kernel>> kernels;

    std::vector<Tensor> run(const std::vector<Tensor>& inputs, const Observer& observer) const {
        const Graph& g = graph;
        if (inputs.size() != g.inputs.size())
            throw UserError("the model has " + std::to_string(g.inputs.size()) + " input(s), got " +
                            std::to_string(inputs.size()));
        for (size_t i = 0; i < inputs.size(); ++i) {
            const Value& v = g.value(g.inputs[i]);
            if (inputs[i].dtype() != v.dtype || inputs[i].shape() != v.shape)
                throw UserError("input '" + v.name + "' needs " + dtype_name(v.dtype) + " " + shape_str(v.shape) +
                                ", got " + dtype_name(inputs[i].dtype()) + " " + shape_str(inputs[i].shape()));
        }
        std::unique_ptr<Workspace> ws = acquire();
        struct ReturnToPool {
            const GraphRunner& runner;
            std::unique_ptr<Workspace>& ws;
            ~ReturnToPool() { runner.release(std::move(ws)); }
        } return_to_pool{*this, ws};

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
            kernels[k]->run(in, out, ws->scratch);
            if (observer)
                for (int o : n.outputs) observer(o, ws->slots[o]);
        }
        std::vector<Tensor> result;
        result.reserve(g.outputs.size());
        for (int o : g.outputs) result.push_back(*value_ptr[o]);
        return result;
    }

private:
    // Buffers for every computed value of one run; reused by the next run on any thread, so steady-state runs
    // allocate nothing (shapes are static). The pool is internally synchronised; the kernels are const.
    struct Workspace {
        std::vector<Tensor> slots;
        ScratchT scratch;
    };
    mutable std::mutex pool_mutex_;
    mutable std::vector<std::unique_ptr<Workspace>> pool_;

    std::unique_ptr<Workspace> acquire() const {
        {
            std::lock_guard<std::mutex> lock(pool_mutex_);
            if (!pool_.empty()) {
                auto ws = std::move(pool_.back());
                pool_.pop_back();
                return ws;
            }
        }
        auto ws = std::make_unique<Workspace>();
        ws->slots.resize(graph.values.size());
        for (const auto& n : graph.nodes)
            for (int o : n.outputs) ws->slots[o] = Tensor(graph.value(o).dtype, graph.value(o).shape);
        return ws;
    }
    void release(std::unique_ptr<Workspace> ws) const {
        std::lock_guard<std::mutex> lock(pool_mutex_);
        pool_.push_back(std::move(ws));
    }
};

}  // namespace espq
