// Float images (height x width x channels, channels interleaved) and the operations preprocessing needs:
// decoding (stb_image), bilinear resize matching PyTorch, and colour conversion.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace espq::data {

struct Image {
    int64_t height = 0;
    int64_t width = 0;
    int64_t channels = 0;
    std::vector<float> pixels;  // HWC: pixels[(y * width + x) * channels + c]

    Image() = default;
    Image(int64_t h, int64_t w, int64_t c) : height(h), width(w), channels(c), pixels(static_cast<size_t>(h * w * c)) {}
    float& at(int64_t y, int64_t x, int64_t c) { return pixels[static_cast<size_t>((y * width + x) * channels + c)]; }
    float at(int64_t y, int64_t x, int64_t c) const {
        return pixels[static_cast<size_t>((y * width + x) * channels + c)];
    }
};

// File extensions decoded as images (case-insensitive): png jpg jpeg bmp pgm ppm pnm.
bool has_image_extension(const std::string& path);

struct ImageInfo {
    int64_t height = 0;
    int64_t width = 0;
    int64_t channels = 0;  // 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA
};
// Reads only the image header. UserError naming the file when it is not a readable image.
ImageInfo probe_image(const std::string& path);
// Decodes to 8-bit values 0..255 (16-bit files are reduced to 8 bits), in the file's own channel count.
Image decode_image(const std::string& path);

// Bilinear resize with PyTorch's F.interpolate(mode='bilinear', align_corners=False, antialias=False)
// semantics and float arithmetic: source coordinate (dst + 0.5) * in / out - 0.5, clamped at 0, edge pixels
// repeated.
Image resize_bilinear(const Image& in, int64_t out_height, int64_t out_width);

// Colour conversions; alpha channels are dropped (not composited).
// Grey: ITU-R BT.601 luma L = R*299/1000 + G*587/1000 + B*114/1000 (PIL's "L" formula, kept in float
// instead of rounded to an integer).
Image to_grayscale(const Image& in);
Image to_rgb(const Image& in);  // grey is replicated to three channels
Image to_bgr(const Image& in);

}  // namespace espq::data
