#include <filesystem>

#include "data/image.hpp"
#include "data/sample_source.hpp"
#include "espq/npy.hpp"

namespace espq::data {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

std::unique_ptr<RawSampleSource> open_sample_source(const std::string& source, const std::string& purpose) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const fs::file_status status = fs::status(source, ec);

    if (fs::is_directory(status)) {
        FolderListing listing = list_data_folder(source);
        if (!listing.images.empty() && !listing.arrays.empty())
            fail(purpose + " folder '" + source + "' holds both images (e.g. '" + listing.images.front() +
                 "') and .npy files (e.g. '" + listing.arrays.front() + "'): keep one kind per folder");
        if (!listing.images.empty()) return make_image_folder_source(source, std::move(listing.images));
        if (!listing.arrays.empty()) return make_npy_folder_source(source, std::move(listing.arrays));
        fail(purpose + " folder '" + source +
             "' contains no images (png, jpg, jpeg, bmp, pgm, ppm, pnm) and no .npy files");
    }

    if (fs::is_regular_file(status)) {
        if (ends_with(source, ".npy")) return make_array_source(load_npy(source), source, "", "npy");
        if (ends_with(source, ".npz")) return make_array_source(load_npz_array(source), source, "", "npz");
        if (has_image_extension(source)) {
            const fs::path p(source);
            return make_image_folder_source(p.parent_path().string(), {p.filename().string()});
        }
        fail(purpose + " data '" + source + "' is not a folder, .npy, .npz or image file");
    }

    // "archive.npz:name" selects one array of an archive.
    const size_t split = source.rfind(".npz:");
    if (split != std::string::npos) {
        const std::string path = source.substr(0, split + 4);
        const std::string member = source.substr(split + 5);
        if (fs::is_regular_file(path, ec))
            return make_array_source(load_npz_array(path, member), path, member, "npz");
    }
    fail(purpose + " data '" + source + "' does not exist");
}

}  // namespace espq::data
