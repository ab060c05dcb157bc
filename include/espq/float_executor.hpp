// Float32 reference executor for ONNX-semantics graphs (Graph::semantics == OnnxFloat).
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "espq/float_ops.hpp"
#include "espq/ir.hpp"

namespace espq {

class FloatExecutor {
public:
    // Prepares one kernel per node; throws UnsupportedError for operators without a float kernel.
    explicit FloatExecutor(const Graph& graph);
    ~FloatExecutor();
    FloatExecutor(FloatExecutor&&) noexcept;

    // Called for every computed value (and for the graph inputs) as soon as it exists; used by calibration.
    using Observer = std::function<void(int value_id, const Tensor&)>;
    // Inputs in graph-input order (dtype and shape must match the graph's inputs); returns graph outputs.
    // const and thread-safe: several threads may run samples through one executor at once.
    std::vector<Tensor> run(const std::vector<Tensor>& inputs, const Observer& observer = {}) const;

    const Graph& graph() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace espq
