// Image decoding through stb_image (libstb-dev). The implementation is compiled here, static to this file, so
// it cannot clash with the copy in libstb.so that pkg-config also links.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <memory>

#include "data/file_bytes.hpp"
#include "data/image.hpp"
#include "espq/error.hpp"

#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#define STBI_ONLY_BMP
#define STBI_ONLY_PNM
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#include <stb/stb_image.h>
#pragma GCC diagnostic pop

namespace espq::data {
namespace {

std::string failure_reason() {
    const char* why = stbi_failure_reason();
    return why ? why : "unknown error";
}

}  // namespace

bool has_image_extension(const std::string& path) {
    const size_t dot = path.find_last_of('.');
    if (dot == std::string::npos || path.find('/', dot) != std::string::npos) return false;
    std::string ext = path.substr(dot + 1);
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
    return ext == "png" || ext == "jpg" || ext == "jpeg" || ext == "bmp" || ext == "pgm" || ext == "ppm" ||
           ext == "pnm";
}

ImageInfo probe_image(const std::string& path) {
    std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
    if (!file) fail("cannot read image '" + path + "': cannot open it");
    int w = 0, h = 0, c = 0;
    if (!stbi_info_from_file(file.get(), &w, &h, &c))
        fail("cannot read image '" + path + "': " + failure_reason() +
             " (supported: PNG, JPEG, BMP, PGM/PPM); remove or convert it");
    return {h, w, c};
}

Image decode_image(const std::string& path) {
    const std::vector<uint8_t> bytes = read_file_bytes(path, "image");
    if (bytes.size() > static_cast<size_t>(INT32_MAX)) fail("cannot read image '" + path + "': file too large");
    int w = 0, h = 0, c = 0;
    std::unique_ptr<stbi_uc, void (*)(void*)> decoded(
        stbi_load_from_memory(bytes.data(), static_cast<int>(bytes.size()), &w, &h, &c, 0), &stbi_image_free);
    if (!decoded)
        fail("cannot read image '" + path + "': " + failure_reason() +
             " (supported: PNG, JPEG, BMP, PGM/PPM); remove or convert it");
    Image img(h, w, c);
    std::copy(decoded.get(), decoded.get() + img.pixels.size(), img.pixels.begin());
    return img;
}

}  // namespace espq::data
