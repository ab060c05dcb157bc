// Calibration data through the CLI: every input format and every preprocessing flag of `espq quantize`, checked
// end to end. quantize embeds the first selected calibration sample, quantized, as the model's test input, so
// the .espdl file shows exactly what the flags did; it is compared with the preprocessing computed here by
// hand (2x bilinear downscale = 2x2 mean with PyTorch's align_corners=False), within one LSB of the int16
// input exponent. The .json record must describe the same transform.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>

#include "cli_helpers.hpp"
#include "espq/dataset.hpp"
#include "espq/espdl.hpp"
#include "espq/npy.hpp"

#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#include <stb/stb_image_write.h>
#pragma GCC diagnostic pop

using namespace espq;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr int kImages = 5, kSide = 8, kOut = 4;

// Pixel (n, y, x, c) of the 8x8 RGB source images.
uint8_t pixel(int n, int y, int x, int c) { return static_cast<uint8_t>((n * 37 + y * 29 + x * 13 + c * 71 + x * y) % 256); }

std::vector<uint8_t> image_hwc(int n, int channels) {
    std::vector<uint8_t> v;
    for (int y = 0; y < kSide; ++y)
        for (int x = 0; x < kSide; ++x)
            for (int c = 0; c < channels; ++c) v.push_back(pixel(n, y, x, c));
    return v;
}

Tensor images_nhwc(int channels) {
    Tensor t(DType::UInt8, {kImages, kSide, kSide, channels});
    for (int n = 0; n < kImages; ++n) {
        const auto px = image_hwc(n, channels);
        std::copy(px.begin(), px.end(), t.data<uint8_t>() + n * kSide * kSide * channels);
    }
    return t;
}

enum class Color { Keep, Rgb, Bgr, Gray };

struct Expect {
    Color color = Color::Keep;
    int source_channels = 3;
    bool resize = true;  // 8x8 -> 4x4
    double scale = 1.0;
    std::vector<double> mean{0}, std{1};
    bool nhwc = false;
};

// Image n after the documented steps: colour conversion, resize, (x * scale - mean[c]) / std[c], layout.
Tensor expected(int n, const Expect& e) {
    const int out_c = e.color == Color::Gray ? 1 : e.color == Color::Keep ? e.source_channels : 3;
    auto src = [&](int y, int x, int c) -> double {
        const auto p = [&](int ch) { return static_cast<double>(pixel(n, y, x, std::min(ch, e.source_channels - 1))); };
        switch (e.color) {
            case Color::Keep: return p(c);
            case Color::Rgb: return e.source_channels == 1 ? p(0) : p(c);
            case Color::Bgr: return e.source_channels == 1 ? p(0) : p(2 - c);
            case Color::Gray:
                return e.source_channels == 1 ? p(0) : p(0) * 299 / 1000 + p(1) * 587 / 1000 + p(2) * 114 / 1000;
        }
        return 0;
    };
    const int side = e.resize ? kOut : kSide;
    Tensor t(DType::Float32, e.nhwc ? Shape{1, side, side, out_c} : Shape{1, out_c, side, side});
    for (int c = 0; c < out_c; ++c)
        for (int y = 0; y < side; ++y)
            for (int x = 0; x < side; ++x) {
                double v = e.resize ? (src(2 * y, 2 * x, c) + src(2 * y, 2 * x + 1, c) + src(2 * y + 1, 2 * x, c) +
                                       src(2 * y + 1, 2 * x + 1, c)) / 4
                                    : src(y, x, c);
                const double m = e.mean.size() > 1 ? e.mean[c] : e.mean[0];
                const double s = e.std.size() > 1 ? e.std[c] : e.std[0];
                v = (v * e.scale - m) / s;
                const int64_t i = e.nhwc ? (y * side + x) * out_c + c : (c * side + y) * side + x;
                t.data<float>()[i] = static_cast<float>(v);
            }
    return t;
}

// x (shape) -> Relu -> y: the input stays in the ONNX layout in the .espdl (no conv reads it).
std::string relu_model(const Shape& shape) {
    std::string name = "relu";
    for (auto d : shape) name += "_" + std::to_string(d);
    return test::OnnxBuilder().input("x", shape).node("Relu", {"x"}, {"y"}).output("y").save(name + ".onnx");
}

struct Quantized {
    Tensor test_input;  // dequantized
    double lsb = 0;
    json record;
    json summary;
};

