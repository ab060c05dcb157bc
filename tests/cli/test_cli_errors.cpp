// Each class of user error, through every command it can reach: a one-line message on stderr naming the file,
// node or tensor (and the fix), exit status 1, nothing on stdout, and the output folder exactly as it was.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>

#include "cli_helpers.hpp"
#include "espq/npy.hpp"

using namespace espq;
namespace fs = std::filesystem;

namespace {

const std::string kModel = test::data_path("bench/fmnist_cnn.onnx");
const std::string kCalib = test::data_path("bench/fashion28/calib.npy");
const std::string kEspdl = test::data_path("oracle/esp32s3/streaming_tcn.espdl");

// An output folder holding one file already, so that "unchanged" is more than "empty".
struct OutputDir {
    std::string path;
    std::vector<std::string> before;
    explicit OutputDir(const std::string& name) : path(test::fresh_dir(name)) {
        test::write_bytes(path + "/keep.txt", "previous result\n");
        before = test::list_dir(path);
    }
};

void expect_error(const test::RunResult& r, const std::string& needle, const OutputDir& out) {
    test::expect_user_error_leaving(r, needle, out.path, out.before);
}

std::vector<std::string> quantize_args(const std::string& model, const std::string& calib, const OutputDir& out) {
    return {"quantize", model, "--calib", calib, "--calib-count", "4", "--calib-method", "minmax", "-o", out.path + "/"};
}

// Calibration data for a [1, 4, 8, 8] input.
std::string calib_4x8x8(float special = 0, int at = -1) {
    Tensor t(DType::Float32, {3, 4, 8, 8});
    for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = 0.01f * static_cast<float>(i % 50);
    if (at >= 0) t.data<float>()[at] = special;
    const std::string p = test::temp_dir() + "/calib_" + std::to_string(at) + "_" + std::to_string(std::isnan(special)) + ".npy";
    save_npy(p, t);
    return p;
}

std::string garbage_file(const std::string& name, const std::string& bytes) {
    const std::string p = test::temp_dir() + "/" + name;
    test::write_bytes(p, bytes);
    return p;
}

std::string truncated_copy(const std::string& from, const std::string& name, size_t keep) {
    const std::string bytes = test::slurp(from);
    return garbage_file(name, bytes.substr(0, std::min(keep, bytes.size())));
}

}  // namespace

TEST(CliErrors, UnsupportedOperatorNamesTheNodeAndTheFix) {
    const std::string model = test::OnnxBuilder()
                                  .input("x", {1, 4, 8, 8})
                                  .initializer("floor", {4, 1, 1}, {0.f, 0.1f, 0.2f, 0.3f})  // not a Clip bound
                                  .node("Max", {"x", "floor"}, {"y"}, "max_const")
                                  .output("y")
                                  .save("max_const.onnx");
    OutputDir out("err_unsupported");
    expect_error(test::run_cli(quantize_args(model, calib_4x8x8(), out)), "'max_const'", out);
    const auto r = test::run_cli(quantize_args(model, calib_4x8x8(), out));
    EXPECT_NE(r.err.find("Clip"), std::string::npos) << r.err;
    // Refused before calibration starts: no time spent on a model that cannot be exported.
    EXPECT_EQ(r.err.find("calibration 1/2"), std::string::npos) << r.err;
    // An operator espq cannot even read: every command that loads the model says so, naming it.
    const std::string unknown = test::OnnxBuilder()
                                    .input("x", {1, 4, 8, 8})
                                    .node("Mish", {"x"}, {"y"}, "mish")
                                    .output("y")
                                    .save("mish.onnx");
    expect_error(test::run_cli(quantize_args(unknown, calib_4x8x8(), out)), "'Mish'", out);
    test::expect_user_error(test::run_cli({"inspect", unknown}), "'Mish'");
}

TEST(CliErrors, DynamicShapeAsksForInputShape) {
    const std::string model = test::OnnxBuilder()
                                  .input("image", {1, 4, -1, -1})
                                  .node("Relu", {"image"}, {"y"})
                                  .output("y")
                                  .save("dynamic.onnx");
    OutputDir out("err_dynamic");
    expect_error(test::run_cli(quantize_args(model, calib_4x8x8(), out)), "--input-shape", out);
    test::expect_user_error(test::run_cli({"check", model}), "'image'");
    test::expect_user_error(test::run_cli({"inspect", model}), "--input-shape");
    // The fix the message gives works.
    auto args = quantize_args(model, calib_4x8x8(), out);
    args.insert(args.end(), {"--input-shape", "image=1,4,8,8", "-q"});
    EXPECT_EQ(test::run_cli(args).exit_code, 0);
}

