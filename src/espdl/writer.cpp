// .espdl writer: EspdlModel -> EDL2 file image (docs/espdl-file-format.md §1.1, §3), plus encryption (files are written
// by espq/atomic_files.hpp).
//
// What is written, and in which order (all deterministic):
//   - initializers: the LUT tables (constants named by a `lut` attribute) in node order, then every other constant
//     Value in graph.values order;
//     raw_data zero-padded to 16 bytes, `exponents` and `doc_string` as the Value holds them;
//   - value_info: every non-constant Value in graph.values order (graph inputs and outputs included); the graph
//     input/output lists point at the same ValueInfo tables. When a node omits an optional input in the middle
//     (written as ""), a ValueInfo named "" (FLOAT, no shape, exponents [0]) is added as ESP-PPQ does, unless the
//     graph already has a Value named "";
//   - nodes with attributes sorted by name (std::map order) and strings as [uint8] `s`;
//   - test_inputs_value / test_outputs_value when has_test_values;
//   - Model: ir_version, an empty opset_import (always, as ESP-PPQ), model_version and doc_string when set,
//     metadata_props when any. producer_name is not written.
// Unknown dims (-1) are written as empty DimensionValue tables (UNKNOWN); a Value with shape_known == false and
// no dims gets no shape at all.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <system_error>


#include "espdl/container.hpp"
#include "espdl_generated.h"
#include "espq/espdl.hpp"

namespace espq {
namespace {

namespace fb = flatbuffers;

// The C++ builder shares a vtable only between tables whose vtables are byte-identical, object size included.
// The Python builder that ESP-PPQ uses keys its vtable cache on the field offsets alone, so a table may point at
// an earlier vtable that records another object size (readers ignore that field). end_table() reproduces the
// Python behaviour so that the bytes match ESP-PPQ's; either form is a valid FlatBuffer.
class PythonStyleBuilder : public fb::FlatBufferBuilder {
public:
    explicit PythonStyleBuilder(size_t initial_size) : fb::FlatBufferBuilder(initial_size) {}

    fb::uoffset_t end_table(fb::uoffset_t start) {
        const size_t known_vtables =
            (buf_.scratch_size() - num_field_loc * sizeof(FieldLoc)) / sizeof(fb::uoffset_t);
        const fb::uoffset_t table = EndTable(start);
        if (buf_.scratch_size() / sizeof(fb::uoffset_t) == known_vtables) return table;  // reused an exact match
        // EndTable wrote a new vtable just below the table; look for one with the same field offsets.
        const uint8_t* fresh = buf_.data();
        const auto fresh_size = fb::ReadScalar<fb::voffset_t>(fresh);
        for (size_t i = 0; i < known_vtables; ++i) {
            fb::uoffset_t old_offset;
            std::memcpy(&old_offset, buf_.scratch_data() + i * sizeof(fb::uoffset_t), sizeof old_offset);
            const uint8_t* old = buf_.data_at(old_offset);
            const size_t skip = 2 * sizeof(fb::voffset_t);  // vtable size and object size
            if (fb::ReadScalar<fb::voffset_t>(old) != fresh_size ||
                std::memcmp(old + skip, fresh + skip, fresh_size - skip) != 0)
                continue;
            buf_.pop(GetSize() - table);
            buf_.scratch_pop(sizeof(fb::uoffset_t));
            fb::WriteScalar(buf_.data_at(table),
                            static_cast<fb::soffset_t>(old_offset) - static_cast<fb::soffset_t>(table));
            break;
        }
        return table;
    }
};

class Writer {
public:
    explicit Writer(const EspdlModel& model) : model_(model), b_(1 << 16) {}

