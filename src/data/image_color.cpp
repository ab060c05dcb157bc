#include "data/image.hpp"
#include "espq/error.hpp"

namespace espq::data {
namespace {

// Channels 0..2 of an image with colour (3 or 4 channels), or the grey channel replicated (1 or 2 channels).
template <typename F>
Image map_pixels(const Image& in, int64_t out_channels, F&& f) {
    invariant(in.channels >= 1 && in.channels <= 4, "colour conversion: images have 1 to 4 channels");
    Image out(in.height, in.width, out_channels);
    const bool has_colour = in.channels >= 3;
    for (int64_t y = 0; y < in.height; ++y)
        for (int64_t x = 0; x < in.width; ++x) {
            const float r = in.at(y, x, 0);
            const float g = has_colour ? in.at(y, x, 1) : r;
            const float b = has_colour ? in.at(y, x, 2) : r;
            f(r, g, b, &out.at(y, x, 0));
        }
    return out;
}

}  // namespace

Image to_grayscale(const Image& in) {
    if (in.channels == 1) return in;
    return map_pixels(in, 1, [](float r, float g, float b, float* out) {
        // Grey+alpha input keeps its grey value; in double so integer inputs give the exact quotient.
        out[0] = static_cast<float>((299.0 * r + 587.0 * g + 114.0 * b) / 1000.0);
    });
}

Image to_rgb(const Image& in) {
    if (in.channels == 3) return in;
    return map_pixels(in, 3, [](float r, float g, float b, float* out) {
        out[0] = r;
        out[1] = g;
        out[2] = b;
    });
}

Image to_bgr(const Image& in) {
    return map_pixels(in, 3, [](float r, float g, float b, float* out) {
        out[0] = b;
        out[1] = g;
        out[2] = r;
    });
}

}  // namespace espq::data
