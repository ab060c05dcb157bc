#include <algorithm>

#include "data/image.hpp"
#include "espq/error.hpp"

namespace espq::data {
namespace {

// For one axis: the two source indices and weights of every output index, computed in float exactly as
// PyTorch's CPU kernel does (scale = in/out as float; src = scale * (dst + 0.5) - 0.5, clamped at 0;
// lambda1 = src - floor(src); the second index stays on the last pixel at the edge).
struct AxisTaps {
    std::vector<int64_t> index0, index1;
    std::vector<float> weight0, weight1;
};

AxisTaps linear_taps(int64_t in_size, int64_t out_size) {
    AxisTaps taps;
    const float scale = static_cast<float>(in_size) / static_cast<float>(out_size);
    for (int64_t dst = 0; dst < out_size; ++dst) {
        float src = scale * (static_cast<float>(dst) + 0.5f) - 0.5f;
        if (src < 0.0f) src = 0.0f;
        const int64_t i0 = std::min(static_cast<int64_t>(src), in_size - 1);
        const float lambda1 = std::min(std::max(src - static_cast<float>(i0), 0.0f), 1.0f);
        taps.index0.push_back(i0);
        taps.index1.push_back(i0 < in_size - 1 ? i0 + 1 : i0);
        taps.weight0.push_back(1.0f - lambda1);
        taps.weight1.push_back(lambda1);
    }
    return taps;
}

}  // namespace

Image resize_bilinear(const Image& in, int64_t out_height, int64_t out_width) {
    invariant(in.height > 0 && in.width > 0 && out_height > 0 && out_width > 0, "resize_bilinear: empty image");
    const AxisTaps ty = linear_taps(in.height, out_height);
    const AxisTaps tx = linear_taps(in.width, out_width);
    Image out(out_height, out_width, in.channels);
    for (int64_t y = 0; y < out_height; ++y) {
        const int64_t y0 = ty.index0[y], y1 = ty.index1[y];
        const float wy0 = ty.weight0[y], wy1 = ty.weight1[y];
        for (int64_t x = 0; x < out_width; ++x) {
            const int64_t x0 = tx.index0[x], x1 = tx.index1[x];
            const float wx0 = tx.weight0[x], wx1 = tx.weight1[x];
            for (int64_t c = 0; c < in.channels; ++c) {
                // Same association as PyTorch: interpolate along width first, then combine the two rows.
                const float top = in.at(y0, x0, c) * wx0 + in.at(y0, x1, c) * wx1;
                const float bottom = in.at(y1, x0, c) * wx0 + in.at(y1, x1, c) * wx1;
                out.at(y, x, c) = top * wy0 + bottom * wy1;
            }
        }
    }
    return out;
}

}  // namespace espq::data
