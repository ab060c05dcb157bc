// espq's graph IR: values (tensors, constant or computed) and nodes (operators) that connect them.
//
// Passes and executors only ever see this IR. The same structure carries a float ONNX-semantics graph
// (NCHW, float weights) and a lowered ESP-DL graph (NHWC, integer weights in blocked layouts, exponents);
// which semantics a graph has is recorded in Graph::semantics so that executors can refuse the wrong kind.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "espq/tensor.hpp"

namespace espq {

struct Attribute {
    using Ints = std::vector<int64_t>;
    using Floats = std::vector<float>;
    using Strings = std::vector<std::string>;
    std::variant<int64_t, float, std::string, Ints, Floats, Strings, Tensor> value;

    Attribute() = default;
    template <typename T>
    Attribute(T v) : value(std::move(v)) {}  // NOLINT: implicit by design, attrs["k"] = 3;
    Attribute(int v) : value(static_cast<int64_t>(v)) {}
    Attribute(double v) : value(static_cast<float>(v)) {}
    Attribute(const char* v) : value(std::string(v)) {}

    template <typename T>
    bool is() const { return std::holds_alternative<T>(value); }
};

using Attributes = std::map<std::string, Attribute>;  // sorted by name, as the .espdl writer needs

struct Value {
    std::string name;
    DType dtype = DType::Float32;
    Shape shape;                          // static after loading; empty for scalars
    bool shape_known = false;
    std::optional<Tensor> constant;       // set for initializers and folded constants
    // Quantization (lowered graphs): one exponent per tensor (or per channel); real = q * 2^e.
    std::vector<int64_t> exponents;
    std::string doc_string;               // e.g. "layout ==> (N/16)HWC16" for .espdl parameters

    bool is_constant() const { return constant.has_value(); }
};

constexpr int kNoValue = -1;  // an omitted optional input

struct Node {
    std::string name;
    std::string op_type;
    std::string domain;
    std::vector<int> inputs;   // value ids; kNoValue for an omitted optional input
    std::vector<int> outputs;  // value ids
    Attributes attrs;

    bool has_attr(const std::string& k) const { return attrs.count(k) != 0; }
    int64_t attr_int(const std::string& k, int64_t dflt) const;
    float attr_float(const std::string& k, float dflt) const;
    std::string attr_string(const std::string& k, const std::string& dflt) const;
    std::vector<int64_t> attr_ints(const std::string& k, const std::vector<int64_t>& dflt = {}) const;
    std::vector<float> attr_floats(const std::string& k, const std::vector<float>& dflt = {}) const;
    const Tensor* attr_tensor(const std::string& k) const;
    // Number of real (non-omitted) inputs at the front, i.e. index of the last present input + 1.
    int num_inputs() const;
    int input(int i) const { return i < static_cast<int>(inputs.size()) ? inputs[i] : kNoValue; }
};

enum class Semantics { OnnxFloat, EspdlQuantized };

class Graph {
public:
    std::string name;
    Semantics semantics = Semantics::OnnxFloat;
    int64_t ir_version = 8;
    std::vector<std::pair<std::string, int64_t>> opset_imports;  // (domain, version)
    std::vector<std::pair<std::string, std::string>> metadata;   // model metadata_props

    std::vector<Value> values;
    std::vector<Node> nodes;  // kept in topological order by the loader and by every pass (see topo_sort)
    std::vector<int> inputs;  // graph inputs (value ids), non-constant
    std::vector<int> outputs;

    // --- construction ---
    int add_value(Value v);                       // name must be unique; returns its id
    int add_constant(const std::string& name, Tensor t);
    int add_node(Node n);                         // appended; call topo_sort() if order may be violated
    std::string unique_name(const std::string& base) const;

    // --- lookup ---
    int find(const std::string& value_name) const;          // -1 if absent
    int value_id(const std::string& value_name) const;      // throws InternalError if absent
    Value& value(int id) { return values.at(id); }
    const Value& value(int id) const { return values.at(id); }
    bool is_graph_output(int vid) const;
    bool is_graph_input(int vid) const;

    // Producer node index of every value (-1 for inputs/constants) and consumer node indices.
    // Recomputed on demand; any structural edit invalidates them.
    std::vector<int> producers() const;
    std::vector<std::vector<int>> consumers() const;

    // --- editing ---
    // Redirects every use of value `from` (node inputs and graph outputs) to value `to`.
    void replace_uses(int from, int to);
    // Drops nodes marked in `dead` (by node index) and keeps order.
    void remove_nodes(const std::vector<bool>& dead);
    // Removes nodes whose outputs nobody uses (and are not graph outputs), then unused values.
    void remove_dead_code();
    // Drops values that no node, input or output references; renumbers ids. Invalidates ids held elsewhere.
    void compact_values();
    // Stable topological order (keeps the existing order where it is already valid). Throws on cycles.
    void topo_sort();
    // Structural checks: ids in range, single producer per value, every used value produced/constant/input,
    // topological order, unique names. Throws InternalError naming the first problem.
    void verify() const;

    std::map<std::string, int> op_counts() const;
    // Version of the default ONNX operator set ("" / "ai.onnx" domain); 13 when none is recorded.
    // Kernels whose semantics changed across opsets (Softmax axis, Split/Squeeze inputs, ...) read it.
    int64_t opset() const;

    // Must be called after renaming values or editing `values` directly.
    void rebuild_name_index();

private:
    std::map<std::string, int> index_;  // value name -> id
};

}  // namespace espq
