// Malformed .espdl input: every problem must be a one-line UserError naming the file, never a crash or another
// exception type. Includes a deterministic corruption/truncation fuzz loop over real files (also run under
// ASan + UBSan), hand-built FlatBuffers with semantic faults, and PDL2/PDL3 packages built here.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <random>

#include "espdl/container.hpp"
#include "espdl_compare.hpp"
#include "espdl_generated.h"
#include "espq/espdl.hpp"
#include "support.hpp"

namespace espq {
namespace {

using test::data_path;
namespace fb = flatbuffers;

std::vector<uint8_t> read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void put_u32(std::vector<uint8_t>& b, size_t at, uint32_t v) {
    for (int i = 0; i < 4; ++i) b[at + i] = static_cast<uint8_t>(v >> (8 * i));
}

uint32_t u32_at(const std::vector<uint8_t>& b, size_t at) {
    return b[at] | b[at + 1] << 8 | b[at + 2] << 16 | static_cast<uint32_t>(b[at + 3]) << 24;
}

// Expects a UserError whose one-line message names `what` and contains `needle`.
void expect_user_error(const std::vector<uint8_t>& bytes, const std::string& what, const std::string& needle,
                       const EspdlReadOptions& options = {}) {
    try {
        read_espdl_bytes(bytes, what, options);
        ADD_FAILURE() << "expected a UserError containing '" << needle << "'";
    } catch (const UserError& e) {
        const std::string msg = e.what();
        EXPECT_EQ(msg.rfind(what, 0), 0u) << msg;
        EXPECT_NE(msg.find(needle), std::string::npos) << msg;
        EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    }
}

const char* kGemm = "oracle/c/Gemm__linear_ishap_1_16_kshap_16_16_relu_s8__7fbcd94a.espdl";

TEST(EspdlMalformed, HeaderProblemsAreNamed) {
    const std::vector<uint8_t> good = read_bytes(data_path(kGemm));
    ASSERT_GT(good.size(), 100u);
    for (size_t n = 0; n < 16; ++n)
        expect_user_error(std::vector<uint8_t>(good.begin(), good.begin() + n), "m.espdl", "truncated");

    auto bad_magic = good;
    std::memcpy(bad_magic.data(), "ONNX", 4);
    expect_user_error(bad_magic, "m.espdl", "magic 'ONNX'");
    bad_magic[0] = 0;
    expect_user_error(bad_magic, "m.espdl", "magic '\\x00NNX'");

    auto too_big = good;
    put_u32(too_big, 8, static_cast<uint32_t>(good.size() - 16 + 1));
    expect_user_error(too_big, "m.espdl", "truncated");
    put_u32(too_big, 8, 0xffffffffu);
    expect_user_error(too_big, "m.espdl", "truncated");

    expect_user_error(std::vector<uint8_t>(good.begin(), good.end() - 1), "m.espdl", "truncated");

    auto zero = good;
    put_u32(zero, 8, 0);
    expect_user_error(zero, "m.espdl", "size field is 0");

    auto mode = good;
    put_u32(mode, 4, 7);
    expect_user_error(mode, "m.espdl", "encryption mode 7");

    // A size field smaller than the payload cuts the FlatBuffer: its offsets then point outside the buffer.
    auto short_size = good;
    put_u32(short_size, 8, 64);
    expect_user_error(short_size, "m.espdl", "verification");
}

TEST(EspdlMalformed, EncryptedWithoutKey) {
    const std::vector<uint8_t> plain = write_espdl_bytes(read_espdl(data_path(kGemm)));
    const std::vector<uint8_t> cipher = encrypt_espdl_bytes(plain, std::vector<uint8_t>(16, 0x5a));
    expect_user_error(cipher, "secret.espdl", "encrypted");
    EspdlReadOptions wrong;
    wrong.key = std::vector<uint8_t>(16, 0x5b);
    expect_user_error(cipher, "secret.espdl", "key", wrong);
}

// Reads a corrupted image: it must parse or throw UserError; anything parsed must also write and print.
void read_must_not_crash(const std::vector<uint8_t>& bytes, int& parsed, int& rejected) {
    try {
        const EspdlModel m = read_espdl_bytes(bytes, "fuzz.espdl");
        const auto rewritten = write_espdl_bytes(m);
        read_espdl_bytes(rewritten, "fuzz-rewritten.espdl");
        EXPECT_FALSE(format_espdl_info(m).empty());
        ++parsed;
    } catch (const UserError& e) {
        const std::string msg = e.what();
        EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
        ++rejected;
    }
}

TEST(EspdlMalformed, CorruptionsAndTruncationsNeverCrash) {
    std::mt19937 rng(12345);  // fixed seed: the same corruptions every run
    const std::vector<std::string> files = {kGemm, "oracle/esp32s3/streaming_tcn.espdl",
                                            "espdl/human_face_detect_msr_s8_v1.edl1.espdl"};
    const uint32_t words[] = {0, 1, 4, 0x7fffffffu, 0x80000000u, 0xffffffffu, 0xfffffff0u, 0x00010000u};
    int parsed = 0, rejected = 0;
    for (const auto& rel : files) {
        SCOPED_TRACE(rel);
        const std::vector<uint8_t> good = read_bytes(data_path(rel));
        // Half of the positions near either end of the file, where the builders put the tables, vtables and
        // offsets (the middle is mostly raw_data, whose corruption only changes values).
        auto position = [&] {
            const size_t edge = std::min<size_t>(good.size(), 2048);
            switch (rng() % 4) {
                case 0: return rng() % edge;
                case 1: return good.size() - 1 - rng() % edge;
                default: return rng() % good.size();
            }
        };
        for (int i = 0; i < 700; ++i) {
            std::vector<uint8_t> b = good;
            const int edits = 1 + static_cast<int>(rng() % 3);
            for (int k = 0; k < edits; ++k) {
                const size_t at = position();
                const size_t word = at & ~size_t{3};
                const bool has_word = word + 4 <= b.size();
                switch (rng() % 4) {
                    case 0: b[at] = static_cast<uint8_t>(rng()); break;
                    case 1:
                        if (has_word)
                            put_u32(b, word, rng() % 2 ? words[rng() % 8] : static_cast<uint32_t>(rng() % 256));
                        break;
                    case 2: b[at] ^= static_cast<uint8_t>(1u << (rng() % 8)); break;
                    case 3:  // shift an offset by one word: misaligns 8-byte vectors and overlaps objects
                        if (has_word) put_u32(b, word, u32_at(b, word) + (rng() % 2 ? 4u : -4u));
                        break;
                }
            }
            if (i % 8 == 7) b.resize(rng() % b.size());
            read_must_not_crash(b, parsed, rejected);
        }
    }
    std::printf("[ info ] fuzz: %d parsed, %d rejected with UserError\n", parsed, rejected);
    EXPECT_GT(rejected, 200);
    EXPECT_GT(parsed, 100);
}

// ---- hand-built FlatBuffers with semantic faults ----

struct Builder {
    fb::FlatBufferBuilder b;
    std::vector<fb::Offset<fbs::Tensor>> inits;
    std::vector<fb::Offset<fbs::ValueInfo>> infos, inputs, outputs;
    std::vector<fb::Offset<fbs::Node>> nodes;

