// NumPy .npy / .npz reading and writing (format version 1.0-3.0, little-endian, C order).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "espq/tensor.hpp"

namespace espq {

// Supported dtypes: f4 f8 i1 u1 i2 u2 i4 u4 i8 u8 b1. Fortran order, big-endian, object arrays: UserError.
Tensor load_npy(const std::string& path);
Tensor parse_npy(const std::vector<uint8_t>& bytes, const std::string& what);
std::vector<uint8_t> serialize_npy(const Tensor& t);
void save_npy(const std::string& path, const Tensor& t);  // atomic

// .npz: a zip of .npy members (stored or deflated). Returns (name without ".npy", array) in archive order.
std::vector<std::pair<std::string, Tensor>> load_npz(const std::string& path);
// One array of an .npz, by name (with or without ".npy"); an empty name means the first array.
// Only that member is decompressed.
Tensor load_npz_array(const std::string& path, const std::string& name = "");

}  // namespace espq
