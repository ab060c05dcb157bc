// .espdl reader: container (container.cpp) -> verified FlatBuffer -> EspdlModel (mapping in include/espq/espdl.hpp).
//
// Decisions for files ESP-PPQ would not write (documented in docs/espdl-format-notes.md):
//   - a node input or output that has no value_info entry becomes a Value of unknown dtype and shape;
//   - a node input that no node produces and that is neither an initializer nor a graph input is an error;
//   - duplicate value names (initializers, value_info, node outputs) and duplicate node names are errors;
//   - an empty input name is an omitted optional input (kNoValue); an empty output name is dropped, as in the
//     ONNX loader; a value_info entry named "" (ESP-PPQ's placeholder for Resize's missing roi) is kept as a Value;
//   - a graph input that is also an initializer is treated as the constant (ONNX IR < 4 convention);
//   - nodes out of topological order are sorted (stable); a cycle is an error;
//   - dimensions of unknown or symbolic size are stored as -1 with shape_known = false.
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <algorithm>
#include <set>

#include "espdl/container.hpp"
#include "espdl_edl1_generated.h"
#include "espdl_generated.h"
#include "espq/espdl.hpp"

namespace espq {
namespace {

using espdl::Payload;

// Raw bytes of Tensor.raw_data in either schema generation.
struct RawView {
    const uint8_t* data = nullptr;
    size_t size = 0;
};
RawView raw_view(const flatbuffers::Vector<const fbs::AlignedBytes*>* v) {
    return v ? RawView{v->Data(), static_cast<size_t>(v->size()) * sizeof(fbs::AlignedBytes)} : RawView{};
}
RawView raw_view(const flatbuffers::Vector<uint8_t>* v) { return v ? RawView{v->Data(), v->size()} : RawView{}; }

std::string str(const flatbuffers::String* s) { return s ? s->str() : std::string(); }

class Converter {
public:
    Converter(const std::string& what, size_t buffer_size) : what_(what), buffer_size_(buffer_size) {}

    template <typename ModelT>
    EspdlModel model(const ModelT* m) {
        EspdlModel out;
        Graph& g = out.graph;
        const auto* fg = m->graph();
        g.semantics = Semantics::EspdlQuantized;
        g.name = str(fg->name());
        g.ir_version = m->ir_version();
        out.model_version = m->model_version();
        out.doc_string = str(m->doc_string());
        if (m->opset_import())
            for (const auto* op : *m->opset_import()) g.opset_imports.emplace_back(str(op->domain()), op->version());
        if (m->metadata_props())
            for (const auto* kv : *m->metadata_props()) g.metadata.emplace_back(str(kv->key()), str(kv->value()));

        add_values_in_creation_order(g, fg->initializer(), fg->value_info());
        graph_io(g, fg->input(), "input", g.inputs);
        graph_io(g, fg->output(), "output", g.outputs);
        if (fg->node()) {
            int i = 0;
            for (const auto* n : *fg->node()) add_node(g, n, i++);
        }
        check_dataflow(g);

        out.has_test_values = fg->test_inputs_value() != nullptr || fg->test_outputs_value() != nullptr;
        out.test_inputs = named_tensors(fg->test_inputs_value(), "test input");
        out.test_outputs = named_tensors(fg->test_outputs_value(), "test output");
        return out;
    }

private:
    [[noreturn]] void error(const std::string& msg) const { fail(what_ + ": " + msg); }

    static DType dtype_from(int32_t code, bool& ok) {
        ok = code >= 0 && code <= static_cast<int32_t>(DType::UInt64);
        return ok ? static_cast<DType>(code) : DType::Undefined;
    }