TEST(CliErrors, WrongCalibrationShapeAndDtype) {
    OutputDir out("err_calib");
    // 64x64 samples for a 28x28 model: the message points at --resize.
    expect_error(test::run_cli(quantize_args(kModel, test::data_path("bench/fashion64/calib.npy"), out)), "--resize",
                 out);
    // Four channels for a one-channel model.
    expect_error(test::run_cli(quantize_args(kModel, calib_4x8x8(), out)), "calib_", out);
    // int32 samples: the dtypes that are accepted are named.
    Tensor i32(DType::Int32, {2, 28, 28});
    const std::string p = test::temp_dir() + "/int32.npy";
    save_npy(p, i32);
    expect_error(test::run_cli(quantize_args(kModel, p, out)), "float32, uint8 or int8", out);
    // The same checks guard eval's data.
    test::expect_user_error(test::run_cli({"eval", kModel, "--data", p, "--reference", kModel}), "int32.npy");
}

TEST(CliErrors, EmptyCalibrationFolder) {
    OutputDir out("err_empty");
    const std::string empty = test::fresh_dir("empty_calib");
    expect_error(test::run_cli(quantize_args(kModel, empty, out)), "contains no images", out);
    test::write_bytes(empty + "/README.txt", "not data");
    expect_error(test::run_cli(quantize_args(kModel, empty, out)), empty, out);
}

TEST(CliErrors, NonFiniteWeightsAndData) {
    OutputDir out("err_nonfinite");
    const std::string nan_weights = test::OnnxBuilder()
                                        .input("x", {1, 4, 8, 8})
                                        .initializer("bad_bias", {1}, {std::nanf("")})
                                        .node("Add", {"x", "bad_bias"}, {"y"})
                                        .output("y")
                                        .save("nan_weights.onnx");
    expect_error(test::run_cli(quantize_args(nan_weights, calib_4x8x8(), out)), "'bad_bias'", out);
    test::expect_user_error(test::run_cli({"check", nan_weights}), "'bad_bias'");
    const std::string inf_weights = test::OnnxBuilder()
                                        .input("x", {1, 4, 8, 8})
                                        .initializer("inf_scale", {1}, {INFINITY})
                                        .node("Mul", {"x", "inf_scale"}, {"y"})
                                        .output("y")
                                        .save("inf_weights.onnx");
    expect_error(test::run_cli(quantize_args(inf_weights, calib_4x8x8(), out)), "'inf_scale'", out);
    const std::string relu = test::OnnxBuilder().input("x", {1, 4, 8, 8}).node("Relu", {"x"}, {"y"}).output("y").save("relu_4x8x8.onnx");
    expect_error(test::run_cli(quantize_args(relu, calib_4x8x8(std::nanf(""), 70), out)), "NaN", out);
    expect_error(test::run_cli(quantize_args(relu, calib_4x8x8(-INFINITY, 300), out)), "Inf", out);
}

TEST(CliErrors, UnwritableOutput) {
    const std::string relu = test::OnnxBuilder().input("x", {1, 4, 8, 8}).node("Relu", {"x"}, {"y"}).output("y").save("relu_out.onnx");
    OutputDir out("err_output");
    // A folder that does not exist.
    test::expect_user_error(
        test::run_cli({"quantize", relu, "--calib", calib_4x8x8(), "-o", out.path + "/missing/sub/"}), "does not exist");
    EXPECT_EQ(test::list_dir(out.path), out.before);
    // A regular file used as a folder.
    test::expect_user_error(test::run_cli({"quantize", relu, "--calib", calib_4x8x8(), "-o", out.path + "/keep.txt/m.espdl"}),
                            "keep.txt");
    EXPECT_EQ(test::list_dir(out.path), out.before);
    // A read-only folder (root may write anyway, so only checked for other users).
    if (geteuid() != 0) {
        const std::string ro = test::fresh_dir("readonly");
        fs::permissions(ro, fs::perms::owner_read | fs::perms::owner_exec);
        test::expect_user_error(test::run_cli({"quantize", relu, "--calib", calib_4x8x8(), "-o", ro + "/"}), ro);
        EXPECT_TRUE(fs::is_empty(ro));
        fs::permissions(ro, fs::perms::owner_all);
    }
    // run --output into a missing folder.
    Tensor x(DType::Float32, {1, 4, 8, 8});
    const std::string xp = test::temp_dir() + "/x_out.npy";
    save_npy(xp, x);
    test::expect_user_error(test::run_cli({"run", relu, "--input", xp, "--output", out.path + "/missing/y.npy"}),
                            "missing/y.npy");
    EXPECT_EQ(test::list_dir(out.path), out.before);
}

