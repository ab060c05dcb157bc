// The float reference operator set (ONNX semantics, NCHW, float32).
//
// Every operator lives in its own file under src/float_kernels/ and registers one FloatOpDef. A definition has two
// parts, in the spirit of TFLite Micro's Prepare/Eval split:
//   - infer:   given the node and its input values (dtype, static shape, constant data if any), set the output
//              values' dtype and shape. Runs once at load time; it is also where attribute errors are reported.
//   - prepare: build a FloatKernel for one node once (precomputing anything that does not depend on the data);
//              FloatKernel::run is then called for every sample, possibly from several threads at once.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "espq/ir.hpp"
#include "espq/kernel.hpp"

namespace espq {

// A float operator's prepared kernel (espq/kernel.hpp, shared with the emulator).
using FloatKernel = Kernel;

struct InferContext {
    const Graph& graph;
    const Node& node;
    // Input i's value (nullptr if omitted) and output i's value to fill in.
    const Value* in(int i) const;
    Value& out(int i) const;
    int num_inputs() const { return static_cast<int>(node.inputs.size()); }
    int num_outputs() const { return static_cast<int>(node.outputs.size()); }
    // Constant data of input i, or nullptr if that input is not a constant.
    const Tensor* constant(int i) const;
    // Throws a UserError "node 'X' (Op): <what>" — use for every attribute / shape rule violation.
    [[noreturn]] void error(const std::string& what) const;
    Graph& mutable_graph;
};

using InferFn = std::function<void(InferContext&)>;
using PrepareFn = std::function<std::unique_ptr<FloatKernel>(const Node&, const Graph&)>;

struct FloatOpDef {
    std::string op_type;
    InferFn infer;
    PrepareFn prepare;
};

// Registry: one entry per op type (src/float_kernels/registry.cpp). Each op file registers itself with
// ESPQ_REGISTER_FLOAT_OP; the kernels are built as an object library so no registration is dropped by the
// linker. The registry itself is a function-local static, so registration order does not matter.
const FloatOpDef* find_float_op(const std::string& op_type);
std::vector<std::string> float_op_types();  // sorted
bool register_float_op(FloatOpDef def);     // returns true; duplicate op types are an InternalError

#define ESPQ_CONCAT_INNER(a, b) a##b
#define ESPQ_CONCAT(a, b) ESPQ_CONCAT_INNER(a, b)
#define ESPQ_REGISTER_FLOAT_OP(...) \
    static const bool ESPQ_CONCAT(espq_float_op_registered_, __LINE__) = ::espq::register_float_op(__VA_ARGS__)

// Broadcasting shape of two shapes under ONNX multidirectional broadcasting; throws via ctx on mismatch.
Shape broadcast_shapes(const Shape& a, const Shape& b, const InferContext& ctx);

}  // namespace espq
