// Container layer of .espdl files (docs/espdl-file-format.md §1). Everything here works on untrusted bytes: every
// length and offset is checked against the bytes actually present before it is used, with 64-bit arithmetic.
#include "espdl/container.hpp"

#include <nettle/aes.h>
#include <nettle/ctr.h>
#include <nettle/sha2.h>

#include <algorithm>
#include <cstring>

#include "espdl_edl1_generated.h"
#include "espdl_generated.h"

namespace espq::espdl {
namespace {

uint32_t read_u32(const uint8_t* p) {
    return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 | static_cast<uint32_t>(p[2]) << 16 |
           static_cast<uint32_t>(p[3]) << 24;
}

std::string printable_magic(const uint8_t* p, size_t n) {
    std::string s;
    for (size_t i = 0; i < n; ++i) {
        const char c = static_cast<char>(p[i]);
        if (c >= 0x20 && c < 0x7f) {
            s += c;
        } else {
            static const char* hex = "0123456789abcdef";
            s += "\\x";
            s += hex[p[i] >> 4];
            s += hex[p[i] & 15];
        }
    }
    return s;
}

// A read-only view of the bytes of one container level.
struct Bytes {
    const uint8_t* data;
    size_t size;
};

// ---- raw_data plausibility, used to tell the EDL1 schema generations apart ----

// Bytes the tensor's dims and data type call for, or SIZE_MAX when unknown / absurd.
template <typename TensorT>
size_t expected_raw_bytes(const TensorT* t) {
    const int32_t type = static_cast<int32_t>(t->data_type());
    if (type < 0 || type > static_cast<int32_t>(DType::UInt64)) return SIZE_MAX;
    const size_t elem = dtype_size(static_cast<DType>(type));
    if (elem == 0) return SIZE_MAX;
    uint64_t n = 1;
    for (int64_t d : vector_values(t->dims())) {
        if (d < 0 || (d > 0 && n > (uint64_t{1} << 40) / static_cast<uint64_t>(d))) return SIZE_MAX;
        n *= static_cast<uint64_t>(d);
    }
    return static_cast<size_t>(n * elem);
}

template <typename TensorT>
bool raw_size_plausible(const TensorT* t, bool legacy) {
    if (!t || !t->raw_data()) return true;
    const size_t want = expected_raw_bytes(t);
    if (want == SIZE_MAX) return false;
    if (legacy) return t->raw_data()->size() == want;
    const size_t have = static_cast<size_t>(t->raw_data()->size()) * 16;
    return have >= want && have - want < 16;
}

template <typename TensorVec>
bool all_raw_sizes_plausible(const TensorVec* tensors, bool legacy) {
    if (!tensors) return true;
    for (const auto* t : *tensors)
        if (!raw_size_plausible(t, legacy)) return false;
    return true;
}

// The two schema generations differ only in Tensor.raw_data; a buffer of one generation can pass the other's
// Verifier by accident (a [uint8] length read as a count of 16-byte chunks may still fit in a large buffer),
// so the choice also requires every initializer and test tensor to hold the bytes its dims call for.
template <typename ModelT>
bool raw_data_matches(const ModelT* model, bool legacy) {
    const auto* g = model->graph();
    return all_raw_sizes_plausible(g->initializer(), legacy) && all_raw_sizes_plausible(g->test_inputs_value(), legacy) &&
           all_raw_sizes_plausible(g->test_outputs_value(), legacy);
}

bool plausible_model(const uint8_t* fb, size_t size, bool legacy) {
    if (!verify_model_buffer(fb, size, legacy)) return false;
    return legacy ? raw_data_matches(fbs_edl1::GetModel(fb), true) : raw_data_matches(fbs::GetModel(fb), false);
}

// ---- EDL1 / EDL2 single-model files ----

Payload open_single(Bytes file, const std::string& what, const EspdlReadOptions& options) {
    const bool edl2 = std::memcmp(file.data, "EDL2", 4) == 0;
    if (file.size < kEdl1HeaderSize || (edl2 && file.size < kEdl2HeaderSize))
        fail(what + ": truncated header (" + std::to_string(file.size) + " bytes; an " + (edl2 ? "EDL2" : "EDL1") +
             " model starts with a " + std::to_string(edl2 ? kEdl2HeaderSize : kEdl1HeaderSize) +
             "-byte header); the file is damaged or incomplete");
    const uint32_t mode = read_u32(file.data + 4);
    const uint64_t size = read_u32(file.data + 8);
    if (mode > 1)
        fail(what + ": unknown encryption mode " + std::to_string(mode) +
             " in the header (0 = plain, 1 = AES-128-CTR); the file is damaged or from a newer ESP-DL");
    if (size == 0) fail(what + ": the header's size field is 0; the model payload is missing");

    const bool encrypted = mode == 1;
    if (encrypted) {
        if (!options.key)
            fail(what + ": the model is encrypted (AES-128-CTR); pass the 16-byte key that ESP-PPQ printed at export");
        if (options.key->size() != kAesKeySize)
            fail(what + ": the decryption key has " + std::to_string(options.key->size()) +
                 " bytes; an AES-128 key has exactly 16");
    }

    // EDL2: payload at +16. EDL1: at +12, except a transitional generation (Dec 2024) that has the EDL2
    // 16-byte header and aligned raw_data under the EDL1 magic; the payload that verifies decides.
    struct Candidate {
        size_t offset;
        bool legacy;
    };
    static const Candidate kEdl2Layouts[] = {{kEdl2HeaderSize, false}};
    static const Candidate kEdl1Layouts[] = {
        {kEdl2HeaderSize, false}, {kEdl1HeaderSize, true}, {kEdl1HeaderSize, false}, {kEdl2HeaderSize, true}};
    const Candidate* candidates = edl2 ? kEdl2Layouts : kEdl1Layouts;
    const size_t num_candidates = edl2 ? 1 : 4;

    bool any_fits = false;
    for (size_t k = 0; k < num_candidates; ++k) {
        const Candidate& c = candidates[k];
        if (c.offset > file.size || size > file.size - c.offset) continue;
        any_fits = true;
        Payload p;
        p.what = what;
        p.container = edl2 ? EspdlContainer::EDL2 : EspdlContainer::EDL1;
        p.legacy_raw_data = c.legacy;
        const uint8_t* body = file.data + c.offset;
        if (encrypted) p.flatbuffer = aes128_ctr(*options.key, body, size);
        else p.flatbuffer.assign(body, body + size);
        const bool ok = num_candidates == 1
                            ? verify_model_buffer(p.flatbuffer.data(), p.flatbuffer.size(), c.legacy)
                            : plausible_model(p.flatbuffer.data(), p.flatbuffer.size(), c.legacy);
        if (ok) return p;
    }
    if (!any_fits)
        fail(what + ": the header's size field says " + std::to_string(size) + " payload bytes but only " +
             std::to_string(file.size - std::min(file.size, edl2 ? kEdl2HeaderSize : kEdl1HeaderSize)) +
             " follow the header; the file is truncated");
    if (encrypted)
        fail(what + ": the model does not decode with the given key (FlatBuffers verification failed after "
                    "AES-128-CTR decryption); check the key");
    fail(what + ": the model payload failed FlatBuffers verification (offsets or lengths point outside the buffer, "
                "or the schema does not match); the file is damaged or not an ESP-DL model");
}

// ---- PDL packages ----

struct PackEntry {
    std::string name;
    uint64_t data_offset = 0;
};

struct Package {
    EspdlContainer kind;
    size_t end = 0;  // bytes that belong to the package
    std::vector<PackEntry> entries;
};

bool is_package(Bytes file) {
    return file.size >= 4 && (std::memcmp(file.data, "PDL1", 4) == 0 || std::memcmp(file.data, "PDL2", 4) == 0 ||
                              std::memcmp(file.data, "PDL3", 4) == 0);
}

Package parse_package(Bytes file, const std::string& what) {
    Package pkg;
    const char version = static_cast<char>(file.data[3]);
    pkg.kind = version == '1' ? EspdlContainer::PDL1 : version == '2' ? EspdlContainer::PDL2 : EspdlContainer::PDL3;
    const size_t header = pkg.kind == EspdlContainer::PDL3 ? kPdl3HeaderSize : 8;
    const std::string kind = std::string("PDL") + version;
    if (file.size < header)
        fail(what + ": truncated " + kind + " package header (" + std::to_string(file.size) + " bytes, need " +
             std::to_string(header) + ")");
    pkg.end = file.size;
    uint64_t count = 0;
    if (pkg.kind == EspdlContainer::PDL3) {
        const uint64_t package_size = read_u32(file.data + 20);
        if (package_size > file.size)
            fail(what + ": the PDL3 package_size field says " + std::to_string(package_size) + " bytes but the file has " +
                 std::to_string(file.size) + "; the file is truncated");
        if (package_size < header) fail(what + ": the PDL3 package_size field is smaller than the header");
        pkg.end = static_cast<size_t>(package_size);
        const auto digest = pdl3_digest(file.data, pkg.end);
        if (!std::equal(digest.begin(), digest.end(), file.data + 24))
            fail(what + ": the PDL3 package's SHA-256 does not match its contents; the file is damaged");
        count = read_u32(file.data + 56);
    } else {
        count = read_u32(file.data + 4);
    }
    if (count == 0) fail(what + ": the " + kind + " package holds no models");
    if (count > (pkg.end - header) / 12)
        fail(what + ": the " + kind + " package claims " + std::to_string(count) +
             " models, more entries than the file can hold; the file is damaged");
    for (uint64_t i = 0; i < count; ++i) {
        const uint8_t* e = file.data + header + 12 * i;
        PackEntry entry;
        entry.data_offset = read_u32(e);
        const uint64_t name_offset = read_u32(e + 4);
        const uint64_t name_length = read_u32(e + 8);
        if (name_offset > pkg.end || name_length > pkg.end - name_offset || entry.data_offset >= pkg.end)
            fail(what + ": entry " + std::to_string(i) + " of the " + kind +
                 " package points outside the file; the file is damaged");
        entry.name.assign(reinterpret_cast<const char*>(file.data + name_offset), static_cast<size_t>(name_length));
        pkg.entries.push_back(std::move(entry));
    }
    return pkg;
}

std::string strip_espdl_suffix(const std::string& name) {
    const std::string suffix = ".espdl";
    if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
        return name.substr(0, name.size() - suffix.size());
    return name;
}

size_t select_entry(const Package& pkg, const std::string& what, const EspdlReadOptions& options) {
    const size_t n = pkg.entries.size();
    if (!options.model_name.empty()) {
        for (size_t i = 0; i < n; ++i)
            if (pkg.entries[i].name == options.model_name ||
                strip_espdl_suffix(pkg.entries[i].name) == strip_espdl_suffix(options.model_name))
                return i;
        std::string names;
        for (const auto& e : pkg.entries) names += (names.empty() ? "" : ", ") + e.name;
        fail(what + ": the package has no model named '" + options.model_name + "' (it holds: " + names + ")");
    }
    if (options.model_index >= 0) {
        if (static_cast<size_t>(options.model_index) >= n)
            fail(what + ": model index " + std::to_string(options.model_index) + " is out of range; the package holds " +
                 std::to_string(n) + " models (0.." + std::to_string(n - 1) + ")");
        return static_cast<size_t>(options.model_index);
    }
    return 0;
}

void aes_encrypt_blocks(const void* ctx, size_t length, uint8_t* dst, const uint8_t* src) {
    aes128_encrypt(static_cast<const aes128_ctx*>(ctx), length, dst, src);
}

}  // namespace

bool verify_model_buffer(const uint8_t* flatbuffer, size_t size, bool legacy_raw_data) {
    if (size < sizeof(flatbuffers::uoffset_t) || size >= FLATBUFFERS_MAX_BUFFER_SIZE) return false;
    flatbuffers::Verifier verifier(flatbuffer, size);
    if (legacy_raw_data)
        return fbs_edl1::VerifyModelBuffer(verifier) && fbs_edl1::GetModel(flatbuffer)->graph() != nullptr;
    return fbs::VerifyModelBuffer(verifier) && fbs::GetModel(flatbuffer)->graph() != nullptr;
}

std::vector<uint8_t> aes128_ctr(const std::vector<uint8_t>& key, const uint8_t* data, size_t size,
                                const uint8_t* initial_counter) {
    invariant(key.size() == kAesKeySize, "aes128_ctr: key must have 16 bytes");
    std::vector<uint8_t> out(size);
    if (size == 0) return out;
    aes128_ctx ctx;
    aes128_set_encrypt_key(&ctx, key.data());
    uint8_t counter[AES_BLOCK_SIZE];
    for (int i = 0; i < AES_BLOCK_SIZE; ++i)
        counter[i] = initial_counter ? initial_counter[i] : static_cast<uint8_t>(0x10 + i);
    ctr_crypt(&ctx, &aes_encrypt_blocks, AES_BLOCK_SIZE, counter, size, out.data(), data);
    return out;
}

std::array<uint8_t, 32> sha256(const uint8_t* data, size_t size) {
    sha256_ctx ctx;
    sha256_init(&ctx);
    if (size) sha256_update(&ctx, size, data);
    std::array<uint8_t, 32> digest{};
    sha256_digest(&ctx, digest.size(), digest.data());
    return digest;
}

std::array<uint8_t, 32> pdl3_digest(const uint8_t* package, size_t size) {
    invariant(size >= kPdl3HeaderSize, "pdl3_digest: package shorter than its header");
    static const uint8_t zeros[32] = {};
    sha256_ctx ctx;
    sha256_init(&ctx);
    sha256_update(&ctx, 24, package);
    sha256_update(&ctx, 32, zeros);
    sha256_update(&ctx, size - 56, package + 56);
    std::array<uint8_t, 32> digest{};
    sha256_digest(&ctx, digest.size(), digest.data());
    return digest;
}

std::vector<std::string> package_model_names(const std::vector<uint8_t>& file, const std::string& what) {
    const Bytes bytes{file.data(), file.size()};
    if (!is_package(bytes)) return {};
    std::vector<std::string> names;
    for (const auto& e : parse_package(bytes, what).entries) names.push_back(e.name);
    return names;
}

Payload open_container(const std::vector<uint8_t>& file, const std::string& what, const EspdlReadOptions& options) {
    const Bytes bytes{file.data(), file.size()};
    if (bytes.size < 4)
        fail(what + ": truncated header (" + std::to_string(bytes.size) +
             " bytes); an .espdl file starts with a 16-byte EDL2 header");
    if (is_package(bytes)) {
        const Package pkg = parse_package(bytes, what);
        const size_t index = select_entry(pkg, what, options);
        const PackEntry& entry = pkg.entries[index];
        const std::string inner = what + " (model " + std::to_string(index) + " '" + entry.name + "' of the package)";
        const Bytes model{bytes.data + entry.data_offset, pkg.end - static_cast<size_t>(entry.data_offset)};
        if (model.size < 4 || (std::memcmp(model.data, "EDL1", 4) != 0 && std::memcmp(model.data, "EDL2", 4) != 0))
            fail(inner + ": no EDL1/EDL2 model header at offset " + std::to_string(entry.data_offset) +
                 "; the package is damaged");
        Payload p = open_single(model, inner, options);
        p.container = pkg.kind;
        return p;
    }
    if (std::memcmp(bytes.data, "EDL1", 4) != 0 && std::memcmp(bytes.data, "EDL2", 4) != 0)
        fail(what + ": not an ESP-DL model (magic '" + printable_magic(bytes.data, 4) +
             "', expected 'EDL2', 'EDL1' or a 'PDL1/2/3' package)");
    return open_single(bytes, what, options);
}

}  // namespace espq::espdl