    // Objects are created in the order ESP-PPQ's exporter creates them (export_graph / helper.make_*): LUT tables,
    // nodes, variables in graph order, test tensors, then the graph, metadata and model tables. FlatBuffers output
    // depends on that order only, so a model read from an ESP-PPQ file is written back with the same bytes.
    std::vector<uint8_t> finish() {
        const Graph& g = model_.graph;
        if (g.ir_version < std::numeric_limits<int32_t>::min() || g.ir_version > std::numeric_limits<int32_t>::max())
            fail("write_espdl: ir_version " + std::to_string(g.ir_version) + " does not fit the file's int32 field");

        // 1. LUT tables: the constants named by a node's `lut` attribute, in node order.
        std::vector<bool> is_lut(g.values.size(), false);
        std::vector<fb::Offset<fbs::Tensor>> initializers;
        for (const Node& n : g.nodes) {
            const auto it = n.attrs.find("lut");
            if (it == n.attrs.end() || !it->second.is<std::string>()) continue;
            const int id = g.find(std::get<std::string>(it->second.value));
            if (id < 0 || !g.values[id].is_constant() || is_lut[id]) continue;
            is_lut[id] = true;
            const Value& v = g.values[id];
            initializers.push_back(tensor(v.name, *v.constant, v.exponents, v.doc_string));
        }
        // 2. Nodes.
        std::vector<fb::Offset<fbs::Node>> nodes;
        for (const Node& n : g.nodes) nodes.push_back(node(n));
        // 3. Variables: parameters become initializers, everything else a ValueInfo.
        std::vector<fb::Offset<fbs::ValueInfo>> value_infos;
        std::vector<fb::Offset<fbs::ValueInfo>> info_of(g.values.size());
        for (size_t v = 0; v < g.values.size(); ++v) {
            const Value& val = g.values[v];
            if (is_lut[v]) continue;
            if (val.is_constant()) {
                initializers.push_back(tensor(val.name, *val.constant, val.exponents, val.doc_string));
            } else {
                info_of[v] = value_info(val);
                value_infos.push_back(info_of[v]);
            }
        }
        if (needs_empty_placeholder()) {
            Value placeholder;
            placeholder.name = "";
            placeholder.dtype = DType::Float32;
            placeholder.exponents = {0};
            value_infos.push_back(value_info(placeholder));
        }
        // A constant graph output has no ValueInfo of its own; describe it like an activation.
        for (int id : g.outputs) {
            invariant(id >= 0 && id < static_cast<int>(g.values.size()), "write_espdl: bad graph output id");
            if (g.values[id].is_constant() && info_of[id].IsNull()) info_of[id] = value_info(g.values[id]);
        }
        // 4. Test tensors.
        std::vector<fb::Offset<fbs::Tensor>> test_in, test_out;
        if (model_.has_test_values) {
            test_in = named_tensors(model_.test_inputs);
            test_out = named_tensors(model_.test_outputs);
        }
        // 5. Graph (helper.make_graph).
        const auto graph_name = b_.CreateString(g.name);
        const auto init_vec = b_.CreateVector(initializers);
        const auto info_vec = b_.CreateVector(value_infos);
        fb::Offset<fb::Vector<fb::Offset<fbs::Tensor>>> test_in_vec, test_out_vec;
        if (model_.has_test_values) {
            test_in_vec = b_.CreateVector(test_in);
            test_out_vec = b_.CreateVector(test_out);
        }
        const auto node_vec = b_.CreateVector(nodes);
        auto io = [&](const std::vector<int>& ids) {
            std::vector<fb::Offset<fbs::ValueInfo>> list;
            for (int id : ids) {
                invariant(id >= 0 && id < static_cast<int>(g.values.size()) && !info_of[id].IsNull(),
                          "write_espdl: bad graph input/output id");
                list.push_back(info_of[id]);
            }
            return b_.CreateVector(list);
        };
        const auto inputs = io(g.inputs);
        const auto outputs = io(g.outputs);
        fbs::GraphBuilder gb(b_);
        gb.add_initializer(init_vec);
        gb.add_value_info(info_vec);
        if (model_.has_test_values) {
            gb.add_test_inputs_value(test_in_vec);
            gb.add_test_outputs_value(test_out_vec);
        }
        gb.add_node(node_vec);
        gb.add_name(graph_name);
        gb.add_input(inputs);
        gb.add_output(outputs);
        const auto graph = finish(gb);

        // 6. Metadata (helper.make_metadata_props), 7. model (helper.make_model).
        std::vector<fb::Offset<fbs::StringStringEntry>> entries;
        for (const auto& [k, v] : g.metadata) {
            const auto key = b_.CreateString(k);
            const auto value = b_.CreateString(v);
            fbs::StringStringEntryBuilder eb(b_);
            eb.add_key(key);
            eb.add_value(value);
            entries.push_back(finish(eb));
        }
        const auto opsets = b_.CreateVector(std::vector<fb::Offset<fbs::OperatorSetId>>{});
        fb::Offset<fb::String> doc;
        if (!model_.doc_string.empty()) doc = b_.CreateString(model_.doc_string);
        fb::Offset<fb::Vector<fb::Offset<fbs::StringStringEntry>>> metadata;
        if (!entries.empty()) metadata = b_.CreateVector(entries);

        fbs::ModelBuilder mb(b_);
        mb.add_graph(graph);
        mb.add_opset_import(opsets);
        mb.add_ir_version(static_cast<int32_t>(g.ir_version));
        mb.add_model_version(model_.model_version);
        if (!doc.IsNull()) mb.add_doc_string(doc);
        if (!metadata.IsNull()) mb.add_metadata_props(metadata);
        b_.Finish(finish(mb));

        const uint32_t size = b_.GetSize();
        std::vector<uint8_t> file(espdl::kEdl2HeaderSize + size, 0);
        std::memcpy(file.data(), "EDL2", 4);
        for (int i = 0; i < 4; ++i) file[8 + i] = static_cast<uint8_t>(size >> (8 * i));
        std::memcpy(file.data() + espdl::kEdl2HeaderSize, b_.GetBufferPointer(), size);
        return file;
    }

private:
    bool needs_empty_placeholder() const {
        if (model_.graph.find("") >= 0) return false;
        for (const Node& n : model_.graph.nodes)
            for (int v : n.inputs)
                if (v == kNoValue) return true;
        return false;
    }

