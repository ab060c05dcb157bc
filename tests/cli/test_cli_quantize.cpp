// The quantize / verify / eval / run commands as a user runs them: outputs, determinism, JSON summaries, and
// one-line errors with exit code 1 and no files left behind for each class of bad input.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

#include "espq/espdl.hpp"
#include "espq/npy.hpp"
#include "cli_helpers.hpp"

using namespace espq;
namespace fs = std::filesystem;

namespace {

using test::fresh_dir;
using test::slurp;

const std::string kModel = test::data_path("bench/fmnist_cnn.onnx");
const std::string kCalib = test::data_path("bench/fashion28/calib.npy");

std::vector<std::string> quantize_args(const std::string& out) {
    return {"quantize", kModel, "--calib", kCalib, "--calib-count", "16", "--scale", "1/255", "-o", out};
}

void expect_user_error(const test::RunResult& r, const std::string& needle, const std::string& dir) {
    test::expect_user_error(r, needle);
    EXPECT_TRUE(fs::is_empty(dir)) << "no output may be left behind in " << dir;
}

}  // namespace

TEST(CliQuantize, WritesThreeFilesThatVerifyAndAreDeterministic) {
    const std::string a = fresh_dir("det_a"), b = fresh_dir("det_b");
    auto r1 = test::run_cli(quantize_args(a + "/"));
    ASSERT_EQ(r1.exit_code, 0) << r1.err;
    auto r2 = test::run_cli(quantize_args(b + "/model.espdl"));
    ASSERT_EQ(r2.exit_code, 0) << r2.err;
    for (const char* ext : {".espdl", ".info", ".json"}) {
        const std::string fa = a + "/fmnist_cnn" + ext, fb = b + "/model" + ext;
        ASSERT_TRUE(fs::exists(fa)) << fa;
        EXPECT_EQ(slurp(fa), slurp(fb)) << "byte-identical outputs for identical inputs: " << ext;
    }
    // The file loads with our reader, carries the target and test vectors, and passes verify.
    const EspdlModel m = read_espdl(a + "/fmnist_cnn.espdl");
    EXPECT_TRUE(m.has_test_values);
    ASSERT_EQ(m.test_outputs.size(), 1u);
    bool has_target = false;
    for (const auto& [k, v] : m.graph.metadata) has_target |= k == "target" && v == "esp32s3";
    EXPECT_TRUE(has_target);
    auto v = test::run_cli({"verify", a + "/fmnist_cnn.espdl"});
    EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
    const auto rec = nlohmann::json::parse(slurp(a + "/fmnist_cnn.json"));
    EXPECT_TRUE(rec.contains("configs") && rec.contains("dispatchings") && rec.contains("values"));
    EXPECT_EQ(rec["espq"]["target"], "esp32s3");
    EXPECT_EQ(rec["espq"]["data"]["preprocess"]["scale"].get<double>(), 1.0 / 255.0);
}

TEST(CliQuantize, SameModelOnOneThreadAndOnSeveral) {
    // Calibration runs on oneTBB's workers; partial statistics merge order-independently, so the thread count
    // never changes the result.
    const std::string one = fresh_dir("threads_1"), three = fresh_dir("threads_3");
    auto args1 = quantize_args(one + "/");
    args1.insert(args1.end(), {"--threads", "1"});
    auto args3 = quantize_args(three + "/");
    args3.insert(args3.end(), {"--threads", "3"});
    ASSERT_EQ(test::run_cli(args1).exit_code, 0);
    ASSERT_EQ(test::run_cli(args3).exit_code, 0);
    for (const char* ext : {".espdl", ".info"})
        EXPECT_EQ(slurp(one + "/fmnist_cnn" + ext), slurp(three + "/fmnist_cnn" + ext)) << ext;
}