    template <typename TensorT>
    Tensor tensor(const TensorT* t, const std::string& where) const {
        bool ok = false;
        const int32_t code = static_cast<int32_t>(t->data_type());
        const DType dtype = dtype_from(code, ok);
        if (!ok) error(where + " has unknown data_type " + std::to_string(code) + " (known: 0..13)");
        const size_t elem = dtype_size(dtype);
        if (elem == 0)
            error(where + " has data_type " + dtype_name(dtype) + ", which espq cannot hold as a tensor");
        if (static_cast<int32_t>(t->data_location()) != 0 || (t->external_data() && t->external_data()->size()))
            error(where + " keeps its data in an external file, which .espdl models do not support");
        Shape shape;
        uint64_t numel = 1;
        for (int64_t d : espdl::vector_values(t->dims())) {
            if (d < 0) error(where + " has a negative dimension " + std::to_string(d));
            shape.push_back(d);
            // Any real tensor's bytes are inside the buffer, which bounds its element count.
            if (d > 0 && numel > buffer_size_ / static_cast<uint64_t>(d))
                error(where + " has dims " + shape_str(shape) + "... that need more data than the file holds");
            numel *= static_cast<uint64_t>(d);
        }
        if (numel * elem > buffer_size_)
            error(where + " has dims " + shape_str(shape) + " that need more data than the file holds");
        Tensor out(dtype, shape);
        const size_t nbytes = out.nbytes();
        const RawView raw = raw_view(t->raw_data());
        if (raw.data) {
            if (raw.size < nbytes)
                error(where + " has " + std::to_string(raw.size) + " bytes of raw_data, but its dims " + shape_str(shape) +
                      " of " + dtype_name(dtype) + " need " + std::to_string(nbytes));
            if (nbytes) std::memcpy(out.raw(), raw.data, nbytes);
            return out;
        }
        if (numel == 0) return out;
        switch (dtype) {
            case DType::Float32: copy_typed<float>(t->float_data(), out, "float_data", where); break;
            case DType::Float64: copy_typed<double>(t->double_data(), out, "double_data", where); break;
            case DType::Int64: copy_typed<int64_t>(t->int64_data(), out, "int64_data", where); break;
            case DType::UInt32:
            case DType::UInt64: copy_typed<uint64_t>(t->uint64_data(), out, "uint64_data", where); break;
            default: copy_typed<int32_t>(t->int32_data(), out, "int32_data", where); break;
        }
        return out;
    }

    // Typed *_data fields hold each element widened to the field's type (ONNX convention); narrow it back.
    template <typename Field, typename Vec>
    void copy_typed(const Vec* v, Tensor& out, const char* field, const std::string& where) const {
        const size_t n = static_cast<size_t>(out.numel());
        if (!v) error(where + " has neither raw_data nor " + field + " for its " + std::to_string(n) + " elements");
        if (v->size() != n)
            error(where + " has " + std::to_string(v->size()) + " values in " + field + " but its dims need " +
                  std::to_string(n));
        const size_t elem = dtype_size(out.dtype());
        const std::vector<Field> values = espdl::vector_values(v);
        for (size_t i = 0; i < n; ++i) {
            const Field x = values[i];
            uint8_t* dst = out.raw() + i * elem;
            switch (out.dtype()) {
                case DType::Int8: { const int8_t y = static_cast<int8_t>(x); std::memcpy(dst, &y, 1); break; }
                case DType::UInt8:
                case DType::Bool: { const uint8_t y = static_cast<uint8_t>(x); std::memcpy(dst, &y, 1); break; }
                case DType::Int16: { const int16_t y = static_cast<int16_t>(x); std::memcpy(dst, &y, 2); break; }
                case DType::UInt16:
                case DType::Float16: { const uint16_t y = static_cast<uint16_t>(x); std::memcpy(dst, &y, 2); break; }
                case DType::UInt32: { const uint32_t y = static_cast<uint32_t>(x); std::memcpy(dst, &y, 4); break; }
                default: std::memcpy(dst, &x, elem); break;  // the field already has the element's type
            }
        }
    }


    // Initializers and value_info entries become Values in the order the file's builder created them (FlatBuffers
    // builds back to front, so a higher address means created earlier). For ESP-PPQ files that is its variable
    // order (LUT tables first), and writing the values back in this order reproduces the original bytes.
    template <typename TensorVec, typename InfoVec>
    void add_values_in_creation_order(Graph& g, const TensorVec* inits, const InfoVec* infos) {
        struct Entry {
            const uint8_t* address;
            bool initializer;
            int index;
        };
        std::vector<Entry> entries;
        if (inits)
            for (flatbuffers::uoffset_t i = 0; i < inits->size(); ++i)
                entries.push_back({reinterpret_cast<const uint8_t*>(inits->Get(i)), true, static_cast<int>(i)});
        if (infos)
            for (flatbuffers::uoffset_t i = 0; i < infos->size(); ++i)
                entries.push_back({reinterpret_cast<const uint8_t*>(infos->Get(i)), false, static_cast<int>(i)});
        std::stable_sort(entries.begin(), entries.end(),
                         [](const Entry& a, const Entry& b) { return a.address > b.address; });
        for (const Entry& e : entries) {
            if (e.initializer) add_initializer(g, inits->Get(e.index), e.index);
            else add_value_info(g, infos->Get(e.index), e.index);
        }
    }

