// Dataset: sources (image folders, .npy arrays and folders), preprocessing, shape checks, sampling, records.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "data/image.hpp"
#include "espq/dataset.hpp"
#include "espq/npy.hpp"
#include "data_io_helpers.hpp"
#include "support.hpp"

#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#include <stb/stb_image_write.h>
#pragma GCC diagnostic pop

namespace espq {
namespace {

namespace fs = std::filesystem;

std::string fresh_dir(const std::string& name) {
    const std::string dir = test::temp_dir() + "/" + name;
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
}

void write_text(const std::string& path, const std::string& text) {
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream(path, std::ios::binary) << text;
}

// A w x h image with c channels and distinct values: v(y, x, k) = (37 * y + 11 * x + 71 * k + seed) % 256.
std::vector<uint8_t> pattern(int h, int w, int c, int seed = 0) {
    std::vector<uint8_t> px(static_cast<size_t>(h * w * c));
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            for (int k = 0; k < c; ++k) px[(y * w + x) * c + k] = static_cast<uint8_t>((37 * y + 11 * x + 71 * k + seed) % 256);
    return px;
}

void write_png(const std::string& path, int h, int w, int c, const std::vector<uint8_t>& px) {
    fs::create_directories(fs::path(path).parent_path());
    ASSERT_TRUE(stbi_write_png(path.c_str(), w, h, c, px.data(), w * c));
}

// Binary PGM (P5) / PPM (P6) written by hand.
void write_pnm(const std::string& path, int h, int w, int c, const std::vector<uint8_t>& px) {
    std::ofstream f(path, std::ios::binary);
    f << (c == 1 ? "P5" : "P6") << "\n" << w << " " << h << "\n255\n";
    f.write(reinterpret_cast<const char*>(px.data()), px.size());
}

using test::user_error_message;

const ModelInput kGrey96{"input", {1, 1, 96, 96}};

TEST(ImageFolder, PngFolderEqualsBenchArray) {
    // models/calib holds the first 64 images of bench/fashion96/calib.npy as 8-bit grey PNGs.
    const Dataset pngs = Dataset::open(test::model_path("calib"), kGrey96);
    const Tensor ref = load_npy(test::data_path("bench/fashion96/calib.npy"));
    ASSERT_EQ(pngs.size(), 64u);
    EXPECT_EQ(pngs.total(), 64u);
    EXPECT_CONTAINS(pngs.sample_name(0), "calib/0000.png");
    EXPECT_CONTAINS(pngs.sample_name(63), "calib/0063.png");
    for (size_t i = 0; i < 64; ++i) {
        const Tensor s = pngs.sample(i);
        ASSERT_EQ(s.shape(), (Shape{1, 1, 96, 96}));
        for (int64_t k = 0; k < 9216; ++k)
            ASSERT_EQ(s.data<float>()[k], static_cast<float>(ref.data<uint8_t>()[i * 9216 + k])) << i << " " << k;
    }
    // The npy source with the same options gives the same tensors.
    DatasetOptions first64;
    const Dataset arr = Dataset::open(test::data_path("bench/fashion96/calib.npy"), kGrey96, first64);
    EXPECT_EQ(arr.size(), 256u);
    EXPECT_EQ(test::max_abs_diff(arr.sample(17), pngs.sample(17)), 0.0);
    EXPECT_FALSE(pngs.labels().has_value());  // files directly in the folder: no classes
}

TEST(ImageFolder, ScaleMeanStdOnPngs) {
    DatasetOptions o;
    o.preprocess.scale = parse_scale("1/255");
    o.preprocess.mean = {0.5f};
    o.preprocess.std = {0.25f};
    const Dataset ds = Dataset::open(test::model_path("calib"), kGrey96, o);
    const Tensor ref = load_npy(test::data_path("bench/fashion96/calib.npy"));
    const Tensor s = ds.sample(5);
    for (int64_t k : {0, 1234, 4700, 9215}) {
        const double x = ref.data<uint8_t>()[5 * 9216 + k];
        EXPECT_FLOAT_EQ(s.data<float>()[k], static_cast<float>((x / 255.0 - 0.5) / 0.25)) << k;
    }
    // scale 1/255 alone gives the correctly rounded x / 255, like torchvision's ToTensor.
    DatasetOptions plain;
    plain.preprocess.scale = 1.0 / 255.0;
    const Tensor t = Dataset::open(test::model_path("calib"), kGrey96, plain).sample(5);
    for (int64_t k = 0; k < 9216; ++k) ASSERT_EQ(t.data<float>()[k], ref.data<uint8_t>()[5 * 9216 + k] / 255.0f);
}

TEST(ImageFolder, FormatsOrderSubfoldersAndSkippedFiles) {
    const std::string dir = fresh_dir("formats");
    const int h = 4, w = 5;
    const auto rgb = pattern(h, w, 3);
    write_png(dir + "/b/one.png", h, w, 3, rgb);
    fs::create_directories(dir + "/a");
    ASSERT_TRUE(stbi_write_bmp((dir + "/a/two.BMP").c_str(), w, h, 3, rgb.data()));
    write_pnm(dir + "/a/three.ppm", h, w, 3, rgb);
    write_text(dir + "/a/readme.txt", "not an image");
    write_text(dir + "/b/.DS_Store", "junk");
    write_text(dir + "/b/._one.png", "macOS resource fork, not a PNG");
    write_text(dir + "/.hidden/x.png", "junk");

    DatasetOptions o;
    o.preprocess.color = ColorMode::Rgb;
    const Dataset ds = Dataset::open(dir, {"img", {1, 3, h, w}}, o);
    ASSERT_EQ(ds.size(), 3u);
    // Sorted by relative path, byte order: "a/three.ppm" < "a/two.BMP" < "b/one.png".
    EXPECT_CONTAINS(ds.sample_name(0), "a/three.ppm");
    EXPECT_CONTAINS(ds.sample_name(1), "a/two.BMP");
    EXPECT_CONTAINS(ds.sample_name(2), "b/one.png");
    for (size_t i = 0; i < 3; ++i) {
        const Tensor s = ds.sample(i);
        for (int k = 0; k < 3; ++k)
            for (int y = 0; y < h; ++y)
                for (int x = 0; x < w; ++x)
                    ASSERT_EQ(s.data<float>()[(k * h + y) * w + x], rgb[(y * w + x) * 3 + k]) << i;
    }
    // Subfolders a and b are the classes.
    ASSERT_TRUE(ds.labels().has_value());
    EXPECT_EQ(*ds.labels(), (std::vector<int64_t>{0, 0, 1}));
    EXPECT_EQ(ds.class_names(), (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(ds.describe()["labels"]["classes"], nlohmann::json({"a", "b"}));
}

TEST(ImageFolder, JpegDecodes) {
    const std::string dir = fresh_dir("jpeg");
    std::vector<uint8_t> flat(16 * 16 * 3, 0);
    for (size_t i = 0; i < flat.size(); i += 3) {
        flat[i] = 200;
        flat[i + 1] = 100;
        flat[i + 2] = 50;
    }
    ASSERT_TRUE(stbi_write_jpg((dir + "/x.jpg").c_str(), 16, 16, 3, flat.data(), 100));
    DatasetOptions o;
    o.preprocess.color = ColorMode::Grayscale;
    const Tensor s = Dataset::open(dir, {"in", {1, 1, 16, 16}}, o).sample(0);
    // Lossy, but a flat colour survives to within a few levels: 200*.299 + 100*.587 + 50*.114 = 124.2.
    for (int64_t k = 0; k < 256; ++k) ASSERT_NEAR(s.data<float>()[k], 124.2f, 4.0f);
}

TEST(ImageFolder, GrayscaleBgrAndNhwc) {
    const std::string dir = fresh_dir("colour");
    const int h = 3, w = 2;
    const auto rgba = pattern(h, w, 4, 5);
    write_png(dir + "/x.png", h, w, 4, rgba);

    DatasetOptions grey;
    grey.preprocess.color = ColorMode::Grayscale;
    const Tensor g = Dataset::open(dir, {"in", {1, 1, h, w}}, grey).sample(0);
    for (int p = 0; p < h * w; ++p) {
        const double r = rgba[p * 4], gg = rgba[p * 4 + 1], b = rgba[p * 4 + 2];
        EXPECT_FLOAT_EQ(g.data<float>()[p], static_cast<float>(r * 0.299 + gg * 0.587 + b * 0.114)) << p;
    }

    DatasetOptions bgr;
    bgr.preprocess.color = ColorMode::Bgr;
    bgr.preprocess.layout = InputLayout::NHWC;
    bgr.preprocess.mean = {1, 2, 3};
    const Tensor s = Dataset::open(dir, {"in", {1, h, w, 3}}, bgr).sample(0);
    for (int p = 0; p < h * w; ++p) {
        EXPECT_EQ(s.data<float>()[p * 3 + 0], rgba[p * 4 + 2] - 1.0f);
        EXPECT_EQ(s.data<float>()[p * 3 + 1], rgba[p * 4 + 1] - 2.0f);
        EXPECT_EQ(s.data<float>()[p * 3 + 2], rgba[p * 4 + 0] - 3.0f);
    }
}

TEST(ImageFolder, Errors) {
    const std::string empty = fresh_dir("empty");
    write_text(empty + "/notes.txt", "no images here");
    EXPECT_CONTAINS(user_error_message([&] { Dataset::open(empty, kGrey96); }), "calibration folder '" + empty + "' contains no images");

    const std::string broken = fresh_dir("broken");
    write_png(broken + "/a.png", 96, 96, 1, pattern(96, 96, 1));
    write_text(broken + "/b.png", "this is not a png");
    EXPECT_CONTAINS(user_error_message([&] { Dataset::open(broken, kGrey96); }), "cannot read image '" + broken + "/b.png'");

    const std::string mixed = fresh_dir("mixed");
    write_png(mixed + "/a.png", 96, 96, 1, pattern(96, 96, 1));
    save_npy(mixed + "/b.npy", Tensor(DType::Float32, {1, 96, 96}));
    EXPECT_CONTAINS(user_error_message([&] { Dataset::open(mixed, kGrey96); }), "holds both images");

    const std::string rgb = fresh_dir("rgb28");
    write_png(rgb + "/a.png", 28, 28, 3, pattern(28, 28, 3));
    const std::string msg = user_error_message([&] { Dataset::open(rgb, kGrey96); });
    EXPECT_CONTAINS(msg, "calibration sample '" + rgb + "/a.png' has shape 28x28x3");
    EXPECT_CONTAINS(msg, "model input 'input' needs 1x1x96x96");
    EXPECT_CONTAINS(msg, "use --resize 96x96 / --grayscale");

    DatasetOptions fixed;
    fixed.preprocess.resize_width = fixed.preprocess.resize_height = 96;
    fixed.preprocess.color = ColorMode::Grayscale;
    EXPECT_EQ(Dataset::open(rgb, kGrey96, fixed).sample(0).shape(), (Shape{1, 1, 96, 96}));
    fixed.purpose = "evaluation";
    EXPECT_CONTAINS(user_error_message([&] { Dataset::open(rgb, {"x", {1, 3, 96, 96}}, fixed); }), "--grayscale gives 1 channel");
    fixed.preprocess.color = ColorMode::Rgb;
    fixed.preprocess.resize_width = 64;
    EXPECT_CONTAINS(user_error_message([&] { Dataset::open(rgb, {"x", {1, 3, 96, 96}}, fixed); }),
                    "--resize 64x96 does not match model input 'x'");
    fixed.preprocess.resize_width = 96;
    fixed.preprocess.mean = {1, 2};
    EXPECT_CONTAINS(user_error_message([&] { Dataset::open(rgb, {"x", {1, 3, 96, 96}}, fixed); }), "--mean has 2 values");
    fixed.preprocess.mean = {};
    fixed.preprocess.std = {0};
    EXPECT_CONTAINS(user_error_message([&] { Dataset::open(rgb, {"x", {1, 3, 96, 96}}, fixed); }), "--std must not contain 0");
    EXPECT_CONTAINS(user_error_message([&] { Dataset::open(rgb, {"x", {4, 3, 96, 96}}); }), "batch 4");
    EXPECT_CONTAINS(user_error_message([&] { Dataset::open(rgb + "/nothing", kGrey96); }), "does not exist");
    EXPECT_CONTAINS(user_error_message([&] { Dataset::open(rgb, {"x", {1, 10}}); }), "images can only feed a 4-D input");
}

TEST(ArraySource, Uint8WithResizeReproducesBench) {
    DatasetOptions o;
    o.preprocess.resize_width = o.preprocess.resize_height = 96;
    const Dataset ds = Dataset::open(test::data_path("bench/fashion28/calib.npy"), kGrey96, o);
    const Tensor ref = load_npy(test::data_path("bench/fashion96/calib.npy"));
    int64_t equal = 0;
    for (size_t i = 0; i < 8; ++i) {
        const Tensor s = ds.sample(i);
        for (int64_t k = 0; k < 9216; ++k) {
            const float v = s.data<float>()[k];
            const float theirs = ref.data<uint8_t>()[i * 9216 + k];
            ASSERT_LE(std::fabs(v - theirs), 0.5f + 1e-3f);
            equal += std::nearbyint(v) == theirs;
        }
    }
    EXPECT_GE(equal, 8 * 9216 * 0.999);
    const nlohmann::json d = ds.describe();
    EXPECT_EQ(d["kind"], "npy");
    EXPECT_EQ(d["array_dtype"], "UINT8");
    EXPECT_EQ(d["array_shape"], nlohmann::json({256, 28, 28}));
    EXPECT_EQ(d["preprocess"]["resize"]["width"], 96);
    EXPECT_EQ(d["preprocess"]["resize"]["align_corners"], false);
    EXPECT_EQ(d["sampling"], "all");
    EXPECT_EQ(d["input"]["shape"], nlohmann::json({1, 1, 96, 96}));

    const std::string msg = user_error_message([] { Dataset::open(test::data_path("bench/fashion28/calib.npy"), kGrey96); });
    EXPECT_CONTAINS(msg, "calibration sample '" + test::data_path("bench/fashion28/calib.npy") + "[0]' has shape 28x28");
    EXPECT_CONTAINS(msg, "needs 1x1x96x96");
    EXPECT_CONTAINS(msg, "use --resize 96x96");
}

TEST(ArraySource, DtypesAndLayouts) {
    const std::string dir = fresh_dir("arrays");
    // float32, int8, float64 [N, H, W] pass through unchanged (scale 1).
    std::vector<float> f(2 * 2 * 3);
    for (size_t i = 0; i < f.size(); ++i) f[i] = static_cast<float>(i) * 0.5f - 2.0f;
    save_npy(dir + "/f.npy", Tensor::from<float>({2, 2, 3}, f));
    save_npy(dir + "/i8.npy", Tensor::from<int8_t>({1, 2, 3}, {-128, -1, 0, 1, 2, 127}));
    save_npy(dir + "/f8.npy", Tensor::from<double>({1, 2, 3}, {0.25, 1, 2, 3, 4, 5}));
    const ModelInput in23{"in", {1, 1, 2, 3}};
    EXPECT_EQ(Dataset::open(dir + "/f.npy", in23).sample(1).to_vector<float>(), std::vector<float>(f.begin() + 6, f.end()));
    EXPECT_EQ(Dataset::open(dir + "/i8.npy", in23).sample(0).to_vector<float>(), (std::vector<float>{-128, -1, 0, 1, 2, 127}));
    EXPECT_EQ(Dataset::open(dir + "/f8.npy", in23).sample(0).to_vector<float>(), (std::vector<float>{0.25, 1, 2, 3, 4, 5}));

    save_npy(dir + "/i32.npy", Tensor::from<int32_t>({1, 2, 3}, {1, 2, 3, 4, 5, 6}));
    EXPECT_CONTAINS(user_error_message([&] { Dataset::open(dir + "/i32.npy", in23); }), "holds INT32 data");
    save_npy(dir + "/none.npy", Tensor(DType::Float32, {0, 2, 3}));
    EXPECT_CONTAINS(user_error_message([&] { Dataset::open(dir + "/none.npy", in23); }), "holds no samples");

    // [N, H, W, C] data into an NCHW model is transposed; [N, C, H, W] is taken as is; NHWC likewise.
    const int h = 2, w = 3;
    const auto hwc = pattern(h, w, 3);
    Tensor nhwc(DType::UInt8, {1, h, w, 3});
    std::copy(hwc.begin(), hwc.end(), nhwc.data<uint8_t>());
    save_npy(dir + "/hwc.npy", nhwc);
    Tensor nchw(DType::UInt8, {1, 3, h, w});
    for (int k = 0; k < 3; ++k)
        for (int p = 0; p < h * w; ++p) nchw.data<uint8_t>()[k * h * w + p] = hwc[p * 3 + k];
    save_npy(dir + "/chw.npy", nchw);
    const ModelInput rgb_nchw{"in", {1, 3, h, w}};
    const Tensor a = Dataset::open(dir + "/hwc.npy", rgb_nchw).sample(0);
    const Tensor b = Dataset::open(dir + "/chw.npy", rgb_nchw).sample(0);
    for (int64_t k = 0; k < a.numel(); ++k) ASSERT_EQ(a.data<float>()[k], nchw.data<uint8_t>()[k]);
    EXPECT_EQ(test::max_abs_diff(a, b), 0.0);
    DatasetOptions nhwc_opts;
    nhwc_opts.preprocess.layout = InputLayout::NHWC;
    const Tensor c = Dataset::open(dir + "/chw.npy", {"in", {1, h, w, 3}}, nhwc_opts).sample(0);
    for (int64_t k = 0; k < c.numel(); ++k) ASSERT_EQ(c.data<float>()[k], hwc[k]);
}

TEST(ArraySource, PlainInputsAndPerChannelNormalisation) {
    const std::string dir = fresh_dir("plain");
    std::vector<float> v(3 * 2 * 4);
    for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i);
    save_npy(dir + "/seq.npy", Tensor::from<float>({3, 2, 4}, v));  // 3 samples of [2 channels, 4 steps]
    DatasetOptions o;
    o.preprocess.scale = 2;
    o.preprocess.mean = {1, 10};
    o.preprocess.std = {1, 2};
    const Tensor s = Dataset::open(dir + "/seq.npy", {"x", {1, 2, 4}}, o).sample(2);
    for (int c = 0; c < 2; ++c)
        for (int t = 0; t < 4; ++t) {
            const float x = v[16 + c * 4 + t];
            EXPECT_FLOAT_EQ(s.data<float>()[c * 4 + t], (x * 2 - (c ? 10.f : 1.f)) / (c ? 2.f : 1.f));
        }
    EXPECT_CONTAINS(user_error_message([&] { Dataset::open(dir + "/seq.npy", {"x", {1, 4, 2}}); }),
                    "sample '" + dir + "/seq.npy[0]' has shape 2x4, model input 'x' needs 1x4x2");
    DatasetOptions resize;
    resize.preprocess.resize_width = resize.preprocess.resize_height = 4;
    EXPECT_CONTAINS(user_error_message([&] { Dataset::open(dir + "/seq.npy", {"x", {1, 2, 4}}, resize); }),
                    "apply to 4-D image inputs only");
}

TEST(ArraySource, NanAndInfNameFileAndIndex) {
    const std::string dir = fresh_dir("nan");
    Tensor t(DType::Float32, {5, 2, 2});
    t.data<float>()[3 * 4 + 2] = std::nanf("");
    save_npy(dir + "/nan.npy", t);
    const ModelInput in{"in", {1, 1, 2, 2}};
    const std::string msg = user_error_message([&] { Dataset::open(dir + "/nan.npy", in); });
    EXPECT_CONTAINS(msg, "'" + dir + "/nan.npy[3]' (sample index 3) contains NaN at element 2");
    // Not selected: no error.
    DatasetOptions two;
    two.count = 2;
    two.seed = 0;
    const auto picked = select_indices(5, 2, 0);
    ASSERT_EQ(std::find(picked.begin(), picked.end(), 3), picked.end());
    EXPECT_NO_THROW(Dataset::open(dir + "/nan.npy", in, two));

    // A folder of .npy files: the first is checked on open, the others when loaded.
    const std::string folder = fresh_dir("nanfolder");
    save_npy(folder + "/0.npy", Tensor(DType::Float32, {2, 2}));
    Tensor inf(DType::Float32, {2, 2});
    inf.data<float>()[1] = -INFINITY;
    save_npy(folder + "/1.npy", inf);
    const Dataset ds = Dataset::open(folder, in);
    EXPECT_NO_THROW(ds.sample(0));
    EXPECT_CONTAINS(user_error_message([&] { ds.sample(1); }), "'" + folder + "/1.npy' (sample index 1) contains Inf at element 1");
}

TEST(NpyFolder, SamplesAndClassSubfolders) {
    const std::string dir = fresh_dir("npyfolder");
    fs::create_directories(dir + "/zebra");
    fs::create_directories(dir + "/ant");
    save_npy(dir + "/zebra/a.npy", Tensor::from<float>({1, 1, 2, 2}, {1, 2, 3, 4}));
    save_npy(dir + "/ant/b.npy", Tensor::from<uint8_t>({2, 2}, {5, 6, 7, 8}));
    save_npy(dir + "/ant/c.npy", Tensor::from<int8_t>({2, 2, 1}, {-1, -2, -3, -4}));
    write_text(dir + "/ant/info.txt", "ignored");
    const Dataset ds = Dataset::open(dir, {"in", {1, 1, 2, 2}});
    ASSERT_EQ(ds.size(), 3u);
    EXPECT_EQ(ds.sample(0).to_vector<float>(), (std::vector<float>{5, 6, 7, 8}));
    EXPECT_EQ(ds.sample(1).to_vector<float>(), (std::vector<float>{-1, -2, -3, -4}));
    EXPECT_EQ(ds.sample(2).to_vector<float>(), (std::vector<float>{1, 2, 3, 4}));
    EXPECT_EQ(*ds.labels(), (std::vector<int64_t>{0, 0, 1}));
    EXPECT_EQ(ds.class_names(), (std::vector<std::string>{"ant", "zebra"}));
    EXPECT_EQ(ds.describe()["kind"], "npy_folder");
}

TEST(Sampling, DeterministicUniformAscending) {
    // The generator itself is pinned by the standard: the 10000th output of a default-constructed
    // mt19937_64 is 9981545732273789042.
    std::mt19937_64 gen;
    gen.discard(9999);
    EXPECT_EQ(gen(), 9981545732273789042ull);

    // The same selection written as a plain Fisher-Yates over a materialised array.
    auto dense = [](size_t total, size_t count, uint64_t seed) {
        std::mt19937_64 g(seed);
        std::vector<size_t> v(total);
        for (size_t i = 0; i < total; ++i) v[i] = i;
        for (size_t i = 0; i < count; ++i) {
            const uint64_t n = total - i;
            uint64_t r;
            do r = g();
            while (r < (~uint64_t{0} - n + 1) % n);  // reject the 2^64 mod n lowest values
            std::swap(v[i], v[i + r % n]);
        }
        v.resize(count);
        std::sort(v.begin(), v.end());
        return v;
    };
    for (uint64_t seed = 0; seed < 50; ++seed) EXPECT_EQ(select_indices(1000, 37, seed), dense(1000, 37, seed));
    // Golden selections: a change here changes which samples calibrate every model.
    EXPECT_EQ(select_indices(10, 3, 0), (std::vector<size_t>{3, 4, 6}));
    EXPECT_EQ(select_indices(1000, 5, 42), (std::vector<size_t>{58, 249, 406, 897, 958}));
    EXPECT_EQ(select_indices(5, 0, 1), (std::vector<size_t>{0, 1, 2, 3, 4}));
    EXPECT_EQ(select_indices(5, 9, 1), (std::vector<size_t>{0, 1, 2, 3, 4}));

    for (uint64_t seed : {0ull, 1ull, 99ull}) {
        const auto s = select_indices(256, 100, seed);
        ASSERT_EQ(s.size(), 100u);
        EXPECT_TRUE(std::is_sorted(s.begin(), s.end()));
        EXPECT_EQ(std::adjacent_find(s.begin(), s.end()), s.end());
        EXPECT_LT(s.back(), 256u);
        EXPECT_EQ(select_indices(256, 100, seed), s);
    }
    EXPECT_NE(select_indices(256, 100, 1), select_indices(256, 100, 2));

    // Each of 20 items is picked with probability 5/20: over 4000 seeds every count is near 1000.
    std::vector<int> hits(20, 0);
    for (uint64_t seed = 0; seed < 4000; ++seed)
        for (size_t i : select_indices(20, 5, seed)) hits[i]++;
    for (int h : hits) EXPECT_NEAR(h, 1000, 120);
}

TEST(Sampling, DatasetSubsetAndRecord) {
    DatasetOptions o;
    o.count = 10;
    o.seed = 7;
    const std::string path = test::data_path("bench/fashion28/calib.npy");
    const ModelInput in{"input", {1, 1, 28, 28}};
    const Dataset sub = Dataset::open(path, in, o);
    const Dataset all = Dataset::open(path, in);
    ASSERT_EQ(sub.size(), 10u);
    EXPECT_EQ(sub.total(), 256u);
    EXPECT_EQ(sub.indices(), select_indices(256, 10, 7));
    for (size_t i = 0; i < sub.size(); ++i) {
        EXPECT_EQ(test::max_abs_diff(sub.sample(i), all.sample(sub.indices()[i])), 0.0);
        EXPECT_EQ(sub.sample_name(i), path + "[" + std::to_string(sub.indices()[i]) + "]");
    }
    const nlohmann::json d = sub.describe();
    EXPECT_EQ(d["count"], 10);
    EXPECT_EQ(d["total"], 256);
    EXPECT_EQ(d["seed"], 7);
    EXPECT_EQ(d["indices"].get<std::vector<size_t>>(), sub.indices());
    EXPECT_EQ(d["source"], path);
}

TEST(Dataset, ConcurrentSamplesMatchSequential) {
    DatasetOptions o;
    o.preprocess.resize_width = o.preprocess.resize_height = 64;
    o.preprocess.scale = 1.0 / 255;
    const Dataset ds = Dataset::open(test::model_path("calib"), {"in", {1, 1, 64, 64}}, o);
    std::vector<Tensor> sequential;
    for (size_t i = 0; i < ds.size(); ++i) sequential.push_back(ds.sample(i));
    std::vector<Tensor> parallel(ds.size());
    std::vector<std::thread> threads;
    for (size_t t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            for (size_t i = t; i < ds.size(); i += 4) parallel[i] = ds.sample(i);
        });
    for (auto& th : threads) th.join();
    for (size_t i = 0; i < ds.size(); ++i) ASSERT_EQ(test::max_abs_diff(parallel[i], sequential[i]), 0.0) << i;
}

TEST(Options, Parsers) {
    EXPECT_DOUBLE_EQ(parse_scale("1/255"), 1.0 / 255.0);
    EXPECT_DOUBLE_EQ(parse_scale(" 0.5 "), 0.5);
    EXPECT_DOUBLE_EQ(parse_scale("4e-3"), 0.004);
    EXPECT_DOUBLE_EQ(parse_scale("-2"), -2.0);
    for (const char* bad : {"", "abc", "1/0", "0", "1/", "/2", "1/2/3", "nan", "inf"})
        EXPECT_CONTAINS(user_error_message([&] { parse_scale(bad); }), "--scale '" + std::string(bad) + "'");

    EXPECT_EQ(parse_resize("96x64"), (std::pair<int64_t, int64_t>{96, 64}));
    EXPECT_EQ(parse_resize("32X32"), (std::pair<int64_t, int64_t>{32, 32}));
    EXPECT_EQ(parse_resize("28"), (std::pair<int64_t, int64_t>{28, 28}));
    for (const char* bad : {"0x5", "x5", "5x", "-3x3", "axb", "96x96x3"})
        EXPECT_CONTAINS(user_error_message([&] { parse_resize(bad); }), "--resize '" + std::string(bad) + "'");

    EXPECT_EQ(parse_float_list("0.485, 0.456,0.406", "--mean"), (std::vector<float>{0.485f, 0.456f, 0.406f}));
    EXPECT_EQ(parse_float_list("1/2 3", "--std"), (std::vector<float>{0.5f, 3.0f}));
    EXPECT_CONTAINS(user_error_message([] { parse_float_list("0.5,x", "--mean"); }), "'x' is not a number");
    EXPECT_CONTAINS(user_error_message([] { parse_float_list(" , ", "--std"); }), "--std is empty");

    EXPECT_EQ(parse_color_mode("GRAY"), ColorMode::Grayscale);
    EXPECT_EQ(parse_color_mode("grayscale"), ColorMode::Grayscale);
    EXPECT_EQ(parse_color_mode("bgr"), ColorMode::Bgr);
    EXPECT_EQ(parse_color_mode("rgb"), ColorMode::Rgb);
    EXPECT_EQ(parse_color_mode("keep"), ColorMode::Keep);
    EXPECT_THROW(parse_color_mode("cmyk"), UserError);
    EXPECT_EQ(parse_layout("NHWC"), InputLayout::NHWC);
    EXPECT_EQ(parse_layout("nchw"), InputLayout::NCHW);
    EXPECT_THROW(parse_layout("chw"), UserError);

    Preprocess p;
    p.color = ColorMode::Grayscale;
    p.scale = 1.0 / 255;
    p.std = {0.5f};
    const nlohmann::json j = preprocess_to_json(p);
    EXPECT_EQ(j["color"], "grayscale");
    EXPECT_TRUE(j["resize"].is_null());
    EXPECT_DOUBLE_EQ(j["scale"].get<double>(), 1.0 / 255);
    EXPECT_EQ(j["mean"], nlohmann::json({0.0}));
    EXPECT_EQ(j["std"], nlohmann::json({0.5}));
    EXPECT_EQ(j["layout"], "nchw");
}

}  // namespace
}  // namespace espq
