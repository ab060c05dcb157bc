// Reading and writing ESP-DL model files (.espdl), and the .info / .json side files.
//
// In memory an .espdl model is an espq Graph with Semantics::EspdlQuantized:
//   - every ValueInfo becomes a Value (dtype = elem_type, shape = stored NHWC dims, exponents as stored);
//   - every initializer becomes a constant Value whose Tensor holds exactly numel elements of its data_type
//     (the 16-byte raw_data padding is dropped; typed *_data fields are converted), its `exponents` and its
//     `doc_string` ("layout ==> ..."). Weights stay in their stored (blocked) layout; src/espdl/layout.hpp
//     converts between blocked and plain layouts;
//   - nodes keep op_type, name, inputs/outputs (missing optional inputs are kNoValue) and attributes
//     (INT -> int64, FLOAT -> float, STRING bytes -> std::string, INTS, FLOATS, STRINGS, TENSOR -> Tensor).
// Test vectors embedded in the file live beside the graph in EspdlModel.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "espq/atomic_files.hpp"  // .espdl images are written to disk with write_file_atomic
#include "espq/ir.hpp"

namespace espq {

struct NamedTensor {
    std::string name;
    Tensor tensor;
    std::vector<int64_t> exponents;
};

struct EspdlModel {
    Graph graph;                       // semantics = EspdlQuantized
    int64_t model_version = 0;
    std::string doc_string;
    std::vector<NamedTensor> test_inputs;
    std::vector<NamedTensor> test_outputs;
    bool has_test_values = false;      // test_inputs_value / test_outputs_value fields present (maybe empty)
};

struct EspdlReadOptions {
    std::optional<std::vector<uint8_t>> key;  // 16-byte AES-128 key for encrypted (mode 1) files
    std::string model_name;                   // for PDL packs: select by file name ...
    int model_index = -1;                     // ... or by index (default: the only / first model)
};

enum class EspdlContainer { EDL1, EDL2, PDL1, PDL2, PDL3 };

// Parses a model file from bytes or a path. Every structural problem (bad magic, size field beyond the file,
// FlatBuffers verifier failure, offsets outside the buffer, encrypted without key) is a UserError that names
// the file and what is wrong; the reader never crashes on malformed input.
EspdlModel read_espdl(const std::string& path, const EspdlReadOptions& options = {});
EspdlModel read_espdl_bytes(const std::vector<uint8_t>& bytes, const std::string& what,
                            const EspdlReadOptions& options = {});

// Serialises to an EDL2 file image (16-byte header + FlatBuffer, 16-byte aligned raw data). Deterministic.
// Initializers are written in graph.values order of the constants, value_info in the order of the other values
// (details in src/espdl/writer.cpp); graph.opset_imports is not written (ESP-PPQ writes an empty opset_import).
std::vector<uint8_t> write_espdl_bytes(const EspdlModel& model);

// Turns a plain EDL2 image into an encrypted one (mode 1, AES-128-CTR with ESP-DL's counter block) with a
// 16-byte key; read it back with EspdlReadOptions::key.
std::vector<uint8_t> encrypt_espdl_bytes(const std::vector<uint8_t>& edl2, const std::vector<uint8_t>& key);

// Human-readable dump in ESP-PPQ's .info layout (docs/espdl-file-format.md §5; no trailing newline).
std::string format_espdl_info(const EspdlModel& model);

}  // namespace espq