    fb::Offset<fbs::Tensor> tensor(const std::string& name, const Tensor& t, const std::vector<int64_t>& exponents,
                                   const std::string& doc_string) {
        const auto name_off = b_.CreateString(name);
        const auto dims = int64_vector(t.shape());
        const auto exps = int64_vector(exponents);
        fb::Offset<fb::String> doc;
        if (!doc_string.empty()) doc = b_.CreateString(doc_string);
        // raw_data: little-endian elements, zero-padded to whole 16-byte chunks (16-aligned in the buffer).
        const size_t chunks = (t.nbytes() + sizeof(fbs::AlignedBytes) - 1) / sizeof(fbs::AlignedBytes);
        fbs::AlignedBytes* dst = nullptr;
        if (chunks == 0) b_.Align(sizeof(fbs::AlignedBytes));  // as the Python builder does for empty vectors
        const auto raw = b_.CreateUninitializedVectorOfStructs<fbs::AlignedBytes>(chunks, &dst);
        if (chunks) {
            uint8_t* bytes = reinterpret_cast<uint8_t*>(dst);
            std::memset(bytes, 0, chunks * sizeof(fbs::AlignedBytes));
            std::memcpy(bytes, t.raw(), t.nbytes());
        }
        fbs::TensorBuilder tb(b_);
        tb.add_data_type(static_cast<fbs::TensorDataType>(t.dtype()));
        tb.add_name(name_off);
        if (!doc.IsNull()) tb.add_doc_string(doc);
        tb.add_raw_data(raw);
        tb.add_dims(dims);
        tb.add_exponents(exps);
        return finish(tb);
    }

