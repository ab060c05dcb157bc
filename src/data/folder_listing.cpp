#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>

#include "data/image.hpp"
#include "data/sample_source.hpp"
#include "espq/error.hpp"

namespace espq::data {

FolderListing list_data_folder(const std::string& root) {
    namespace fs = std::filesystem;
    FolderListing out;
    try {
        const fs::path base(root);
        fs::recursive_directory_iterator it(base, fs::directory_options::skip_permission_denied), end;
        for (; it != end; ++it) {
            const fs::path& p = it->path();
            const std::string rel = p.lexically_relative(base).generic_string();
            if (p.filename().string().rfind('.', 0) == 0) {
                // Hidden entries: .DS_Store, ._name resource forks that only look like images, .git, ...
                spdlog::debug("{}: skipping hidden '{}'", root, rel);
                if (it->is_directory()) it.disable_recursion_pending();
                continue;
            }
            if (!it->is_regular_file()) continue;
            if (has_image_extension(rel)) {
                out.images.push_back(rel);
            } else if (rel.size() > 4 && rel.compare(rel.size() - 4, 4, ".npy") == 0) {
                out.arrays.push_back(rel);
            } else {
                spdlog::debug("{}: ignoring '{}' (not an image or .npy file)", root, rel);
            }
        }
    } catch (const fs::filesystem_error& e) {
        fail("cannot list data folder '" + root + "': " + e.code().message());
    }
    std::sort(out.images.begin(), out.images.end());
    std::sort(out.arrays.begin(), out.arrays.end());
    return out;
}

}  // namespace espq::data