    template <typename TensorT>
    void add_initializer(Graph& g, const TensorT* t, int index) {
        const std::string name = str(t->name());
        if (name.empty()) error("initializer #" + std::to_string(index) + " has no name");
        const std::string where = "initializer '" + name + "'";
        if (g.find(name) >= 0)
            error(g.value(g.find(name)).is_constant()
                      ? "two initializers are named '" + name + "'; names must be unique"
                      : where + " repeats the name of a value_info entry; value names must be unique");
        Value v;
        v.name = name;
        v.constant = tensor(t, where);
        v.dtype = v.constant->dtype();
        v.shape = v.constant->shape();
        v.shape_known = true;
        v.exponents = espdl::vector_values(t->exponents());
        v.doc_string = str(t->doc_string());
        g.add_value(std::move(v));
    }

    template <typename ValueInfoT>
    Value value_from_info(const ValueInfoT* vi, const std::string& where) const {
        Value v;
        v.name = str(vi->name());
        v.dtype = DType::Undefined;
        v.exponents = espdl::vector_values(vi->exponents());
        v.doc_string = str(vi->doc_string());
        const auto* type = vi->value_info_type();
        if (!type || static_cast<int>(type->value_type()) == 0) return v;
        const auto* tt = type->value_as_tensor_type();
        if (!tt) error(where + " is not a tensor type (sequence/map/optional values are not supported)");
        bool ok = false;
        const int32_t code = static_cast<int32_t>(tt->elem_type());
        v.dtype = dtype_from(code, ok);
        if (!ok) error(where + " has unknown elem_type " + std::to_string(code) + " (known: 0..13)");
        if (tt->shape()) {
            v.shape_known = true;
            if (tt->shape()->dim())
                for (const auto* d : *tt->shape()->dim()) {
                    const auto* dv = d->value();
                    const bool fixed = dv && static_cast<int>(dv->dim_type()) == 1;
                    if (fixed && dv->dim_value() < 0)
                        error(where + " has a negative dimension " + std::to_string(dv->dim_value()));
                    v.shape.push_back(fixed ? dv->dim_value() : -1);
                    v.shape_known &= fixed;
                }
        }
        return v;
    }

    template <typename ValueInfoT>
    void add_value_info(Graph& g, const ValueInfoT* vi, int index) {
        const std::string name = str(vi->name());
        const std::string where = "value_info '" + name + "' (#" + std::to_string(index) + ")";
        if (g.find(name) >= 0)
            error(where + " repeats a name already used by " +
                  (g.value(g.find(name)).is_constant() ? "an initializer" : "another value_info entry") +
                  "; value names must be unique");
        g.add_value(value_from_info(vi, where));
    }

    template <typename ValueInfoVec>
    void graph_io(Graph& g, const ValueInfoVec* list, const std::string& role, std::vector<int>& ids) {
        if (!list) return;
        std::set<int> seen;
        for (const auto* vi : *list) {
            const std::string name = str(vi->name());
            if (name.empty()) error("a graph " + role + " has no name");
            int id = g.find(name);
            if (id < 0) id = g.add_value(value_from_info(vi, "graph " + role + " '" + name + "'"));
            if (role == "input" && g.value(id).is_constant()) continue;  // an initializer listed as input
            if (!seen.insert(id).second) error("graph " + role + " '" + name + "' is listed twice");
            ids.push_back(id);
        }
    }

    int implicit_value(Graph& g, const std::string& name) {
        const int id = g.find(name);
        if (id >= 0) return id;
        Value v;
        v.name = name;
        v.dtype = DType::Undefined;
        return g.add_value(std::move(v));
    }

    template <typename AttrT>
    Attribute attribute(const AttrT* a, const std::string& where) const {
        const int type = static_cast<int>(a->attr_type());
        switch (type) {
            case 1: return Attribute(a->f() ? a->f()->f() : 0.0f);
            case 2: return Attribute(static_cast<int64_t>(a->i() ? a->i()->i() : 0));
            case 3: {
                const auto* s = a->s();
                return Attribute(s ? std::string(reinterpret_cast<const char*>(s->Data()), s->size()) : std::string());
            }
            case 4:
                if (!a->t()) error(where + " is a TENSOR attribute without a tensor");
                return Attribute(tensor(a->t(), where));
            case 6: {
                return Attribute(espdl::vector_values(a->floats()));
            }
            case 7: return Attribute(espdl::vector_values(a->ints()));
            case 8: {
                Attribute::Strings v;
                if (a->strings())
                    for (const auto* s : *a->strings()) v.push_back(str(s));
                return Attribute(std::move(v));
            }
            default:
                throw UnsupportedError(what_ + ": " + where + " has attribute type " + std::to_string(type) +
                                       ", which espq does not support (only INT, FLOAT, STRING, TENSOR, INTS, "
                                       "FLOATS, STRINGS)");
        }
    }