    fb::Offset<fbs::ValueInfo> value_info(const Value& v) {
        const auto name = b_.CreateString(v.name);
        fb::Offset<fb::String> doc;
        if (!v.doc_string.empty()) doc = b_.CreateString(v.doc_string);
        fb::Offset<fbs::TensorShape> shape;
        if (v.shape_known || !v.shape.empty()) {
            std::vector<fb::Offset<fbs::DimensionValue>> values;
            for (int64_t d : v.shape) {
                fbs::DimensionValueBuilder dv(b_);
                if (d >= 0) {
                    dv.add_dim_type(fbs::DimensionValueType::VALUE);
                    dv.add_dim_value(d);
                }
                values.push_back(finish(dv));
            }
            std::vector<fb::Offset<fbs::Dimension>> dims;
            for (const auto& value : values) {
                fbs::DimensionBuilder db(b_);
                db.add_value(value);
                dims.push_back(finish(db));
            }
            const auto dim_vec = b_.CreateVector(dims);
            fbs::TensorShapeBuilder sb(b_);
            sb.add_dim(dim_vec);
            shape = finish(sb);
        }
        fbs::TensorTypeAndShapeBuilder ts(b_);
        if (!shape.IsNull()) ts.add_shape(shape);
        ts.add_elem_type(static_cast<fbs::TensorDataType>(v.dtype));
        const auto tensor_type = finish(ts);
        fbs::TypeInfoBuilder tb(b_);
        tb.add_value_type(fbs::TypeInfoValue::tensor_type);
        tb.add_value(tensor_type.Union());
        const auto type = finish(tb);
        const auto exps = int64_vector(v.exponents);
        fbs::ValueInfoBuilder vb(b_);
        vb.add_name(name);
        if (!doc.IsNull()) vb.add_doc_string(doc);
        vb.add_value_info_type(type);
        vb.add_exponents(exps);
        return finish(vb);
    }

    fb::Offset<fbs::Attribute> attribute(const std::string& name, const Attribute& a) {
        const auto key = b_.CreateString(name);
        fb::Offset<fb::Vector<uint8_t>> s;
        fb::Offset<fbs::Tensor> t;
        fb::Offset<fb::Vector<int64_t>> ints;
        fb::Offset<fb::Vector<float>> floats;
        fb::Offset<fb::Vector<fb::Offset<fb::String>>> strings;
        fbs::AttributeType type = fbs::AttributeType::UNDEFINED;
        if (const auto* v = std::get_if<std::string>(&a.value)) {
            s = b_.CreateVector(reinterpret_cast<const uint8_t*>(v->data()), v->size());
            type = fbs::AttributeType::STRING;
        } else if (const auto* v = std::get_if<Tensor>(&a.value)) {
            t = tensor("", *v, {0}, "");
            type = fbs::AttributeType::TENSOR;
        } else if (const auto* v = std::get_if<Attribute::Ints>(&a.value)) {
            ints = int64_vector(*v);
            type = fbs::AttributeType::INTS;
        } else if (const auto* v = std::get_if<Attribute::Floats>(&a.value)) {
            floats = b_.CreateVector(*v);
            type = fbs::AttributeType::FLOATS;
        } else if (const auto* v = std::get_if<Attribute::Strings>(&a.value)) {
            std::vector<fb::Offset<fb::String>> list;
            for (const auto& x : *v) list.push_back(b_.CreateString(x));
            strings = b_.CreateVector(list);
            type = fbs::AttributeType::STRINGS;
        }
        fbs::AttributeBuilder ab(b_);
        ab.add_name(key);
        if (const auto* v = std::get_if<int64_t>(&a.value)) {
            const fbs::AttributeI i(*v);
            ab.add_i(&i);
            type = fbs::AttributeType::INT;
        } else if (const auto* v = std::get_if<float>(&a.value)) {
            const fbs::AttributeF f(*v);
            ab.add_f(&f);
            type = fbs::AttributeType::FLOAT;
        }
        if (!s.IsNull()) ab.add_s(s);
        if (!t.IsNull()) ab.add_t(t);
        if (!ints.IsNull()) ab.add_ints(ints);
        if (!floats.IsNull()) ab.add_floats(floats);
        if (!strings.IsNull()) ab.add_strings(strings);
        ab.add_attr_type(type);
        return finish(ab);
    }

