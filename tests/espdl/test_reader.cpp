// .espdl reader against independent references: the oracle MANIFEST.tsv (written by a Python decoder), the same
// model published in EDL1, transitional-EDL1 and EDL2 containers and in a PDL1 package, a real encrypted file
// with the key from esp-dl's test app, and published AES / SHA-256 test vectors.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "espdl/container.hpp"
#include "espq/espdl.hpp"
#include "support.hpp"

namespace espq {
namespace {

using test::data_path;

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> out;
    std::string cur;
    std::istringstream in(s);
    while (std::getline(in, cur, sep)) out.push_back(cur);
    return out;
}

std::vector<uint8_t> hex_bytes(const std::string& hex) {
    std::vector<uint8_t> out;
    for (size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    return out;
}

// "name[d0,d1]DTYPE e<exp>" as the manifest prints a graph input or output.
std::string describe_io(const Value& v) {
    std::string dims;
    for (size_t i = 0; i < v.shape.size(); ++i) dims += (i ? "," : "") + std::to_string(v.shape[i]);
    std::string s = v.name + "[" + dims + "]" + dtype_name(v.dtype);
    if (!v.exponents.empty()) s += " e" + std::to_string(v.exponents[0]);
    return s;
}

struct ManifestRow {
    std::map<std::string, std::string> col;
};

std::vector<ManifestRow> read_manifest() {
    std::ifstream in(data_path("oracle/MANIFEST.tsv"));
    std::string line;
    std::getline(in, line);
    const auto header = split(line, '\t');
    std::vector<ManifestRow> rows;
    while (std::getline(in, line)) {
        auto cells = split(line, '\t');
        cells.resize(header.size());
        ManifestRow r;
        for (size_t i = 0; i < header.size(); ++i) r.col[header[i]] = cells[i];
        if (r.col["file"].size() > 6 && r.col["file"].substr(r.col["file"].size() - 6) == ".espdl") rows.push_back(r);
    }
    return rows;
}

std::map<std::string, int> counts_from(const std::string& cell) {
    std::map<std::string, int> m;
    for (const auto& item : split(cell, ';')) {
        const auto colon = item.rfind(':');
        if (colon != std::string::npos) m[item.substr(0, colon)] = std::stoi(item.substr(colon + 1));
    }
    return m;
}

TEST(EspdlReader, EveryOracleFileMatchesTheManifest) {
    const auto rows = read_manifest();
    ASSERT_GE(rows.size(), 80u);
    for (const auto& row : rows) {
        const std::string file = row.col.at("file");
        SCOPED_TRACE(file);
        const EspdlModel m = read_espdl(data_path("oracle/" + file));
        const Graph& g = m.graph;
        EXPECT_EQ(g.semantics, Semantics::EspdlQuantized);
        EXPECT_EQ(g.op_counts(), counts_from(row.col.at("ops")));

        std::map<std::string, int> quant_types;
        for (const Node& n : g.nodes) quant_types[n.attr_string("quant_type", "?")]++;
        EXPECT_EQ(quant_types, counts_from(row.col.at("quant_types")));

        std::set<std::string> layouts;
        int luts = 0;
        for (const Value& v : g.values) {
            if (!v.is_constant()) continue;
            if (v.doc_string.empty()) ++luts;
            const std::string prefix = "layout ==> ";
            if (v.doc_string.rfind(prefix, 0) == 0 && v.doc_string != prefix + "UNK")
                layouts.insert(v.doc_string.substr(prefix.size()));
        }
        if (luts) layouts.insert("LUT x" + std::to_string(luts));
        const auto expected_layouts = split(row.col.at("weight_layouts"), ',');
        EXPECT_EQ(layouts, std::set<std::string>(expected_layouts.begin(), expected_layouts.end()));

        std::vector<std::string> ins, outs;
        for (int v : g.inputs) ins.push_back(describe_io(g.value(v)));
        for (int v : g.outputs) outs.push_back(describe_io(g.value(v)));
        EXPECT_EQ(ins, split(row.col.at("inputs"), ';'));
        EXPECT_EQ(outs, split(row.col.at("outputs"), ';'));

        EXPECT_TRUE(m.has_test_values);
        EXPECT_EQ(std::to_string(m.test_inputs.size()), row.col.at("n_test_inputs"));
        EXPECT_EQ(std::to_string(m.test_outputs.size()), row.col.at("n_test_outputs"));
        std::set<std::string> out_dtypes;
        for (const auto& t : m.test_outputs) out_dtypes.insert(dtype_name(t.tensor.dtype()));
        const auto expected_dtypes = split(row.col.at("test_output_dtypes"), ',');
        EXPECT_EQ(out_dtypes, std::set<std::string>(expected_dtypes.begin(), expected_dtypes.end()));
        // The test input is the graph input as stored: same name, shape, dtype and exponent.
        ASSERT_EQ(m.test_inputs.size(), 1u);
        const Value& in = g.value(g.inputs.at(0));
        EXPECT_EQ(m.test_inputs[0].name, in.name);
        EXPECT_EQ(m.test_inputs[0].tensor.shape(), in.shape);
        EXPECT_EQ(m.test_inputs[0].tensor.dtype(), in.dtype);
        EXPECT_EQ(m.test_inputs[0].exponents, in.exponents);
    }
}

TEST(EspdlReader, FilesTheManifestPairsHaveIdenticalTestVectors) {
    int pairs = 0;
    for (const auto& row : read_manifest()) {
        const std::string twin = row.col.at("same_test_vectors_as");
        if (twin.empty()) continue;
        const std::string file = row.col.at("file");
        const std::string dir = file.substr(0, file.find('/') + 1);
        SCOPED_TRACE(file + " vs " + twin);
        const EspdlModel a = read_espdl(data_path("oracle/" + file));
        const EspdlModel b = read_espdl(data_path("oracle/" + dir + split(twin, ',')[0]));
        ASSERT_EQ(a.test_outputs.size(), b.test_outputs.size());
        for (size_t i = 0; i < a.test_outputs.size(); ++i) {
            const Tensor& x = a.test_outputs[i].tensor;
            const Tensor& y = b.test_outputs[i].tensor;
            ASSERT_EQ(x.shape(), y.shape());
            EXPECT_EQ(0, std::memcmp(x.raw(), y.raw(), x.nbytes()));
        }
        ++pairs;
    }
    EXPECT_GE(pairs, 20);
}

TEST(EspdlReader, GemmFieldsDecodeAsPublished) {
    // c-target Gemm K=16, N=16 with fused Relu (values read with flatc --json from the same bytes).
    const EspdlModel m = read_espdl(data_path("oracle/c/Gemm__linear_ishap_1_16_kshap_16_16_relu_s8__7fbcd94a.espdl"));
    const Graph& g = m.graph;
    EXPECT_EQ(g.name, "main_graph");
    EXPECT_EQ(g.metadata, (std::vector<std::pair<std::string, std::string>>{{"target", "c"}}));
    ASSERT_EQ(g.nodes.size(), 1u);
    const Node& n = g.nodes[0];
    EXPECT_EQ(n.op_type, "Gemm");
    EXPECT_EQ(n.attr_string("activation", ""), "Relu");
    EXPECT_EQ(n.attr_string("quant_type", ""), "S8");
    EXPECT_EQ(n.attr_int("transB", -1), 0);
    ASSERT_TRUE(n.attrs.at("alpha").is<float>());
    EXPECT_EQ(n.attr_float("alpha", 0), 1.0f);
    ASSERT_EQ(n.inputs.size(), 3u);
    const Value& w = g.value(n.inputs[1]);
    ASSERT_TRUE(w.is_constant());
    EXPECT_EQ(w.dtype, DType::Int8);
    EXPECT_EQ(w.shape, (Shape{1, 1, 16, 16}));
    EXPECT_EQ(w.doc_string, "layout ==> NHWC");
    const Value& b = g.value(n.inputs[2]);
    EXPECT_EQ(b.dtype, DType::Int32);
    EXPECT_EQ(b.shape, (Shape{16}));
    EXPECT_EQ(b.constant->nbytes(), 64u);  // padding of raw_data dropped
    EXPECT_EQ(b.doc_string, "layout ==> UNK");
}

std::map<std::string, const Value*> constants_by_name(const Graph& g) {
    std::map<std::string, const Value*> m;
    for (const Value& v : g.values)
        if (v.is_constant()) m[v.name] = &v;
    return m;
}

void expect_same_model_content(const EspdlModel& a, const EspdlModel& b) {
    EXPECT_EQ(a.graph.op_counts(), b.graph.op_counts());
    const auto ca = constants_by_name(a.graph);
    const auto cb = constants_by_name(b.graph);
    ASSERT_EQ(ca.size(), cb.size());
    for (const auto& [name, v] : ca) {
        SCOPED_TRACE(name);
        ASSERT_TRUE(cb.count(name));
        const Value& w = *cb.at(name);
        EXPECT_EQ(v->dtype, w.dtype);
        EXPECT_EQ(v->shape, w.shape);
        EXPECT_EQ(v->exponents, w.exponents);
        EXPECT_EQ(v->doc_string, w.doc_string);
        ASSERT_EQ(v->constant->nbytes(), w.constant->nbytes());
        EXPECT_EQ(0, std::memcmp(v->constant->raw(), w.constant->raw(), w.constant->nbytes()));
    }
    std::set<std::string> ia, ib;
    for (int v : a.graph.inputs) ia.insert(describe_io(a.graph.value(v)));
    for (int v : b.graph.inputs) ib.insert(describe_io(b.graph.value(v)));
    EXPECT_EQ(ia, ib);
}

TEST(EspdlReader, Edl1TransitionalAndEdl2ContainersHoldTheSameModel) {
    // One model (esp-dl models/human_face_detect s3 msr) published in all three container generations.
    const EspdlModel edl1 = read_espdl(data_path("espdl/human_face_detect_msr_s8_v1.edl1.espdl"));
    const EspdlModel mid = read_espdl(data_path("espdl/human_face_detect_msr_s8_v1.edl1_transitional.espdl"));
    const EspdlModel edl2 = read_espdl(data_path("espdl/human_face_detect_msr_s8_v1.edl2.espdl"));
    EXPECT_EQ(edl2.graph.nodes.size(), 41u);
    EXPECT_EQ(edl2.graph.op_counts(), (std::map<std::string, int>{{"Concat", 2}, {"Conv", 39}}));
    ASSERT_EQ(edl2.graph.inputs.size(), 1u);
    EXPECT_EQ(describe_io(edl2.graph.value(edl2.graph.inputs[0])), "input[1,120,160,3]INT8 e1");
    {
        SCOPED_TRACE("EDL1 vs EDL2");
        expect_same_model_content(edl1, edl2);
    }
    {
        SCOPED_TRACE("transitional vs EDL2");
        expect_same_model_content(mid, edl2);
    }
}

TEST(EspdlReader, ContainerGenerationIsDetected) {
    auto payload = [](const std::string& rel) {
        const std::string path = data_path(rel);
        std::ifstream in(path, std::ios::binary);
        std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        return espdl::open_container(bytes, path, {});
    };
    const auto edl1 = payload("espdl/human_face_detect_msr_s8_v1.edl1.espdl");
    EXPECT_EQ(edl1.container, EspdlContainer::EDL1);
    EXPECT_TRUE(edl1.legacy_raw_data);
    EXPECT_EQ(edl1.flatbuffer.size(), 61564u - 12u);
    const auto mid = payload("espdl/human_face_detect_msr_s8_v1.edl1_transitional.espdl");
    EXPECT_EQ(mid.container, EspdlContainer::EDL1);
    EXPECT_FALSE(mid.legacy_raw_data);
    EXPECT_EQ(mid.flatbuffer.size(), 61200u - 16u);
    const auto edl2 = payload("espdl/human_face_detect_msr_s8_v1.edl2.espdl");
    EXPECT_EQ(edl2.container, EspdlContainer::EDL2);
    EXPECT_FALSE(edl2.legacy_raw_data);
    const auto pack = payload("espdl/human_face_detect.pdl1.espdl");
    EXPECT_EQ(pack.container, EspdlContainer::PDL1);
    EXPECT_TRUE(pack.legacy_raw_data);
}

TEST(EspdlReader, Pdl1PackageSelectsModelsByIndexAndName) {
    const std::string path = data_path("espdl/human_face_detect.pdl1.espdl");
    std::ifstream in(path, std::ios::binary);
    const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(espdl::package_model_names(bytes, path), (std::vector<std::string>{"msr01.espdl", "mnp01.espdl"}));

    const EspdlModel first = read_espdl(path);  // default: the first model
    const EspdlModel standalone = read_espdl(data_path("espdl/human_face_detect_msr_s8_v1.edl2.espdl"));
    expect_same_model_content(first, standalone);

    EspdlReadOptions by_index;
    by_index.model_index = 1;
    EspdlReadOptions by_name;
    by_name.model_name = "mnp01";  // the ".espdl" suffix is optional
    const EspdlModel a = read_espdl(path, by_index);
    const EspdlModel b = read_espdl(path, by_name);
    EXPECT_EQ(a.graph.nodes.size(), 23u);
    expect_same_model_content(a, b);

    EspdlReadOptions bad_index;
    bad_index.model_index = 2;
    EXPECT_THROW(read_espdl(path, bad_index), UserError);
    EspdlReadOptions bad_name;
    bad_name.model_name = "nope.espdl";
    try {
        read_espdl(path, bad_name);
        FAIL() << "expected a UserError";
    } catch (const UserError& e) {
        EXPECT_NE(std::string(e.what()).find("msr01.espdl, mnp01.espdl"), std::string::npos) << e.what();
    }
}

const std::vector<uint8_t> kTestAppKey = {0x8a, 0x7f, 0xc9, 0x61, 0xe4, 0xe6, 0xff, 0x0a,
                                          0xd2, 0x64, 0x36, 0x95, 0x28, 0x75, 0xae, 0x4a};

TEST(EspdlReader, EncryptedEdl1NeedsItsKey) {
    // esp-dl test_apps/dl-models: quantized_320_encry.espdl and the key in main/test_dl_model.cpp.
    const std::string path = data_path("espdl/quantized_320_encry.edl1.espdl");
    try {
        read_espdl(path);
        FAIL() << "expected a UserError";
    } catch (const UserError& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find(path), std::string::npos);
        EXPECT_NE(msg.find("encrypted"), std::string::npos);
        EXPECT_EQ(msg.find('\n'), std::string::npos);
    }
    EspdlReadOptions wrong;
    wrong.key = kTestAppKey;
    (*wrong.key)[0] ^= 1;
    EXPECT_THROW(read_espdl(path, wrong), UserError);
    EspdlReadOptions short_key;
    short_key.key = std::vector<uint8_t>(15, 0);
    EXPECT_THROW(read_espdl(path, short_key), UserError);

    EspdlReadOptions right;
    right.key = kTestAppKey;
    const EspdlModel m = read_espdl(path, right);
    EXPECT_EQ(m.graph.nodes.size(), 135u);
    EXPECT_EQ(m.graph.op_counts().at("Conv"), 98);
    ASSERT_EQ(m.graph.inputs.size(), 1u);
    EXPECT_EQ(describe_io(m.graph.value(m.graph.inputs[0])), "input[320,320,3]INT8 e-6");
    EXPECT_EQ(m.graph.outputs.size(), 8u);
}

TEST(EspdlCrypto, Aes128CtrMatchesNistSp800_38aF51) {
    const auto key = hex_bytes("2b7e151628aed2a6abf7158809cf4f3c");
    const auto counter = hex_bytes("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
    const auto plain = hex_bytes(
        "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52ef");
    const auto cipher = hex_bytes(
        "874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff5ae4df3edbd5d35e5b4f09020db03eab");
    // The second block's counter carries from ...feff to ...ff00: a big-endian 128-bit increment.
    EXPECT_EQ(espdl::aes128_ctr(key, plain.data(), plain.size(), counter.data()), cipher);
    EXPECT_EQ(espdl::aes128_ctr(key, cipher.data(), 20, counter.data()),
              std::vector<uint8_t>(plain.begin(), plain.begin() + 20));
}

TEST(EspdlCrypto, Sha256MatchesFips180Example) {
    const std::string abc = "abc";
    const auto d = espdl::sha256(reinterpret_cast<const uint8_t*>(abc.data()), abc.size());
    EXPECT_EQ(std::vector<uint8_t>(d.begin(), d.end()),
              hex_bytes("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
}

TEST(EspdlReader, MissingFileIsAUserErrorNamingIt) {
    try {
        read_espdl("/nonexistent/dir/model.espdl");
        FAIL();
    } catch (const UserError& e) {
        EXPECT_NE(std::string(e.what()).find("/nonexistent/dir/model.espdl"), std::string::npos);
    }
}

}  // namespace
}  // namespace espq