Quantized quantize(const std::string& model, const std::string& calib, const std::vector<std::string>& flags,
                   const std::string& tag) {
    const std::string d = test::fresh_dir("data_" + tag);
    std::vector<std::string> args = {"quantize", model, "--calib", calib, "--bits", "16", "--calib-method", "minmax",
                                     "-o", d + "/m.espdl", "--json"};
    args.insert(args.end(), flags.begin(), flags.end());
    const auto r = test::run_cli(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    Quantized q;
    if (r.exit_code != 0) return q;
    q.summary = json::parse(r.out);
    q.record = json::parse(test::slurp(d + "/m.json"));
    const EspdlModel m = read_espdl(d + "/m.espdl");
    const auto& ti = m.test_inputs.at(0);
    q.lsb = std::ldexp(1.0, static_cast<int>(ti.exponents.at(0)));
    q.test_input = ti.tensor.cast(DType::Float32);
    for (int64_t i = 0; i < q.test_input.numel(); ++i) q.test_input.data<float>()[i] *= static_cast<float>(q.lsb);
    return q;
}

void expect_close(const Quantized& q, const Tensor& want, double tolerance_lsb = 1.0) {
    ASSERT_EQ(q.test_input.shape(), want.shape());
    EXPECT_LE(test::max_abs_diff(q.test_input, want), tolerance_lsb * q.lsb) << "test input vs hand-computed sample";
}

const json& preprocess(const Quantized& q) { return q.record["espq"]["data"]["preprocess"]; }

// A binary PPM (P6) or PGM (P5) file.
void write_pnm(const std::string& path, int n, int channels) {
    const auto px = image_hwc(n, channels);
    std::string s = std::string(channels == 3 ? "P6" : "P5") + "\n" + std::to_string(kSide) + " " +
                    std::to_string(kSide) + "\n255\n";
    s.append(px.begin(), px.end());
    test::write_bytes(path, s);
}

// A stored (uncompressed) zip of .npy members, as numpy.savez writes it.
uint32_t crc32(const std::string& s) {
    uint32_t c = 0xFFFFFFFFu;
    for (unsigned char b : s) {
        c ^= b;
        for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return ~c;
}

void write_npz(const std::string& path, const std::vector<std::pair<std::string, Tensor>>& arrays) {
    auto le = [](std::string& out, uint64_t v, int bytes) {
        for (int i = 0; i < bytes; ++i) out += static_cast<char>((v >> (8 * i)) & 0xFF);
    };
    std::string zip, central;
    for (const auto& [name, t] : arrays) {
        const std::string tmp = test::temp_dir() + "/member.npy";
        save_npy(tmp, t);
        const std::string data = test::slurp(tmp), file = name + ".npy";
        const uint32_t crc = crc32(data), offset = static_cast<uint32_t>(zip.size());
        le(zip, 0x04034b50, 4), le(zip, 20, 2), le(zip, 0, 2), le(zip, 0, 2), le(zip, 0, 4), le(zip, crc, 4);
        le(zip, data.size(), 4), le(zip, data.size(), 4), le(zip, file.size(), 2), le(zip, 0, 2);
        zip += file + data;
        le(central, 0x02014b50, 4), le(central, 20, 2), le(central, 20, 2), le(central, 0, 2), le(central, 0, 2);
        le(central, 0, 4), le(central, crc, 4), le(central, data.size(), 4), le(central, data.size(), 4);
        le(central, file.size(), 2), le(central, 0, 2), le(central, 0, 2), le(central, 0, 2), le(central, 0, 2);
        le(central, 0, 4), le(central, offset, 4);
        central += file;
    }
    const uint32_t cd_offset = static_cast<uint32_t>(zip.size());
    zip += central;
    le(zip, 0x06054b50, 4), le(zip, 0, 2), le(zip, 0, 2), le(zip, arrays.size(), 2), le(zip, arrays.size(), 2);
    le(zip, central.size(), 4), le(zip, cd_offset, 4), le(zip, 0, 2);
    test::write_bytes(path, zip);
}

const std::string& rgb_npy() {
    static const std::string p = [] {
        const std::string path = test::temp_dir() + "/rgb_u8.npy";
        save_npy(path, images_nhwc(3));
        return path;
    }();
    return p;
}

}  // namespace

TEST(CliData, Uint8NpyWithResizeScaleMeanStd) {
    const auto q = quantize(relu_model({1, 3, 4, 4}), rgb_npy(),
                            {"--resize", "4x4", "--scale", "1/255", "--mean", "0.5,0.4,0.3", "--std", "0.2,0.25,0.5"},
                            "u8");
    Expect e;
    e.scale = 1.0 / 255, e.mean = {0.5, 0.4, 0.3}, e.std = {0.2, 0.25, 0.5};
    expect_close(q, expected(0, e));
    const json& p = preprocess(q);
    EXPECT_EQ(p["resize"]["width"], 4);
    EXPECT_EQ(p["resize"]["height"], 4);
    EXPECT_EQ(p["resize"]["method"], "bilinear");
    EXPECT_EQ(p["resize"]["align_corners"], false);
    EXPECT_DOUBLE_EQ(p["scale"].get<double>(), 1.0 / 255);
    EXPECT_NEAR(p["mean"][1].get<double>(), 0.4, 1e-7);
    EXPECT_NEAR(p["std"][2].get<double>(), 0.5, 1e-7);
    EXPECT_EQ(p["color"], "keep");
    EXPECT_EQ(p["layout"], "nchw");
    EXPECT_EQ(q.record["espq"]["data"]["array_dtype"], "UINT8");
    EXPECT_EQ(q.record["espq"]["data"]["sampling"], "all");
    EXPECT_EQ(q.summary["calibration_samples"], kImages);
}

TEST(CliData, ColourFlags) {
    Expect e;
    e.scale = 1.0 / 255;
    e.color = Color::Bgr;
    const auto bgr = quantize(relu_model({1, 3, 4, 4}), rgb_npy(), {"--resize", "4x4", "--scale", "1/255", "--bgr"}, "bgr");
    expect_close(bgr, expected(0, e));
    EXPECT_EQ(preprocess(bgr)["color"], "bgr");

    e.color = Color::Gray;
    const auto gray = quantize(relu_model({1, 1, 4, 4}), rgb_npy(),
                               {"--resize", "4x4", "--scale", "1/255", "--grayscale"}, "gray");
    expect_close(gray, expected(0, e));
    EXPECT_EQ(preprocess(gray)["color"], "grayscale");

    // --rgb replicates a grey source into three channels.
    const std::string grey_npy = test::temp_dir() + "/grey_u8.npy";
    save_npy(grey_npy, images_nhwc(1));
    e.color = Color::Rgb;
    e.source_channels = 1;
    const auto rgb = quantize(relu_model({1, 3, 4, 4}), grey_npy, {"--resize", "4x4", "--scale", "1/255", "--rgb"}, "rgb");
    expect_close(rgb, expected(0, e));
    EXPECT_EQ(preprocess(rgb)["color"], "rgb");
}

TEST(CliData, LayoutNhwc) {
    Expect e;
    e.nhwc = true;
    e.mean = {100};
    e.std = {50};
    const auto q = quantize(relu_model({1, 4, 4, 3}), rgb_npy(),
                            {"--resize", "4x4", "--mean", "100", "--std", "50", "--layout", "nhwc"}, "nhwc");
    expect_close(q, expected(0, e));
    EXPECT_EQ(preprocess(q)["layout"], "nhwc");
}

TEST(CliData, CalibCountAndSeedChooseTheRecordedSamples) {
    Expect e;
    e.scale = 1.0 / 255;
    std::vector<std::vector<size_t>> chosen;
    for (const char* seed : {"1", "2", "3"}) {
        const auto q = quantize(relu_model({1, 3, 4, 4}), rgb_npy(),
                                {"--resize", "4x4", "--scale", "1/255", "--calib-count", "2", "--seed", seed},
                                std::string("seed") + seed);
        const json& d = q.record["espq"]["data"];
        EXPECT_EQ(q.summary["calibration_samples"], 2);
        EXPECT_EQ(d["count"], 2);
        EXPECT_EQ(d["total"], kImages);
        EXPECT_EQ(d["seed"], std::stoi(seed));
        const auto idx = d["indices"].get<std::vector<size_t>>();
        ASSERT_EQ(idx.size(), 2u);
        EXPECT_EQ(idx, select_indices(kImages, 2, std::stoull(seed))) << "the documented deterministic choice";
        expect_close(q, expected(static_cast<int>(idx[0]), e));  // the first chosen sample is the test input
        chosen.push_back(idx);
    }
    EXPECT_TRUE(chosen[0] != chosen[1] || chosen[1] != chosen[2]) << "the seed changes the choice";
}

TEST(CliData, ImageFolderFormats) {
    Expect e;
    e.scale = 1.0 / 255;
    const std::string rgb_model = relu_model({1, 3, 4, 4}), grey_model = relu_model({1, 1, 4, 4});
    struct Case {
        const char* ext;
        int channels;
        double tolerance_lsb;
    };
    // JPEG is lossy: a few pixel levels (1/255 each) of slack. stb writes even a grey JPEG as YCbCr, so it
    // decodes to three equal channels and takes --grayscale (whose weights sum to 1) for the 1-channel model.
    for (const Case& c : {Case{"png", 3, 1}, Case{"bmp", 3, 1}, Case{"ppm", 3, 1}, Case{"pgm", 1, 1}, Case{"jpg", 1, 0}}) {
        SCOPED_TRACE(c.ext);
        const std::string dir = test::fresh_dir(std::string("folder_") + c.ext);
        for (int n = 0; n < 2; ++n) {
            const std::string path = dir + "/img" + std::to_string(n) + "." + c.ext;
            const auto px = image_hwc(n, c.channels);
            const std::string ext = c.ext;
            int ok = 1;
            if (ext == "png") ok = stbi_write_png(path.c_str(), kSide, kSide, c.channels, px.data(), kSide * c.channels);
            if (ext == "bmp") ok = stbi_write_bmp(path.c_str(), kSide, kSide, c.channels, px.data());
            if (ext == "jpg") ok = stbi_write_jpg(path.c_str(), kSide, kSide, c.channels, px.data(), 100);
            if (ext == "ppm" || ext == "pgm") write_pnm(path, n, c.channels);
            ASSERT_TRUE(ok) << path;
        }
        std::vector<std::string> flags = {"--resize", "4x4", "--scale", "1/255"};
        if (c.tolerance_lsb == 0) flags.push_back("--grayscale");
        const auto q = quantize(c.channels == 3 ? rgb_model : grey_model, dir, flags, std::string("fmt_") + c.ext);
        e.source_channels = c.channels;
        if (c.tolerance_lsb > 0) {
            expect_close(q, expected(0, e), c.tolerance_lsb);
        } else {
            ASSERT_EQ(q.test_input.shape(), expected(0, e).shape());
            EXPECT_LE(test::max_abs_diff(q.test_input, expected(0, e)), 6.0 / 255);
        }
        EXPECT_EQ(q.record["espq"]["data"]["kind"], "image_folder");
        EXPECT_EQ(q.record["espq"]["data"]["total"], 2);
    }
}

TEST(CliData, FloatInt8NpyNpzAndNpyFolder) {
    // Float samples [C, H, W] taken as they are (no resize): x * scale - mean.
    Tensor f(DType::Float32, {kImages, 3, kSide, kSide});
    Tensor i8(DType::Int8, {kImages, 3, kSide, kSide});
    for (int64_t k = 0; k < f.numel(); ++k) {
        f.data<float>()[k] = 0.01f * static_cast<float>((k * 7) % 200) - 1.0f;
        i8.data<int8_t>()[k] = static_cast<int8_t>((k * 5) % 256 - 128);
    }
    const std::string model = relu_model({1, 3, kSide, kSide});
    const std::string fnpy = test::temp_dir() + "/f32.npy", inpy = test::temp_dir() + "/i8.npy";
    save_npy(fnpy, f);
    save_npy(inpy, i8);
    const std::string npz = test::temp_dir() + "/arrays.npz";
    write_npz(npz, {{"labels", Tensor::from<int64_t>({kImages}, {0, 1, 2, 3, 4})}, {"x", f}});
    const std::string folder = test::fresh_dir("npy_folder");
    for (int n = 0; n < kImages; ++n) {
        Tensor s(DType::Float32, {3, kSide, kSide});
        std::copy(f.data<float>() + n * s.numel(), f.data<float>() + (n + 1) * s.numel(), s.data<float>());
        save_npy(folder + "/s" + std::to_string(n) + ".npy", s);
    }
    auto sample = [&](const Tensor& all, int n, double scale, double mean) {
        Tensor s(DType::Float32, {1, 3, kSide, kSide});
        const auto v = all.as_doubles();
        for (int64_t k = 0; k < s.numel(); ++k) s.data<float>()[k] = static_cast<float>(v[n * s.numel() + k] * scale - mean);
        return s;
    };
    expect_close(quantize(model, fnpy, {"--scale", "2", "--mean", "0.5"}, "f32"), sample(f, 0, 2, 0.5));
    expect_close(quantize(model, inpy, {"--scale", "1/128"}, "i8"), sample(i8, 0, 1.0 / 128, 0));
    expect_close(quantize(model, npz + ":x", {}, "npz"), sample(f, 0, 1, 0));
    const auto fq = quantize(model, folder, {"--calib-count", "1", "--seed", "4"}, "npyfolder");
    const auto idx = fq.record["espq"]["data"]["indices"].get<std::vector<size_t>>();
    ASSERT_EQ(idx.size(), 1u);
    expect_close(fq, sample(f, static_cast<int>(idx[0]), 1, 0));
    EXPECT_EQ(fq.record["espq"]["data"]["kind"], "npy_folder");
}

TEST(CliData, EvalLabelsFromNpyTextAndClassSubfolders) {
    // One Fashion-MNIST image of each class (so that sorted class folder names index the classes 0..9).
    const Tensor all = load_npy(test::data_path("bench/fashion28/eval1000.npy"));
    const Tensor all_labels = load_npy(test::data_path("bench/fashion28/eval1000_labels.npy"));
    Tensor x(DType::UInt8, {10, 28, 28}), xf(DType::Float32, {10, 1, 28, 28});
    std::vector<int64_t> labels;
    for (int64_t i = 0, found = 0; found < 10 && i < all_labels.numel(); ++i) {
        if (all_labels.data<int64_t>()[i] != static_cast<int64_t>(labels.size())) continue;
        std::copy(all.data<uint8_t>() + i * 784, all.data<uint8_t>() + (i + 1) * 784, x.data<uint8_t>() + found * 784);
        for (int k = 0; k < 784; ++k) xf.data<float>()[found * 784 + k] = x.data<uint8_t>()[found * 784 + k] / 255.f;
        labels.push_back(found++);
    }
    ASSERT_EQ(labels.size(), 10u);
    const std::string d = test::fresh_dir("eval_labels");
    save_npy(d + "/x.npy", x);
    save_npy(d + "/xf.npy", xf);
    save_npy(d + "/labels.npy", Tensor::from<int64_t>({10}, labels));
    std::string numbers, names;
    for (int64_t l : labels) numbers += std::to_string(l) + "\n", names += "class_" + std::to_string(l) + "\n";
    test::write_bytes(d + "/labels.txt", numbers);
    test::write_bytes(d + "/names.txt", names);
    const std::string folders = test::fresh_dir("eval_class_folders");
    for (int n = 0; n < 10; ++n) {
        fs::create_directories(folders + "/class_" + std::to_string(n));
        ASSERT_TRUE(stbi_write_png((folders + "/class_" + std::to_string(n) + "/img.png").c_str(), 28, 28, 1,
                                   x.data<uint8_t>() + n * 784, 28));
    }
    // Independent reference: the float model's outputs from `run`, scored here.
    const std::string model = test::data_path("bench/fmnist_cnn.onnx");
    ASSERT_EQ(test::run_cli({"run", model, "--input", d + "/xf.npy", "--output", d + "/y.npy"}).exit_code, 0);
    const Tensor y = load_npy(d + "/y.npy");
    ASSERT_EQ(y.numel(), 100);
    int correct = 0;
    for (int n = 0; n < 10; ++n) {
        const float* row = y.data<float>() + n * 10;
        correct += std::max_element(row, row + 10) - row == labels[n];
    }
    const double want = 10.0 * correct;
    auto top1 = [&](const std::vector<std::string>& data_and_labels) {
        std::vector<std::string> args = {"eval", model, "--scale", "1/255", "--json"};
        args.insert(args.end(), data_and_labels.begin(), data_and_labels.end());
        const auto r = test::run_cli(args);
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return r.exit_code == 0 ? json::parse(r.out)["top1"].get<double>() : -1.0;
    };
    EXPECT_DOUBLE_EQ(top1({"--data", d + "/x.npy", "--labels", d + "/labels.npy"}), want);
    EXPECT_DOUBLE_EQ(top1({"--data", d + "/x.npy", "--labels", d + "/labels.txt"}), want);
    EXPECT_DOUBLE_EQ(top1({"--data", d + "/x.npy", "--labels", d + "/names.txt"}), want);
    EXPECT_DOUBLE_EQ(top1({"--data", folders}), want);
    EXPECT_GE(correct, 7) << "the float model classifies most of these";
}
