// ONNX model loading: protobuf -> espq Graph (constants resolved, static shapes for batch 1).
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl.h>
#include <onnx/onnx_pb.h>
#include <spdlog/spdlog.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "espq/float_ops.hpp"
#include "espq/node_error.hpp"
#include "espq/onnx_import.hpp"
#include "onnx/tensor_proto.hpp"

namespace espq {

namespace {

constexpr int64_t kMinOpset = 7;   // older opsets changed broadcasting and BatchNormalization semantics
constexpr int64_t kMaxOpset = 21;  // newest opset whose operator definitions espq's kernels follow

onnx::ModelProto parse_model(const std::string& path) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (!fs::exists(path, ec)) throw UserError(path + ": no such file; check the path to the ONNX model");
    if (fs::is_directory(path, ec)) throw UserError(path + ": is a directory, expected an .onnx file");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw UserError(path + ": cannot open for reading (permissions?)");
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string bytes = ss.str();
    if (bytes.empty()) throw UserError(path + ": file is empty; expected an ONNX model");

    onnx::ModelProto model;
    google::protobuf::io::ArrayInputStream raw(bytes.data(), static_cast<int>(bytes.size()));
    google::protobuf::io::CodedInputStream coded(&raw);
    coded.SetTotalBytesLimit(INT32_MAX);
    if (!model.ParseFromCodedStream(&coded) || !coded.ConsumedEntireMessage())
        throw UserError(path + ": not a valid ONNX protobuf (truncated or corrupted file?); re-export the model");
    if (!model.has_graph() || model.graph().node_size() == 0)
        throw UserError(path + ": ONNX model has no graph nodes; is this really an ONNX model file?");
    return model;
}

int64_t default_opset(const onnx::ModelProto& m, const std::string& path) {
    int64_t v = -1;
    for (const auto& o : m.opset_import())
        if (o.domain().empty() || o.domain() == "ai.onnx") v = o.version();
    if (v < 0) throw UserError(path + ": the model imports no default ONNX opset (opset_import is empty)");
    if (v < kMinOpset || v > kMaxOpset)
        throw UnsupportedError(path + ": ONNX opset " + std::to_string(v) + " is not supported (espq reads opsets " +
                               std::to_string(kMinOpset) + "-" + std::to_string(kMaxOpset) +
                               "); convert it with onnx.version_converter to opset 13-18");
    return v;
}

// Reads dtype and shape of a graph input/output from its ValueInfoProto. Symbolic / missing dims are -1.
void read_value_info(const onnx::ValueInfoProto& vi, Value& v, const std::string& where) {
    if (!vi.has_type() || !vi.type().has_tensor_type())
        throw UnsupportedError(where + ": is not a tensor (sequences/maps are not supported)");
    const auto& tt = vi.type().tensor_type();
    v.dtype = onnx_import::dtype_from_onnx(tt.elem_type(), where);
    if (v.dtype == DType::Float16 || v.dtype == DType::Float64) v.dtype = DType::Float32;
    v.shape.clear();
    v.shape_known = tt.has_shape();
    if (!tt.has_shape()) return;
    for (const auto& d : tt.shape().dim()) v.shape.push_back(d.has_dim_value() && d.dim_value() > 0 ? d.dim_value() : -1);
}

std::string non_finite_message(float x, int64_t i, const std::string& where) {
    return where + ": contains " + (std::isnan(x) ? "NaN" : "Inf") + " at flat index " + std::to_string(i) +
           "; the trained weights are broken, fix the model before quantizing";
}

// NaN anywhere and Inf in a tensor are broken weights. A scalar +-Inf is legal ONNX as an open Clip bound (torch
// `clamp(x, min=0)` exports Clip(x, 0, +inf)): it is recorded in `infinite_scalars` and checked against its
// readers once the nodes are known (check_infinite_scalars).
void check_finite(const Tensor& t, const std::string& where, const std::string& name,
                  std::map<std::string, std::string>& infinite_scalars) {
    if (t.dtype() != DType::Float32) return;
    const float* p = t.data<float>();
    for (int64_t i = 0; i < t.numel(); ++i) {
        if (std::isfinite(p[i])) continue;
        if (std::isinf(p[i]) && t.numel() == 1) {
            infinite_scalars[name] = where;
            continue;
        }
        throw UserError(non_finite_message(p[i], i, where));
    }
}

void check_infinite_scalars(const Graph& g, const std::map<std::string, std::string>& infinite_scalars) {
    for (const auto& [name, where] : infinite_scalars) {
        const int v = g.find(name);
        for (const Node& n : g.nodes)
            for (size_t j = 0; j < n.inputs.size(); ++j)
                if (n.inputs[j] == v && !(n.op_type == "Clip" && (j == 1 || j == 2)))
                    throw UserError(non_finite_message(g.value(v).constant->data<float>()[0], 0, where) +
                                    " (an infinite scalar is accepted only as a Clip bound; node '" + n.name +
                                    "' (" + n.op_type + ") reads it)");
        if (g.is_graph_output(v)) throw UserError(non_finite_message(g.value(v).constant->data<float>()[0], 0, where));
    }
}

}  // namespace

