// Evaluation labels from a .npy of integers or a text file (see espq/dataset.hpp).
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <string>

#include "data/file_bytes.hpp"
#include "espq/dataset.hpp"
#include "espq/npy.hpp"

namespace espq {
namespace {

std::vector<int64_t> labels_from_npy(const std::string& path) {
    const Tensor t = load_npy(path);
    const bool column = t.rank() == 2 && t.dim(1) == 1;
    check(t.rank() == 1 || column,
          "labels '" + path + "' has shape " + shape_str(t.shape()) + "; labels must be [N] (or [N, 1])");
    check(dtype_is_integer(t.dtype()) && t.dtype() != DType::Bool,
          std::string("labels '") + path + "' holds " + dtype_name(t.dtype()) +
              "; labels must be integers (save arr.astype(np.int64))");
    return t.as_int64s();
}

bool parse_integer(const std::string& s, int64_t& out) {
    if (s.empty()) return false;
    size_t pos = (s[0] == '-' || s[0] == '+') ? 1 : 0;
    if (pos == s.size() || s.size() - pos > 18) return false;
    for (size_t k = pos; k < s.size(); ++k)
        if (!std::isdigit(static_cast<unsigned char>(s[k]))) return false;
    out = std::stoll(s);
    return true;
}

std::vector<int64_t> labels_from_text(const std::string& path, std::vector<std::string>* class_names) {
    const std::vector<uint8_t> bytes = data::read_file_bytes(path, "labels file");
    std::vector<std::string> lines;
    std::string line;
    for (uint8_t b : bytes) {
        if (b == '\n') {
            lines.push_back(line);
            line.clear();
        } else {
            line += static_cast<char>(b);
        }
    }
    if (!line.empty()) lines.push_back(line);
    for (std::string& l : lines) {
        size_t b = 0, e = l.size();
        while (b < e && std::isspace(static_cast<unsigned char>(l[b]))) ++b;
        while (e > b && std::isspace(static_cast<unsigned char>(l[e - 1]))) --e;  // also strips '\r'
        l = l.substr(b, e - b);
    }
    while (!lines.empty() && lines.back().empty()) lines.pop_back();
    for (size_t k = 0; k < lines.size(); ++k)
        check(!lines[k].empty(), "labels file '" + path + "' line " + std::to_string(k + 1) +
                                     " is empty; every sample needs one label per line");

    std::vector<int64_t> labels(lines.size());
    bool all_integers = true;
    for (size_t k = 0; k < lines.size() && all_integers; ++k) all_integers = parse_integer(lines[k], labels[k]);
    if (all_integers) {
        if (class_names) class_names->clear();
        return labels;
    }
    // Class names: the label is the index of the name among the sorted unique names.
    std::vector<std::string> names = lines;
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    for (size_t k = 0; k < lines.size(); ++k)
        labels[k] = std::lower_bound(names.begin(), names.end(), lines[k]) - names.begin();
    if (class_names) *class_names = std::move(names);
    return labels;
}

}  // namespace

std::vector<int64_t> load_labels(const std::string& path, size_t expected_count,
                                 std::vector<std::string>* class_names) {
    std::error_code ec;
    check(!std::filesystem::is_directory(path, ec),
          "labels '" + path + "' is a folder; for one subfolder per class, give that folder as the data itself");
    const bool npy = path.size() >= 4 && path.compare(path.size() - 4, 4, ".npy") == 0;
    if (npy && class_names) class_names->clear();
    std::vector<int64_t> labels = npy ? labels_from_npy(path) : labels_from_text(path, class_names);
    check(labels.size() == expected_count, "labels '" + path + "' has " + std::to_string(labels.size()) +
                                               " entries but the data has " + std::to_string(expected_count) +
                                               " samples; give exactly one label per sample, in the same order");
    for (size_t k = 0; k < labels.size(); ++k)
        check(labels[k] >= 0, "labels '" + path + "' entry " + std::to_string(k) + " is " +
                                  std::to_string(labels[k]) + "; labels must be class indices >= 0");
    return labels;
}

}  // namespace espq
