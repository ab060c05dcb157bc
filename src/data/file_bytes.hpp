// Whole-file reads shared by the data loaders (writes: espq/atomic_files.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace espq::data {

// Reads a whole file; UserError "cannot read <what> '<path>': <reason>" when it cannot be opened or read.
std::vector<uint8_t> read_file_bytes(const std::string& path, const std::string& what);

}  // namespace espq::data