Graph load_onnx(const std::string& path, const OnnxImportOptions& options) {
    const onnx::ModelProto model = parse_model(path);
    const int64_t opset = default_opset(model, path);
    const onnx::GraphProto& gp = model.graph();

    Graph g;
    g.name = gp.name();
    g.ir_version = model.ir_version();
    for (const auto& o : model.opset_import()) g.opset_imports.emplace_back(o.domain(), o.version());
    for (const auto& p : model.metadata_props()) g.metadata.emplace_back(p.key(), p.value());

    // 1. Operators espq cannot run at all: report every one of them before doing any work.
    {
        std::vector<std::string> problems;
        std::set<std::string> seen;
        for (int i = 0; i < gp.node_size(); ++i) {
            const auto& n = gp.node(i);
            const bool std_domain = n.domain().empty() || n.domain() == "ai.onnx";
            if (std_domain && (n.op_type() == "Constant" || find_float_op(n.op_type()))) continue;
            std::string key = (std_domain ? "" : n.domain() + "::") + n.op_type();
            if (!seen.insert(key).second) continue;
            problems.push_back("'" + key + "' at node '" + (n.name().empty() ? "#" + std::to_string(i) : n.name()) +
                               "'");
        }
        if (!problems.empty()) {
            std::string msg = path + ": unsupported operator " + problems[0];
            if (problems.size() > 1) {
                msg += " (also:";
                for (size_t i = 1; i < problems.size(); ++i) msg += (i > 1 ? ", " : " ") + problems[i];
                msg += ")";
            }
            msg += "; run 'espq check' for the supported operator list and replacements";
            throw UnsupportedError(msg);
        }
    }

    std::map<std::string, std::string> infinite_scalars;  // constant name -> where it was read
    // 2. Constants: initializers (which also covers graph inputs listed with an initializer).
    std::set<std::string> initializer_names;
    for (const auto& t : gp.initializer()) {
        const std::string where = path + ": initializer '" + t.name() + "'";
        if (t.name().empty()) throw UserError(path + ": an initializer has no name; re-export the model");
        if (!initializer_names.insert(t.name()).second) throw UserError(where + " is defined twice");
        Tensor tensor = onnx_import::tensor_from_proto(t, where);
        check_finite(tensor, where, t.name(), infinite_scalars);
        g.add_constant(t.name(), std::move(tensor));
    }

    // 3. Graph inputs that are not initializers: batch dim becomes 1, other dynamic dims need --input-shape.
    for (const auto& vi : gp.input()) {
        if (initializer_names.count(vi.name())) continue;
        const std::string where = path + ": input '" + vi.name() + "'";
        Value v;
        v.name = vi.name();
        read_value_info(vi, v, where);
        auto fixed = options.input_shapes.find(vi.name());
        if (fixed != options.input_shapes.end()) {
            if (v.shape_known && v.shape.size() != fixed->second.size())
                throw UserError(where + " has rank " + std::to_string(v.shape.size()) + ", but --input-shape gives " +
                                shape_str(fixed->second, ",") + "; give one size per dimension");
            for (size_t i = 0; v.shape_known && i < v.shape.size(); ++i)
                if (v.shape[i] > 0 && v.shape[i] != fixed->second[i])
                    throw UserError(where + " has fixed shape " + shape_str(v.shape, ",") + " but --input-shape gives " +
                                    shape_str(fixed->second, ","));
            v.shape = fixed->second;
            v.shape_known = true;
        }
        if (!v.shape_known)
            throw UserError(where + " has no shape in the model; pass --input-shape " + vi.name() + "=1,C,H,W");
        for (size_t i = 0; i < v.shape.size(); ++i) {
            if (v.shape[i] > 0) continue;
            if (i == 0) {
                v.shape[i] = 1;  // dynamic batch: espq always runs batch 1, as the device does
                continue;
            }
            throw UserError(where + " has a dynamic dimension " + std::to_string(i) + " (shape " +
                            shape_str(v.shape, ",") + "); pass --input-shape " + vi.name() +
                            "=1,... with a fixed size, e.g. --input-shape " + vi.name() + "=1,1,96,96");
        }
        g.inputs.push_back(g.add_value(std::move(v)));
    }
    for (const auto& [name, _] : options.input_shapes)
        if (g.find(name) < 0 || !g.is_graph_input(g.find(name)))
            throw UserError(path + ": --input-shape names '" + name + "', which is not an input of the model");
    if (g.inputs.empty()) throw UserError(path + ": the model has no (non-constant) inputs");

    // 4. Nodes. Constant nodes become constants directly; every other node is kept.
    int anonymous = 0;
    std::set<std::string> node_names;
    for (int i = 0; i < gp.node_size(); ++i) {
        const auto& np = gp.node(i);
        Node n;
        n.op_type = np.op_type();
        n.name = np.name();
        if (n.name.empty() || node_names.count(n.name)) n.name = np.op_type() + "_" + std::to_string(anonymous++);
        while (node_names.count(n.name)) n.name += "_";
        node_names.insert(n.name);
        const std::string where = path + ": " + node_label(n);
        for (const auto& a : np.attribute()) n.attrs[a.name()] = onnx_import::attribute_from_proto(a, where);

        if (n.op_type == "Constant") {
            if (np.output_size() != 1) throw UserError(where + ": Constant must have exactly one output");
            Tensor t;
            if (const Tensor* vt = n.attr_tensor("value")) t = *vt;
            else if (n.has_attr("value_float")) t = Tensor::scalar<float>(n.attr_float("value_float", 0));
            else if (n.has_attr("value_floats")) {
                auto f = n.attr_floats("value_floats");
                t = Tensor::from<float>({static_cast<int64_t>(f.size())}, f);
            } else if (n.has_attr("value_int")) t = Tensor::scalar<int64_t>(n.attr_int("value_int", 0));
            else if (n.has_attr("value_ints")) {
                auto v = n.attr_ints("value_ints");
                t = Tensor::from<int64_t>({static_cast<int64_t>(v.size())}, v);
            } else
                throw UnsupportedError(where + ": only value / value_float(s) / value_int(s) Constants are supported");
            check_finite(t, where, np.output(0), infinite_scalars);
            if (g.find(np.output(0)) >= 0) throw UserError(where + ": output '" + np.output(0) + "' is defined twice");
            g.add_constant(np.output(0), std::move(t));
            continue;
        }
        for (const auto& in : np.input()) {
            if (in.empty()) {
                n.inputs.push_back(kNoValue);
                continue;
            }
            int id = g.find(in);
            if (id < 0) {  // produced by a later node (unsorted graph) or dangling; resolved below
                Value v;
                v.name = in;
                id = g.add_value(std::move(v));
            }
            n.inputs.push_back(id);
        }
        for (const auto& out : np.output()) {
            if (out.empty()) continue;  // omitted optional output
            int id = g.find(out);
            if (id >= 0 && (g.value(id).is_constant() || g.is_graph_input(id)))
                throw UserError(where + ": output '" + out + "' overwrites a graph input or constant");
            if (id < 0) {
                Value v;
                v.name = out;
                id = g.add_value(std::move(v));
            }
            n.outputs.push_back(id);
        }
        g.add_node(std::move(n));
    }

    // Every value a node reads must be produced somewhere.
    {
        auto prod = g.producers();
        for (const auto& n : g.nodes)
            for (int v : n.inputs)
                if (v >= 0 && prod[v] < 0 && !g.value(v).is_constant() && !g.is_graph_input(v))
                    throw UserError(path + ": node '" + n.name + "' reads '" + g.value(v).name +
                                    "', which no node, input or initializer defines; the model is malformed");
    }
    for (const auto& o : gp.output()) {
        int id = g.find(o.name());
        if (id < 0) throw UserError(path + ": graph output '" + o.name() + "' is never produced");
        g.outputs.push_back(id);
    }
    if (g.outputs.empty()) throw UserError(path + ": the model has no outputs");
    check_infinite_scalars(g, infinite_scalars);

    g.topo_sort();
    spdlog::debug("{}: opset {}, {} nodes, {} values", path, opset, g.nodes.size(), g.values.size());
    infer_shapes(g);
    g.verify();
    return g;
}

}  // namespace espq