TEST(CliErrors, MalformedOnnx) {
    OutputDir out("err_bad_onnx");
    static const char kGarbage[] = "\x08\x07\x12\xff\xff\xff\xff\x0f junk";
    const std::string garbage = garbage_file("garbage.onnx", std::string(kGarbage, sizeof kGarbage - 1));
    const std::string truncated = truncated_copy(kModel, "truncated.onnx", 5000);
    for (const std::string& m : {garbage, truncated}) {
        SCOPED_TRACE(m);
        expect_error(test::run_cli(quantize_args(m, kCalib, out)), m, out);
        test::expect_user_error(test::run_cli({"check", m}), m);
        test::expect_user_error(test::run_cli({"inspect", m}), m);
        test::expect_user_error(test::run_cli({"eval", m, "--data", kCalib, "--reference", kModel}), m);
        test::expect_user_error(test::run_cli({"run", m, "--input", kCalib, "--output", out.path + "/y.npy"}), m);
        EXPECT_EQ(test::list_dir(out.path), out.before);
        test::expect_user_error(test::run_cli({"bench", m, "--calib", kCalib, "--data", kCalib}), m);
    }
}

TEST(CliErrors, MalformedEspdl) {
    OutputDir out("err_bad_espdl");
    const std::string garbage = garbage_file("garbage.espdl", "EDL2" + std::string(60, '\x5a'));
    const std::string truncated = truncated_copy(kEspdl, "truncated.espdl", 700);
    Tensor x(DType::Int8, {1, 24, 16});
    const std::string xp = test::temp_dir() + "/x_tcn.npy";
    save_npy(xp, x);
    for (const std::string& m : {garbage, truncated}) {
        SCOPED_TRACE(m);
        test::expect_user_error(test::run_cli({"verify", m}), m);
        test::expect_user_error(test::run_cli({"inspect", m}), m);
        test::expect_user_error(test::run_cli({"run", m, "--input", xp, "--output", out.path + "/y.npy"}), m);
        test::expect_user_error(test::run_cli({"eval", m, "--data", xp, "--reference", kModel}), m);
        EXPECT_EQ(test::list_dir(out.path), out.before);
    }
}

TEST(CliErrors, MissingFiles) {
    OutputDir out("err_missing");
    const std::string none = test::temp_dir() + "/does_not_exist";
    expect_error(test::run_cli(quantize_args(none + ".onnx", kCalib, out)), none + ".onnx", out);
    expect_error(test::run_cli(quantize_args(kModel, none + ".npy", out)), none + ".npy", out);
    expect_error(test::run_cli(quantize_args(kModel, none + "_folder", out)), none + "_folder", out);
    test::expect_user_error(test::run_cli({"check", none + ".onnx"}), none + ".onnx");
    test::expect_user_error(test::run_cli({"verify", none + ".espdl"}), none + ".espdl");
    test::expect_user_error(test::run_cli({"inspect", none + ".espdl"}), none + ".espdl");
    test::expect_user_error(test::run_cli({"run", kModel, "--input", none + ".npy"}), none + ".npy");
    test::expect_user_error(test::run_cli({"eval", kModel, "--data", kCalib, "--labels", none + ".npy"}), none + ".npy");
    test::expect_user_error(test::run_cli({"eval", kModel, "--data", none + ".npy", "--reference", kModel}), none + ".npy");
}

TEST(CliErrors, BadFlagsAreUserErrors) {
    // Usage errors are user errors like any other: one line naming the flag, and where to read the usage.
    test::expect_user_error(test::run_cli({"quantize", kModel}), "--calib is required (see 'espq quantize --help')");
    test::expect_user_error(test::run_cli({"quantize", kModel, "--calib", kCalib, "--bits", "7"}), "--bits");
    test::expect_user_error(test::run_cli({"check", kModel, "--no-such-flag"}), "--no-such-flag");
    test::expect_user_error(test::run_cli({"nonexistent-command"}), "unknown command 'nonexistent-command'");
    OutputDir out("err_flags");
    for (const std::vector<std::string>& bad :
         {std::vector<std::string>{"--resize", "96by96"}, {"--scale", "1/0"}, {"--mean", "a,b"}, {"--std", "0"},
          {"--layout", "chw"}, {"--target", "esp8266"}}) {
        SCOPED_TRACE(bad[0]);
        auto args = quantize_args(kModel, kCalib, out);
        args.insert(args.end(), bad.begin(), bad.end());
        expect_error(test::run_cli(args), bad[0] == "--target" ? "esp8266" : bad[0], out);
    }
}
