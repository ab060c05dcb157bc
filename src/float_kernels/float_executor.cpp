// Float reference executor: one prepared kernel per node, per-thread workspaces reused across runs.
#include "espq/float_executor.hpp"

#include "common/graph_runner.hpp"

namespace espq {

// The prepared kernels and the run loop (src/common/graph_runner.hpp).
struct FloatExecutor::Impl : GraphRunner<Kernel, KernelScratch> {};

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
    return impl_->run(inputs, observer);
}

}  // namespace espq
