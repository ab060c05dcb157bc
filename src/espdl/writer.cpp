// .espdl writer: EspdlModel -> EDL2 file image (espdl-format §1.1, §3), plus encryption and atomic file writes.
//
// What is written, and in which order (all deterministic):
//   - initializers: every constant Value, in graph.values order (put LUT tables first to match ESP-PPQ);
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

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "espdl/container.hpp"
#include "espdl_generated.h"
#include "espq/espdl.hpp"

namespace espq {
namespace {

namespace fb = flatbuffers;

class Writer {
public:
    explicit Writer(const EspdlModel& model) : model_(model), b_(1 << 16) {}

    std::vector<uint8_t> finish() {
        const Graph& g = model_.graph;
        std::vector<fb::Offset<fbs::Tensor>> initializers;
        std::vector<fb::Offset<fbs::ValueInfo>> value_infos;
        std::vector<fb::Offset<fbs::ValueInfo>> info_of(g.values.size());
        for (size_t v = 0; v < g.values.size(); ++v) {
            const Value& val = g.values[v];
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

        std::vector<fb::Offset<fbs::Node>> nodes;
        for (const Node& n : g.nodes) nodes.push_back(node(n));

        fb::Offset<fb::Vector<fb::Offset<fbs::Tensor>>> test_in, test_out;
        if (model_.has_test_values) {
            test_in = b_.CreateVector(named_tensors(model_.test_inputs));
            test_out = b_.CreateVector(named_tensors(model_.test_outputs));
        }
        auto io = [&](const std::vector<int>& ids) {
            std::vector<fb::Offset<fbs::ValueInfo>> list;
            for (int id : ids) {
                invariant(id >= 0 && id < static_cast<int>(g.values.size()), "write_espdl: bad graph input/output id");
                // A constant graph output has no ValueInfo of its own; describe it like an activation.
                list.push_back(g.values[id].is_constant() ? value_info(g.values[id]) : info_of[id]);
            }
            return b_.CreateVector(list);
        };
        const auto inputs = io(g.inputs);
        const auto outputs = io(g.outputs);
        const auto init_vec = b_.CreateVector(initializers);
        const auto info_vec = b_.CreateVector(value_infos);
        const auto node_vec = b_.CreateVector(nodes);
        const auto graph_name = b_.CreateString(g.name);

        fbs::GraphBuilder gb(b_);
        gb.add_node(node_vec);
        gb.add_name(graph_name);
        gb.add_initializer(init_vec);
        gb.add_input(inputs);
        gb.add_output(outputs);
        gb.add_value_info(info_vec);
        if (model_.has_test_values) {
            gb.add_test_inputs_value(test_in);
            gb.add_test_outputs_value(test_out);
        }
        const auto graph = gb.Finish();

        const auto opsets = b_.CreateVector(std::vector<fb::Offset<fbs::OperatorSetId>>{});
        fb::Offset<fb::Vector<fb::Offset<fbs::StringStringEntry>>> metadata;
        if (!g.metadata.empty()) {
            std::vector<fb::Offset<fbs::StringStringEntry>> entries;
            for (const auto& [k, v] : g.metadata)
                entries.push_back(fbs::CreateStringStringEntry(b_, b_.CreateString(k), b_.CreateString(v)));
            metadata = b_.CreateVector(entries);
        }
        fb::Offset<fb::String> doc;
        if (!model_.doc_string.empty()) doc = b_.CreateString(model_.doc_string);
        if (g.ir_version < std::numeric_limits<int32_t>::min() || g.ir_version > std::numeric_limits<int32_t>::max())
            fail("write_espdl: ir_version " + std::to_string(g.ir_version) + " does not fit the file's int32 field");

        fbs::ModelBuilder mb(b_);
        mb.add_ir_version(static_cast<int32_t>(g.ir_version));
        mb.add_opset_import(opsets);
        mb.add_model_version(model_.model_version);
        if (!doc.IsNull()) mb.add_doc_string(doc);
        mb.add_graph(graph);
        if (!metadata.IsNull()) mb.add_metadata_props(metadata);
        b_.Finish(mb.Finish());

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
        const auto dims = b_.CreateVector(t.shape());
        const auto exps = b_.CreateVector(exponents);
        fb::Offset<fb::String> doc;
        if (!doc_string.empty()) doc = b_.CreateString(doc_string);
        // raw_data: little-endian elements, zero-padded to whole 16-byte chunks (16-aligned in the buffer).
        const size_t chunks = (t.nbytes() + sizeof(fbs::AlignedBytes) - 1) / sizeof(fbs::AlignedBytes);
        fbs::AlignedBytes* dst = nullptr;
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
        return tb.Finish();
    }

    fb::Offset<fbs::ValueInfo> value_info(const Value& v) {
        const auto name = b_.CreateString(v.name);
        fb::Offset<fb::String> doc;
        if (!v.doc_string.empty()) doc = b_.CreateString(v.doc_string);
        fb::Offset<fbs::TensorShape> shape;
        if (v.shape_known || !v.shape.empty()) {
            std::vector<fb::Offset<fbs::Dimension>> dims;
            for (int64_t d : v.shape) {
                fbs::DimensionValueBuilder dv(b_);
                if (d >= 0) {
                    dv.add_dim_type(fbs::DimensionValueType::VALUE);
                    dv.add_dim_value(d);
                }
                const auto value = dv.Finish();
                dims.push_back(fbs::CreateDimension(b_, value));
            }
            shape = fbs::CreateTensorShape(b_, b_.CreateVector(dims));
        }
        fbs::TensorTypeAndShapeBuilder ts(b_);
        if (!shape.IsNull()) ts.add_shape(shape);
        ts.add_elem_type(static_cast<fbs::TensorDataType>(v.dtype));
        const auto tensor_type = ts.Finish();
        const auto type = fbs::CreateTypeInfo(b_, fbs::TypeInfoValue::tensor_type, tensor_type.Union());
        const auto exps = b_.CreateVector(v.exponents);
        fbs::ValueInfoBuilder vb(b_);
        vb.add_name(name);
        if (!doc.IsNull()) vb.add_doc_string(doc);
        vb.add_value_info_type(type);
        vb.add_exponents(exps);
        return vb.Finish();
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
            ints = b_.CreateVector(*v);
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
        return ab.Finish();
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
        const auto name = b_.CreateString(n.name);
        fb::Offset<fb::String> domain;
        if (!n.domain.empty()) domain = b_.CreateString(n.domain);
        std::vector<fb::Offset<fbs::Attribute>> attrs;
        for (const auto& [key, value] : n.attrs) attrs.push_back(attribute(key, value));
        const auto attr_vec = b_.CreateVector(attrs);
        fbs::NodeBuilder nb(b_);
        nb.add_op_type(op_type);
        nb.add_input(inputs);
        nb.add_output(outputs);
        nb.add_name(name);
        if (!domain.IsNull()) nb.add_domain(domain);
        nb.add_attribute(attr_vec);
        return nb.Finish();
    }

    std::vector<fb::Offset<fbs::Tensor>> named_tensors(const std::vector<NamedTensor>& list) {
        std::vector<fb::Offset<fbs::Tensor>> out;
        for (const NamedTensor& t : list) out.push_back(tensor(t.name, t.tensor, t.exponents, ""));
        return out;
    }

    const EspdlModel& model_;
    fb::FlatBufferBuilder b_;
};

void write_all(int fd, const uint8_t* data, size_t size) {
    while (size > 0) {
        const ssize_t n = ::write(fd, data, size);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw std::system_error(errno, std::generic_category());
        }
        data += n;
        size -= static_cast<size_t>(n);
    }
}

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

void write_file_atomic(const std::string& path, const std::vector<uint8_t>& bytes) {
    namespace fs = std::filesystem;
    const fs::path target(path);
    const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
    std::string temp = (dir / ("." + target.filename().string() + ".tmp.XXXXXX")).string();
    const int fd = ::mkstemp(temp.data());
    if (fd < 0)
        fail("cannot write '" + path + "': " + std::strerror(errno) + " (check that the directory exists and is writable)");
    try {
        write_all(fd, bytes.data(), bytes.size());
        if (::fsync(fd) != 0) throw std::system_error(errno, std::generic_category());
        if (::close(fd) != 0) {
            const int err = errno;
            ::unlink(temp.c_str());
            fail("cannot write '" + path + "': " + std::strerror(err));
        }
    } catch (const std::system_error& e) {
        ::close(fd);
        ::unlink(temp.c_str());
        fail("cannot write '" + path + "': " + e.code().message());
    }
    // mkstemp creates the file 0600; give it the permissions an ordinary new file would get.
    const mode_t mask = ::umask(0);
    ::umask(mask);
    ::chmod(temp.c_str(), 0666 & ~mask);
    if (std::rename(temp.c_str(), path.c_str()) != 0) {
        const int err = errno;
        ::unlink(temp.c_str());
        fail("cannot write '" + path + "': " + std::strerror(err));
    }
}

void write_file_atomic(const std::string& path, const std::string& bytes) {
    write_file_atomic(path, std::vector<uint8_t>(bytes.begin(), bytes.end()));
}

}  // namespace espq
