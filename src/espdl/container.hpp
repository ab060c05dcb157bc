// The byte containers around an .espdl FlatBuffer (docs/espdl-file-format.md §1): EDL2 / EDL1 headers, AES-128-CTR
// encryption and the PDL1/PDL2/PDL3 multi-model packages.
#pragma once

#include <flatbuffers/flatbuffers.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "espq/espdl.hpp"

namespace espq::espdl {

constexpr size_t kEdl2HeaderSize = 16;
constexpr size_t kEdl1HeaderSize = 12;
constexpr size_t kAesKeySize = 16;
constexpr size_t kPdl3HeaderSize = 60;

// One model's FlatBuffer, decrypted and copied to its own (malloc-aligned) buffer, and verified with the
// FlatBuffers Verifier of the schema generation it belongs to.
struct Payload {
    std::vector<uint8_t> flatbuffer;
    EspdlContainer container = EspdlContainer::EDL2;  // of the outermost container
    bool legacy_raw_data = false;  // EDL1 schema: Tensor.raw_data is a plain [uint8] (else [AlignedBytes])
    std::string what;              // file name for messages, plus the model's name inside a package
};

// Finds the model selected by `options` in a file image, decrypts it with options.key when needed and verifies
// the FlatBuffer. Every structural problem is a UserError that starts with `what`.
Payload open_container(const std::vector<uint8_t>& file, const std::string& what, const EspdlReadOptions& options);

// Names of the models in a PDL package, in entry order; a single-model file gives an empty list.
std::vector<std::string> package_model_names(const std::vector<uint8_t>& file, const std::string& what);

// AES-128 in CTR mode, big-endian 128-bit counter increment; the initial counter block is ESP-DL's
// 0x10, 0x11, ..., 0x1F unless another is given. Encryption and decryption are the same operation.
std::vector<uint8_t> aes128_ctr(const std::vector<uint8_t>& key, const uint8_t* data, size_t size,
                                const uint8_t* initial_counter = nullptr);

std::array<uint8_t, 32> sha256(const uint8_t* data, size_t size);

// PDL3's digest: SHA-256 of package[0, size) with the 32 digest bytes at offset 24 taken as zeros.
std::array<uint8_t, 32> pdl3_digest(const uint8_t* package, size_t size);

// The elements of a FlatBuffers scalar vector (empty when absent), copied byte-wise. FlatBuffers 2.0.8's Verifier
// checks a vector's alignment only to 4 bytes, so in a damaged file an [int64] / [float64] vector may sit at an
// address that is not 8-aligned; reading it through Vector::Get would be a misaligned (undefined) load.
template <typename T>
std::vector<T> vector_values(const flatbuffers::Vector<T>* v) {
    std::vector<T> out(v ? v->size() : 0);
    if (!out.empty()) std::memcpy(out.data(), v->Data(), out.size() * sizeof(T));
    return out;
}

// True when `flatbuffer` passes the Verifier of the given schema generation (and holds a graph).
bool verify_model_buffer(const uint8_t* flatbuffer, size_t size, bool legacy_raw_data);

}  // namespace espq::espdl
