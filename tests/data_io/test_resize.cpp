// Bilinear resize (PyTorch F.interpolate, align_corners=False, no antialias) and colour conversion.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "data/image.hpp"
#include "espq/npy.hpp"
#include "support.hpp"

namespace espq::data {
namespace {

Image make(int64_t h, int64_t w, int64_t c, std::vector<float> v) {
    Image img(h, w, c);
    img.pixels = std::move(v);
    return img;
}

// PyTorch's formula written out independently, in double, one output value at a time.
double reference_bilinear(const Image& in, int64_t out_h, int64_t out_w, int64_t y, int64_t x, int64_t c) {
    auto axis = [](int64_t in_size, int64_t out_size, int64_t dst, int64_t& i0, int64_t& i1, double& frac) {
        double src = (dst + 0.5) * static_cast<double>(in_size) / static_cast<double>(out_size) - 0.5;
        if (src < 0) src = 0;
        i0 = static_cast<int64_t>(std::floor(src));
        if (i0 > in_size - 1) i0 = in_size - 1;
        i1 = std::min(i0 + 1, in_size - 1);
        frac = src - static_cast<double>(i0);
    };
    int64_t y0, y1, x0, x1;
    double fy, fx;
    axis(in.height, out_h, y, y0, y1, fy);
    axis(in.width, out_w, x, x0, x1, fx);
    const double top = in.at(y0, x0, c) + (in.at(y0, x1, c) - in.at(y0, x0, c)) * fx;
    const double bottom = in.at(y1, x0, c) + (in.at(y1, x1, c) - in.at(y1, x0, c)) * fx;
    return top + (bottom - top) * fy;
}

TEST(Resize, HandComputedUpscale2x2To4x4) {
    // For [[0, 1], [2, 3]] PyTorch gives row 0 = [0, 0.25, 0.75, 1]; the other rows follow from the
    // vertical weights 0, 0.25, 0.75, 1 between the two input rows.
    const Image out = resize_bilinear(make(2, 2, 1, {0, 1, 2, 3}), 4, 4);
    const std::vector<float> expected = {0,   0.25f, 0.75f, 1,    0.5f, 0.75f, 1.25f, 1.5f,
                                         1.5f, 1.75f, 2.25f, 2.5f, 2,    2.25f, 2.75f, 3};
    EXPECT_EQ(out.pixels, expected);
}

TEST(Resize, HandComputedDownscaleHasNoAntialias) {
    // 4 -> 2: source positions 0.5 and 2.5, plain interpolation between two pixels (no area averaging).
    const Image out = resize_bilinear(make(1, 4, 1, {0, 10, 20, 30}), 1, 2);
    EXPECT_EQ(out.pixels, (std::vector<float>{5, 25}));
    // 3 -> 2: scale 1.5, positions 0.25 and 1.75.
    const Image out3 = resize_bilinear(make(3, 1, 1, {0, 100, 200}), 2, 1);
    EXPECT_EQ(out3.pixels, (std::vector<float>{25, 175}));
    // Same size is the identity.
    const Image same = resize_bilinear(make(2, 3, 1, {1, 2, 3, 4, 5, 6}), 2, 3);
    EXPECT_EQ(same.pixels, (std::vector<float>{1, 2, 3, 4, 5, 6}));
}

TEST(Resize, MatchesReferenceFormulaOnRandomImages) {
    std::mt19937 gen(3);
    std::uniform_real_distribution<float> value(-50, 300);
    const int64_t sizes[][4] = {{28, 28, 96, 96}, {28, 28, 64, 64}, {5, 7, 3, 2}, {96, 96, 28, 28},
                                {1, 9, 4, 5},     {10, 3, 10, 11},  {17, 23, 40, 9}};
    for (const auto& s : sizes)
        for (int64_t c : {1, 3}) {
            Image in(s[0], s[1], c);
            for (float& v : in.pixels) v = value(gen);
            const Image out = resize_bilinear(in, s[2], s[3]);
            // PyTorch computes source coordinates in float: an error of about in_size * 2^-23 pixels, times the
            // steepest slope of the random image (350 per pixel). A wrong formula is off by tens.
            const double tol = 1e-4 + 350.0 * static_cast<double>(std::max(s[0], s[1])) * std::ldexp(1.0, -21);
            ASSERT_EQ(out.height, s[2]);
            ASSERT_EQ(out.width, s[3]);
            ASSERT_EQ(out.channels, c);
            for (int64_t y = 0; y < s[2]; ++y)
                for (int64_t x = 0; x < s[3]; ++x)
                    for (int64_t k = 0; k < c; ++k)
                        ASSERT_NEAR(out.at(y, x, k), reference_bilinear(in, s[2], s[3], y, x, k), tol)
                            << s[0] << "x" << s[1] << "->" << s[2] << "x" << s[3] << " at " << y << "," << x;
        }
}

// The bench sets fashion64/fashion96 were made from fashion28 with PyTorch bilinear (align_corners=False)
// and rounding to uint8: resizing ourselves must reproduce them. 28 -> 64 matches exactly. 28 -> 96 matches
// 99.97 %: the other pixels are halves (x.5, to float precision) in our result, where the last bit of whatever
// produced the data decided the rounding; they are one grey level apart and nowhere else do we differ.
void expect_reproduces_bench(int64_t size, double min_rate) {
    const Tensor small = load_npy(test::data_path("bench/fashion28/calib.npy"));
    const Tensor big = load_npy(test::data_path("bench/fashion" + std::to_string(size) + "/calib.npy"));
    ASSERT_EQ(big.shape(), (Shape{256, size, size}));
    int64_t equal = 0, off_by_one = 0, total = 0, off_not_at_tie = 0;
    for (int64_t n = 0; n < 256; ++n) {
        Image img(28, 28, 1);
        for (int64_t k = 0; k < 784; ++k) img.pixels[k] = small.data<uint8_t>()[n * 784 + k];
        const Image out = resize_bilinear(img, size, size);
        for (int64_t k = 0; k < size * size; ++k) {
            const int64_t ours = static_cast<int64_t>(std::nearbyint(std::min(std::max(out.pixels[k], 0.0f), 255.0f)));
            const int64_t theirs = big.data<uint8_t>()[n * size * size + k];
            equal += ours == theirs;
            off_by_one += std::abs(ours - theirs) == 1;
            off_not_at_tie += ours != theirs && std::fabs(out.pixels[k] - std::floor(out.pixels[k]) - 0.5f) > 1e-3f;
            ++total;
        }
    }
    const double rate = static_cast<double>(equal) / total;
    std::printf("28x28 -> %lldx%lld: %lld of %lld pixels equal (%.5f%%), %lld off by one\n", (long long)size,
                (long long)size, (long long)equal, (long long)total, 100 * rate, (long long)off_by_one);
    EXPECT_EQ(equal + off_by_one, total);  // never more than one grey level apart
    EXPECT_EQ(off_not_at_tie, 0);
    EXPECT_GE(rate, min_rate);
}

TEST(Resize, ReproducesBenchFashion96) { expect_reproduces_bench(96, 0.9997); }
TEST(Resize, ReproducesBenchFashion64) { expect_reproduces_bench(64, 1.0); }

TEST(Colour, GrayscaleIsBt601Luma) {
    // Hand-computed: L = (299 R + 587 G + 114 B) / 1000.
    const Image rgb = make(1, 4, 3, {255, 0, 0, 0, 255, 0, 10, 20, 30, 255, 255, 255});
    const Image grey = to_grayscale(rgb);
    ASSERT_EQ(grey.channels, 1);
    EXPECT_FLOAT_EQ(grey.pixels[0], 76.245f);
    EXPECT_FLOAT_EQ(grey.pixels[1], 149.685f);
    EXPECT_FLOAT_EQ(grey.pixels[2], 18.15f);
    EXPECT_FLOAT_EQ(grey.pixels[3], 255.0f);
    // Alpha is ignored; grey+alpha keeps the grey value.
    EXPECT_FLOAT_EQ(to_grayscale(make(1, 1, 4, {100, 200, 50, 7})).pixels[0], 29.9f + 117.4f + 5.7f);
    EXPECT_EQ(to_grayscale(make(1, 2, 2, {9, 255, 40, 0})).pixels, (std::vector<float>{9, 40}));
}

TEST(Colour, RgbAndBgr) {
    EXPECT_EQ(to_rgb(make(1, 2, 1, {5, 6})).pixels, (std::vector<float>{5, 5, 5, 6, 6, 6}));
    EXPECT_EQ(to_rgb(make(1, 1, 4, {1, 2, 3, 4})).pixels, (std::vector<float>{1, 2, 3}));
    EXPECT_EQ(to_bgr(make(1, 2, 3, {1, 2, 3, 4, 5, 6})).pixels, (std::vector<float>{3, 2, 1, 6, 5, 4}));
    EXPECT_EQ(to_bgr(make(1, 1, 2, {8, 255})).pixels, (std::vector<float>{8, 8, 8}));
}

}  // namespace
}  // namespace espq::data
