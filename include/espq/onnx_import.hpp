// Loading ONNX models into espq's IR.
#pragma once

#include <map>
#include <string>

#include "espq/ir.hpp"

namespace espq {

struct OnnxImportOptions {
    // Fixed shapes for inputs with symbolic dims other than the batch (e.g. {"input", {1,1,96,96}}).
    std::map<std::string, Shape> input_shapes;
};

// Parses the file with libonnx's protobuf classes, converts initializers / Constant nodes / graph inputs that
// have an initializer to constants, runs shape inference and makes every shape static for batch 1
// (see infer_shapes). Every problem is a UserError naming the file and node/tensor, e.g. external data,
// truncated protobuf, unknown opset, unsupported operator, dynamic dimensions without --input-shape.
Graph load_onnx(const std::string& path, const OnnxImportOptions& options = {});

// Static shape propagation over the graph in topological order using each float op's infer function.
// Nodes whose inputs are all constant (and Shape of a static tensor) are evaluated so that shape
// sub-graphs (Shape -> Gather -> Concat -> Reshape) resolve; their outputs become constants.
// Throws UnsupportedError "unsupported operator X at node Y" listing every unknown op before any work.
void infer_shapes(Graph& graph);

// Evaluates every node whose result does not depend on runtime data (all inputs constant, or Shape/Size of a
// static tensor) and turns its outputs into constants; the folded nodes are removed. Returns how many.
// Nodes producing a graph output are kept. Shapes must already be inferred.
int fold_constant_nodes(Graph& graph);

}  // namespace espq
