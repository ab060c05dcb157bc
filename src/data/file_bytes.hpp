// Whole-file reads and atomic writes shared by the data loaders.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace espq::data {

// Reads a whole file; UserError "cannot read <what> '<path>': <reason>" when it cannot be opened or read.
std::vector<uint8_t> read_file_bytes(const std::string& path, const std::string& what);

// Writes to a temporary file next to `path` and renames it over `path`, so readers never see a partial file.
void write_file_atomic(const std::string& path, const std::vector<uint8_t>& bytes, const std::string& what);

}  // namespace espq::data