    template <typename NodeT>
    void add_node(Graph& g, const NodeT* fn, int index) {
        Node n;
        n.name = str(fn->name());
        n.op_type = str(fn->op_type());
        n.domain = str(fn->domain());
        const std::string where = "node '" + n.name + "' (#" + std::to_string(index) + ")";
        if (n.op_type.empty()) error(where + " has no op_type");
        if (!n.name.empty() && !node_names_.insert(n.name).second)
            error("two nodes are named '" + n.name + "'; node names must be unique");
        if (fn->input())
            for (const auto* s : *fn->input()) {
                const std::string in = str(s);
                n.inputs.push_back(in.empty() ? kNoValue : implicit_value(g, in));
            }
        if (fn->output())
            for (const auto* s : *fn->output()) {
                const std::string out = str(s);
                if (out.empty()) continue;  // omitted optional output
                const int id = implicit_value(g, out);
                if (g.value(id).is_constant() || g.is_graph_input(id))
                    error(where + " writes '" + out + "', which is an initializer or a graph input");
                if (!produced_.insert(id).second) error("value '" + out + "' is produced by two nodes");
                n.outputs.push_back(id);
            }
        if (fn->attribute())
            for (const auto* a : *fn->attribute()) {
                const std::string name = str(a->name());
                if (name.empty()) error(where + " has an attribute without a name");
                if (n.attrs.count(name)) error(where + " has attribute '" + name + "' twice");
                n.attrs[name] = attribute(a, where + " attribute '" + name + "'");
            }
        g.add_node(std::move(n));
    }

    // Every read value must be defined; nodes out of order are sorted.
    void check_dataflow(Graph& g) const {
        for (const Node& n : g.nodes)
            for (int v : n.inputs)
                if (v >= 0 && !g.value(v).is_constant() && !g.is_graph_input(v) && !produced_.count(v))
                    error("node '" + n.name + "' reads '" + g.value(v).name +
                          "', which no node produces and which is neither an initializer nor a graph input");
        for (int v : g.outputs)
            if (!g.value(v).is_constant() && !g.is_graph_input(v) && !produced_.count(v))
                error("graph output '" + g.value(v).name + "' is never produced");
        std::vector<bool> ready(g.values.size(), false);
        for (size_t v = 0; v < g.values.size(); ++v) ready[v] = g.values[v].is_constant();
        for (int v : g.inputs) ready[v] = true;
        bool sorted = true;
        for (const Node& n : g.nodes) {
            for (int v : n.inputs) sorted &= v < 0 || ready[v];
            for (int v : n.outputs) ready[v] = true;
        }
        if (sorted) return;
        try {
            g.topo_sort();
        } catch (const UserError&) {
            error("the nodes form a cycle; a model graph must be acyclic");
        }
    }

    template <typename TensorVec>
    std::vector<NamedTensor> named_tensors(const TensorVec* list, const std::string& role) const {
        std::vector<NamedTensor> out;
        if (!list) return out;
        for (const auto* t : *list) {
            NamedTensor nt;
            nt.name = str(t->name());
            nt.tensor = tensor(t, role + " '" + nt.name + "'");
            nt.exponents = espdl::vector_values(t->exponents());
            out.push_back(std::move(nt));
        }
        return out;
    }

    std::string what_;
    size_t buffer_size_;
    std::set<std::string> node_names_;
    std::set<int> produced_;
};

}  // namespace

EspdlModel read_espdl_bytes(const std::vector<uint8_t>& bytes, const std::string& what,
                            const EspdlReadOptions& options) {
    const Payload p = espdl::open_container(bytes, what, options);
    Converter c(p.what, p.flatbuffer.size());
    if (p.legacy_raw_data) return c.model(fbs_edl1::GetModel(p.flatbuffer.data()));
    return c.model(fbs::GetModel(p.flatbuffer.data()));
}

EspdlModel read_espdl(const std::string& path, const EspdlReadOptions& options) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec))
        fail("cannot read ESP-DL model '" + path + "': no such file (or not a regular file)");
    std::ifstream in(path, std::ios::binary);
    if (!in) fail("cannot open ESP-DL model '" + path + "': no such file or not readable");
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) fail("cannot read ESP-DL model '" + path + "': I/O error");
    return read_espdl_bytes(bytes, path, options);
}

}  // namespace espq
