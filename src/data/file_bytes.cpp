#include "data/file_bytes.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "espq/error.hpp"

namespace espq::data {

std::vector<uint8_t> read_file_bytes(const std::string& path, const std::string& what) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec))
        fail("cannot read " + what + " '" + path + "': it is a directory, expected a file");
    std::ifstream in(path, std::ios::binary);
    if (!in) fail("cannot read " + what + " '" + path + "': " + std::strerror(errno));
    in.seekg(0, std::ios::end);
    const std::streamoff size = in.tellg();
    if (size < 0) fail("cannot read " + what + " '" + path + "': cannot determine its size");
    in.seekg(0, std::ios::beg);
    std::vector<uint8_t> bytes(static_cast<size_t>(size));
    if (size > 0 && !in.read(reinterpret_cast<char*>(bytes.data()), size))
        fail("cannot read " + what + " '" + path + "': read error");
    return bytes;
}

}  // namespace espq::data