    fb::Offset<fbs::Node> node(const Node& n) {
        const Graph& g = model_.graph;
        const auto op_type = b_.CreateString(n.op_type);
        auto names = [&](const std::vector<int>& ids) {
            std::vector<fb::Offset<fb::String>> list;
            for (int id : ids) {
                invariant(id >= kNoValue && id < static_cast<int>(g.values.size()), "write_espdl: bad value id");
                list.push_back(b_.CreateString(id == kNoValue ? std::string() : g.values[id].name));
            }
            return b_.CreateVector(list);
        };
        const auto inputs = names(n.inputs);
        const auto outputs = names(n.outputs);
        fb::Offset<fb::String> name, domain;
        if (!n.name.empty()) name = b_.CreateString(n.name);
        if (!n.domain.empty()) domain = b_.CreateString(n.domain);
        std::vector<fb::Offset<fbs::Attribute>> attrs;
        for (const auto& [key, value] : n.attrs) attrs.push_back(attribute(key, value));
        fb::Offset<fb::Vector<fb::Offset<fbs::Attribute>>> attr_vec;
        if (!attrs.empty()) attr_vec = b_.CreateVector(attrs);
        fbs::NodeBuilder nb(b_);
        nb.add_op_type(op_type);
        nb.add_input(inputs);
        nb.add_output(outputs);
        if (!name.IsNull()) nb.add_name(name);
        if (!domain.IsNull()) nb.add_domain(domain);
        if (!attr_vec.IsNull()) nb.add_attribute(attr_vec);
        return finish(nb);
    }

    std::vector<fb::Offset<fbs::Tensor>> named_tensors(const std::vector<NamedTensor>& list) {
        std::vector<fb::Offset<fbs::Tensor>> out;
        for (const NamedTensor& t : list) out.push_back(tensor(t.name, t.tensor, t.exponents, ""));
        return out;
    }

    // An [int64] vector. The Python builder aligns even an empty vector to its element size (the C++ builder skips
    // the alignment for empty vectors), so do that here to keep the bytes the same.
    fb::Offset<fb::Vector<int64_t>> int64_vector(const std::vector<int64_t>& v) {
        if (v.empty()) b_.Align(sizeof(int64_t));
        return b_.CreateVector(v);
    }

    // Ends a table started by a generated XBuilder (instead of its Finish()), with Python-style vtable sharing.
    template <typename TableBuilder>
    fb::Offset<typename TableBuilder::Table> finish(TableBuilder& builder) {
        return fb::Offset<typename TableBuilder::Table>(b_.end_table(builder.start_));
    }

    const EspdlModel& model_;
    PythonStyleBuilder b_;
};

}  // namespace

std::vector<uint8_t> write_espdl_bytes(const EspdlModel& model) { return Writer(model).finish(); }

std::vector<uint8_t> encrypt_espdl_bytes(const std::vector<uint8_t>& edl2, const std::vector<uint8_t>& key) {
    if (key.size() != espdl::kAesKeySize)
        fail("encryption key has " + std::to_string(key.size()) + " bytes; an AES-128 key has exactly 16");
    if (edl2.size() < espdl::kEdl2HeaderSize || std::memcmp(edl2.data(), "EDL2", 4) != 0 || edl2[4] != 0)
        throw InternalError("encrypt_espdl_bytes: input is not a plain EDL2 image");
    std::vector<uint8_t> out(edl2.begin(), edl2.begin() + espdl::kEdl2HeaderSize);
    out[4] = 1;
    const auto cipher = espdl::aes128_ctr(key, edl2.data() + espdl::kEdl2HeaderSize, edl2.size() - espdl::kEdl2HeaderSize);
    out.insert(out.end(), cipher.begin(), cipher.end());
    return out;
}

}  // namespace espq