TEST(CliQuantize, JsonSummaryOnStdout) {
    const std::string d = fresh_dir("json");
    auto args = quantize_args(d + "/");
    args.push_back("--json");
    auto r = test::run_cli(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["command"], "quantize");
    EXPECT_EQ(j["outputs"].size(), 3u);
    EXPECT_GT(j["espdl_bytes"].get<int64_t>(), 0);
    EXPECT_EQ(j["calibration_samples"], 16);
    EXPECT_TRUE(j["warnings"].is_array());
}

TEST(CliQuantize, EvalAndRunAgreeWithTheEmulatedModel) {
    const std::string d = fresh_dir("evalrun");
    ASSERT_EQ(test::run_cli(quantize_args(d + "/")).exit_code, 0);
    const std::string espdl = d + "/fmnist_cnn.espdl";
    auto e = test::run_cli({"eval", espdl, "--data", test::data_path("bench/fashion28/eval1000.npy"), "--labels",
                            test::data_path("bench/fashion28/eval1000_labels.npy"), "--scale", "1/255", "--count",
                            "200", "--reference", kModel, "--json"});
    ASSERT_EQ(e.exit_code, 0) << e.err;
    const auto j = nlohmann::json::parse(e.out);
    EXPECT_EQ(j["samples"], 200);
    EXPECT_GT(j["top1"].get<double>(), 85.0);
    EXPECT_GT(j["sqnr_db"].get<double>(), 20.0);
    EXPECT_GT(j["top1_agreement"].get<double>(), 95.0);
    // run: the embedded raw test input through the emulator gives the embedded test output.
    const EspdlModel m = read_espdl(espdl);
    save_npy(d + "/x.npy", m.test_inputs[0].tensor);
    auto r = test::run_cli({"run", espdl, "--input", d + "/x.npy", "--output", d + "/y.npy", "--raw"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const Tensor y = load_npy(d + "/y.npy");
    EXPECT_EQ(y.to_vector<int8_t>(), m.test_outputs[0].tensor.to_vector<int8_t>());
}

TEST(CliQuantize, BadInputsAreOneLineErrorsWithNoOutput) {
    const std::string d = fresh_dir("errors");
    expect_user_error(test::run_cli({"quantize", "/nonexistent.onnx", "--calib", kCalib, "-o", d + "/"}),
                      "/nonexistent.onnx", d);
    expect_user_error(test::run_cli(quantize_args("/nonexistent_dir/sub/")), "does not exist", d);
    const std::string empty = fresh_dir("empty_calib");
    expect_user_error(test::run_cli({"quantize", kModel, "--calib", empty, "-o", d + "/"}), empty, d);
    // Wrong calibration shape: 64x64 images for a 28x28 model, with the fix in the message.
    expect_user_error(test::run_cli({"quantize", kModel, "--calib", test::data_path("bench/fashion64/calib.npy"), "-o",
                                     d + "/"}),
                      "--resize", d);
    // NaN in calibration data.
    Tensor bad(DType::Float32, {2, 28, 28});
    bad.data<float>()[5] = std::nanf("");
    save_npy(empty + "/../nan.npy", bad);
    expect_user_error(test::run_cli({"quantize", kModel, "--calib", empty + "/../nan.npy", "-o", d + "/"}), "NaN", d);
    expect_user_error(test::run_cli({"quantize", kModel, "--calib", kCalib, "--target", "esp8266", "-o", d + "/"}),
                      "unknown target 'esp8266'", d);
    expect_user_error(test::run_cli({"quantize", kModel, "--calib", kCalib, "--layer-bits", "nope=16", "-o", d + "/"}),
                      "'nope'", d);
}

TEST(CliVerify, CorruptedTestOutputFails) {
    const std::string d = fresh_dir("verify_bad");
    ASSERT_EQ(test::run_cli(quantize_args(d + "/")).exit_code, 0);
    EspdlModel m = read_espdl(d + "/fmnist_cnn.espdl");
    m.test_outputs[0].tensor.data<int8_t>()[3] ^= 0x10;
    write_file_atomic(d + "/bad.espdl", write_espdl_bytes(m));
    auto r = test::run_cli({"verify", d + "/bad.espdl"});
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
}