    fb::Offset<fbs::ValueInfo> info(const std::string& name) {
        std::vector<fb::Offset<fbs::Dimension>> dims;
        for (int64_t d : {1, 4})
            dims.push_back(fbs::CreateDimension(b, fbs::CreateDimensionValue(b, fbs::DimensionValueType::VALUE, d)));
        const auto shape = fbs::CreateTensorShape(b, b.CreateVector(dims));
        const auto tt = fbs::CreateTensorTypeAndShape(b, fbs::TensorDataType::INT8, shape);
        const auto type = fbs::CreateTypeInfo(b, fbs::TypeInfoValue::tensor_type, tt.Union());
        return fbs::CreateValueInfo(b, b.CreateString(name), type, 0, b.CreateVector(std::vector<int64_t>{-7}));
    }
    void value(const std::string& name) { infos.push_back(info(name)); }
    void input(const std::string& name) {
        inputs.push_back(info(name));
        infos.push_back(inputs.back());
    }
    void output(const std::string& name) { outputs.push_back(info(name)); }
    void init(const std::string& name, int32_t dtype, std::vector<int64_t> dims, size_t raw_chunks) {
        fbs::AlignedBytes* raw = nullptr;
        const auto raw_vec = b.CreateUninitializedVectorOfStructs<fbs::AlignedBytes>(raw_chunks, &raw);
        if (raw_chunks) std::memset(reinterpret_cast<uint8_t*>(raw), 0, raw_chunks * 16);
        const auto dims_vec = b.CreateVector(dims);
        const auto n = b.CreateString(name);
        fbs::TensorBuilder t(b);
        t.add_name(n);
        t.add_dims(dims_vec);
        t.add_data_type(static_cast<fbs::TensorDataType>(dtype));
        t.add_raw_data(raw_vec);
        inits.push_back(t.Finish());
    }
    void node(const std::string& name, const std::vector<std::string>& in, const std::vector<std::string>& out) {
        auto strings = [&](const std::vector<std::string>& v) {
            std::vector<fb::Offset<fb::String>> s;
            for (const auto& x : v) s.push_back(b.CreateString(x));
            return b.CreateVector(s);
        };
        const auto i = strings(in), o = strings(out);
        nodes.push_back(fbs::CreateNode(b, i, o, b.CreateString(name), b.CreateString("Relu")));
    }
    std::vector<uint8_t> finish() {
        const auto g = fbs::CreateGraph(b, b.CreateVector(nodes), b.CreateString("g"), b.CreateVector(inits), 0,
                                        b.CreateVector(inputs), b.CreateVector(outputs), b.CreateVector(infos));
        b.Finish(fbs::CreateModel(b, 8, 0, 0, 0, 0, 0, 0, g));
        std::vector<uint8_t> file(16 + b.GetSize(), 0);
        std::memcpy(file.data(), "EDL2", 4);
        put_u32(file, 8, b.GetSize());
        std::memcpy(file.data() + 16, b.GetBufferPointer(), b.GetSize());
        return file;
    }
};

TEST(EspdlMalformed, NodeOutputWithoutValueInfoBecomesAnUnknownValue) {
    Builder m;
    m.input("x");
    m.node("a", {"x"}, {"hidden"});  // "hidden" has no value_info entry
    m.node("b", {"hidden"}, {"y"});
    m.value("y");
    m.output("y");
    const EspdlModel model = read_espdl_bytes(m.finish(), "hidden.espdl");
    const int h = model.graph.find("hidden");
    ASSERT_GE(h, 0);
    EXPECT_EQ(model.graph.value(h).dtype, DType::Undefined);
    EXPECT_FALSE(model.graph.value(h).shape_known);
    EXPECT_EQ(model.graph.nodes[1].inputs[0], h);
}

TEST(EspdlMalformed, SemanticFaultsAreUserErrors) {
    {
        Builder m;
        m.input("x");
        m.node("a", {"x", "nowhere"}, {"y"});
        m.value("y");
        m.output("y");
        expect_user_error(m.finish(), "dangling.espdl", "'nowhere'");
    }
    {
        Builder m;
        m.input("x");
        m.init("w", 3, {4}, 1);
        m.init("w", 3, {4}, 1);
        m.node("a", {"x", "w"}, {"y"});
        m.value("y");
        m.output("y");
        expect_user_error(m.finish(), "dup.espdl", "two initializers are named 'w'");
    }
    {
        Builder m;
        m.input("x");
        m.value("x");
        expect_user_error(m.finish(), "dupvi.espdl", "value_info 'x'");
    }
    {
        Builder m;
        m.input("x");
        m.init("w", 42, {4}, 1);
        m.node("a", {"x", "w"}, {"y"});
        m.value("y");
        m.output("y");
        expect_user_error(m.finish(), "dtype.espdl", "unknown data_type 42");
    }
    {
        Builder m;
        m.input("x");
        m.init("w", 6, {8}, 1);  // INT32 x 8 = 32 bytes, one 16-byte chunk given
        m.node("a", {"x", "w"}, {"y"});
        m.value("y");
        m.output("y");
        expect_user_error(m.finish(), "short.espdl", "raw_data");
    }
    {
        Builder m;
        m.input("x");
        m.init("w", 3, {-4}, 1);
        m.node("a", {"x", "w"}, {"y"});
        m.value("y");
        m.output("y");
        expect_user_error(m.finish(), "neg.espdl", "negative dimension");
    }
    {
        Builder m;
        m.input("x");
        m.init("w", 3, {1 << 20, 1 << 20, 1 << 20}, 1);
        m.node("a", {"x", "w"}, {"y"});
        m.value("y");
        m.output("y");
        expect_user_error(m.finish(), "huge.espdl", "more data than the file holds");
    }
    {
        Builder m;
        m.input("x");
        m.node("a", {"x"}, {"y"});
        m.node("a", {"y"}, {"z"});
        m.value("y");
        m.value("z");
        m.output("z");
        expect_user_error(m.finish(), "dupnode.espdl", "two nodes are named 'a'");
    }
    {
        Builder m;
        m.input("x");
        m.node("a", {"x"}, {"y"});
        m.node("b", {"x"}, {"y"});
        m.value("y");
        m.output("y");
        expect_user_error(m.finish(), "twoprod.espdl", "produced by two nodes");
    }
    {
        Builder m;
        m.input("x");
        m.node("a", {"z"}, {"y"});
        m.node("b", {"y"}, {"z"});
        m.value("y");
        m.value("z");
        m.output("z");
        expect_user_error(m.finish(), "cycle.espdl", "cycle");
    }
}

TEST(EspdlMalformed, NodesOutOfOrderAreSorted) {
    Builder m;
    m.input("x");
    m.node("second", {"mid"}, {"y"});
    m.node("first", {"x"}, {"mid"});
    m.value("mid");
    m.value("y");
    m.output("y");
    const EspdlModel model = read_espdl_bytes(m.finish(), "order.espdl");
    ASSERT_EQ(model.graph.nodes.size(), 2u);
    EXPECT_EQ(model.graph.nodes[0].name, "first");
    EXPECT_EQ(model.graph.nodes[1].name, "second");
}

// ---- PDL2 / PDL3 packages built here (layout of docs/espdl-file-format.md §1.4) ----

std::vector<uint8_t> pack(const std::string& magic, const std::vector<std::pair<std::string, std::vector<uint8_t>>>& models) {
    const bool pdl3 = magic == "PDL3";
    const size_t header = pdl3 ? espdl::kPdl3HeaderSize : 8;
    size_t names = 0;
    for (const auto& [name, bytes] : models) names += name.size();
    size_t data = (header + 12 * models.size() + names + 15) / 16 * 16;
    std::vector<uint8_t> out(data, 0);
    std::memcpy(out.data(), magic.data(), 4);
    if (pdl3) {
        std::memcpy(out.data() + 4, "v1.0", 4);
        put_u32(out, 56, static_cast<uint32_t>(models.size()));
    } else {
        put_u32(out, 4, static_cast<uint32_t>(models.size()));
    }
    size_t name_at = header + 12 * models.size();
    for (size_t i = 0; i < models.size(); ++i) {
        const auto& [name, bytes] = models[i];
        put_u32(out, header + 12 * i, static_cast<uint32_t>(out.size()));
        put_u32(out, header + 12 * i + 4, static_cast<uint32_t>(name_at));
        put_u32(out, header + 12 * i + 8, static_cast<uint32_t>(name.size()));
        std::memcpy(out.data() + name_at, name.data(), name.size());
        name_at += name.size();
        out.insert(out.end(), bytes.begin(), bytes.end());
        out.resize((out.size() + 15) / 16 * 16, 0);
    }
    if (pdl3) {
        put_u32(out, 20, static_cast<uint32_t>(out.size()));
        const auto digest = espdl::sha256(out.data(), out.size());  // digest field is still zero here
        std::memcpy(out.data() + 24, digest.data(), 32);
    }
    return out;
}

TEST(EspdlPackage, Pdl2AndPdl3RoundTrip) {
    const EspdlModel gemm = read_espdl(data_path(kGemm));
    const EspdlModel tcn = read_espdl(data_path("oracle/esp32s3/streaming_tcn.espdl"));
    const std::vector<std::pair<std::string, std::vector<uint8_t>>> models = {
        {"gemm.espdl", write_espdl_bytes(gemm)}, {"tcn.espdl", write_espdl_bytes(tcn)}};
    for (const std::string magic : {"PDL2", "PDL3"}) {
        SCOPED_TRACE(magic);
        const std::vector<uint8_t> p = pack(magic, models);
        EXPECT_EQ(espdl::package_model_names(p, "p"), (std::vector<std::string>{"gemm.espdl", "tcn.espdl"}));
        test::expect_same_model(gemm, read_espdl_bytes(p, "p"));
        EspdlReadOptions second;
        second.model_index = 1;
        test::expect_same_model(tcn, read_espdl_bytes(p, "p", second));
        EspdlReadOptions by_name;
        by_name.model_name = "tcn.espdl";
        test::expect_same_model(tcn, read_espdl_bytes(p, "p", by_name));
        EXPECT_EQ(espdl::open_container(p, "p", {}).container,
                  magic == "PDL2" ? EspdlContainer::PDL2 : EspdlContainer::PDL3);

        auto bad_entry = p;
        put_u32(bad_entry, (magic == "PDL3" ? 60 : 8) + 12, 0x7fffffffu);
        if (magic == "PDL3") {  // keep the digest valid so the entry check is what fires
            std::memset(bad_entry.data() + 24, 0, 32);
            const auto d = espdl::pdl3_digest(bad_entry.data(), bad_entry.size());
            std::memcpy(bad_entry.data() + 24, d.data(), 32);
        }
        expect_user_error(bad_entry, "p", "outside the file");
        expect_user_error(std::vector<uint8_t>(p.begin(), p.begin() + 10), "p", "package");
        if (magic == "PDL3") {
            auto corrupt = p;
            corrupt.back() ^= 1;
            expect_user_error(corrupt, "p", "SHA-256");
            auto too_long = p;
            put_u32(too_long, 20, static_cast<uint32_t>(p.size() + 16));
            expect_user_error(too_long, "p", "package_size");
        }
    }
}

}  // namespace
}  // namespace espq
