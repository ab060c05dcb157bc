// .npz reading: a zip archive whose members are .npy files (numpy.savez stores them, savez_compressed deflates).
#include <spdlog/spdlog.h>

#include "data/file_bytes.hpp"
#include "data/zip_archive.hpp"
#include "espq/npy.hpp"

namespace espq {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

data::ZipArchive open_npz(const std::string& path) {
    return data::ZipArchive(data::read_file_bytes(path, "numpy archive"), path);
}

// numpy names arrays by member name without ".npy"; other members (np.load would return raw bytes) are skipped.
bool is_array_member(const data::ZipMember& m, const std::string& path) {
    if (ends_with(m.name, ".npy")) return true;
    spdlog::debug("{}: skipping member '{}' (not a .npy array)", path, m.name);
    return false;
}

std::string array_name(const data::ZipMember& m) { return m.name.substr(0, m.name.size() - 4); }

}  // namespace

std::vector<std::pair<std::string, Tensor>> load_npz(const std::string& path) {
    const data::ZipArchive zip = open_npz(path);
    std::vector<std::pair<std::string, Tensor>> arrays;
    for (const data::ZipMember& m : zip.members()) {
        if (!is_array_member(m, path)) continue;
        arrays.emplace_back(array_name(m), parse_npy(zip.extract(m), path + ":" + array_name(m)));
    }
    return arrays;
}

Tensor load_npz_array(const std::string& path, const std::string& name) {
    const data::ZipArchive zip = open_npz(path);
    std::string available;
    for (const data::ZipMember& m : zip.members()) {
        if (!is_array_member(m, path)) continue;
        if (name.empty() || array_name(m) == name || m.name == name)
            return parse_npy(zip.extract(m), path + ":" + array_name(m));
        available += (available.empty() ? "" : ", ") + array_name(m);
    }
    if (name.empty()) fail("numpy archive '" + path + "' contains no arrays");
    fail("numpy archive '" + path + "' has no array '" + name + "' (it has: " + available + ")");
}

}  // namespace espq
