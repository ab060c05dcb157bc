// The --json summary of every subcommand (docs/cli-json.md): stdout is exactly one JSON object with the
// documented keys and types, and the values agree with what the command did (files on disk, sample counts).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>

#include "cli_helpers.hpp"
#include "espq/espdl.hpp"
#include "espq/npy.hpp"

using namespace espq;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

enum class Type { String, Bool, Integer, Number, Array, Object, Null };

bool has_type(const json& v, Type t) {
    switch (t) {
        case Type::String: return v.is_string();
        case Type::Bool: return v.is_boolean();
        case Type::Integer: return v.is_number_integer();
        case Type::Number: return v.is_number();
        case Type::Array: return v.is_array();
        case Type::Object: return v.is_object();
        case Type::Null: return v.is_null();
    }
    return false;
}

void expect_schema(const json& j, const std::vector<std::pair<std::string, Type>>& keys) {
    ASSERT_TRUE(j.is_object()) << j;
    for (const auto& [k, t] : keys) {
        ASSERT_TRUE(j.contains(k)) << "missing key '" << k << "' in " << j.dump();
        EXPECT_TRUE(has_type(j[k], t)) << "key '" << k << "' has the wrong type: " << j[k].dump();
    }
}

// Runs the command and parses stdout, which must be one JSON document and nothing else.
json run_json(const std::vector<std::string>& args) {
    const auto r = test::run_cli(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    try {
        return json::parse(r.out);
    } catch (const json::parse_error& e) {
        ADD_FAILURE() << "stdout is not one JSON document (" << e.what() << "):\n" << r.out;
        return json();
    }
}

const std::string kModel = test::data_path("bench/fmnist_cnn.onnx");
const std::string kCalib = test::data_path("bench/fashion28/calib.npy");
const std::string kEval = test::data_path("bench/fashion28/eval1000.npy");
const std::string kLabels = test::data_path("bench/fashion28/eval1000_labels.npy");

// One quantized model shared by the tests that read an .espdl.
const std::string& quantized() {
    static const std::string path = [] {
        const std::string d = test::fresh_dir("json_model");
        const auto r = test::run_cli({"quantize", kModel, "--calib", kCalib, "--calib-count", "8", "--scale", "1/255",
                                      "--calib-method", "minmax", "-o", d + "/", "-q"});
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return d + "/fmnist_cnn.espdl";
    }();
    return path;
}

}  // namespace

TEST(CliJson, Check) {
    const json j = run_json({"check", kModel, "--target", "esp32p4", "--json"});
    expect_schema(j, {{"command", Type::String}, {"model", Type::String}, {"target", Type::String},
                      {"ok", Type::Bool}, {"problems", Type::Array}});
    // No warnings: without calibration data every range-dependent note would be a guess.
    EXPECT_FALSE(j.contains("warnings"));
    EXPECT_EQ(j["command"], "check");
    EXPECT_EQ(j["model"], kModel);
    EXPECT_EQ(j["target"], "esp32p4");
    EXPECT_TRUE(j["ok"].get<bool>());
    EXPECT_TRUE(j["problems"].empty());
}

TEST(CliJson, Quantize) {
    const std::string d = test::fresh_dir("json_quantize");
    const json j = run_json({"quantize", kModel, "--calib", kCalib, "--calib-count", "8", "--scale", "1/255",
                             "--calib-method", "minmax", "--target", "c", "-o", d + "/m.espdl", "--json"});
    expect_schema(j, {{"command", Type::String}, {"model", Type::String}, {"target", Type::String},
                      {"outputs", Type::Array}, {"espdl_bytes", Type::Integer}, {"nodes", Type::Integer},
                      {"calibration_samples", Type::Integer}, {"seconds", Type::Object}, {"warnings", Type::Array}});
    EXPECT_EQ(j["command"], "quantize");
    EXPECT_EQ(j["target"], "c");
    EXPECT_EQ(j["outputs"], (std::vector<std::string>{d + "/m.espdl", d + "/m.info", d + "/m.json"}));
    for (const auto& p : j["outputs"]) EXPECT_TRUE(fs::exists(p.get<std::string>())) << p;
    EXPECT_EQ(j["espdl_bytes"].get<uintmax_t>(), fs::file_size(d + "/m.espdl"));
    EXPECT_EQ(j["nodes"].get<size_t>(), read_espdl(d + "/m.espdl").graph.nodes.size());
    EXPECT_EQ(j["calibration_samples"], 8);
    expect_schema(j["seconds"], {{"total", Type::Number}, {"calibration", Type::Number}});
    for (const auto& w : j["warnings"]) EXPECT_TRUE(w.is_string());
}

TEST(CliJson, Eval) {
    const json j = run_json({"eval", quantized(), "--data", kEval, "--labels", kLabels, "--count", "40", "--scale",
                             "1/255", "--reference", kModel, "--threads", "1", "--json"});
    expect_schema(j, {{"command", Type::String}, {"model", Type::String}, {"samples", Type::Integer},
                      {"seconds", Type::Number}, {"images_per_second", Type::Number}, {"top1", Type::Number},
                      {"top5", Type::Number}, {"reference", Type::String}, {"sqnr_db", Type::Number},
                      {"top1_agreement", Type::Number}, {"outputs", Type::Array}});
    ASSERT_EQ(j["outputs"].size(), 1u);
    expect_schema(j["outputs"][0], {{"name", Type::String}, {"sqnr_db", Type::Number}, {"top1_agreement", Type::Number}});
    EXPECT_EQ(j["outputs"][0]["sqnr_db"], j["sqnr_db"]) << "one output: its SQNR is the overall one";
    EXPECT_EQ(j["command"], "eval");
    EXPECT_EQ(j["samples"], 40);
    EXPECT_NE(j["model"].get<std::string>().find("emulated esp32s3"), std::string::npos) << j["model"];
    EXPECT_GE(j["top5"].get<double>(), j["top1"].get<double>());
    // Without --reference the comparison keys are absent.
    const json k = run_json({"eval", quantized(), "--data", kEval, "--labels", kLabels, "--count", "10", "--scale",
                             "1/255", "--json"});
    EXPECT_TRUE(k.contains("top1"));
    EXPECT_FALSE(k.contains("sqnr_db"));
}

TEST(CliJson, Run) {
    const std::string d = test::fresh_dir("json_run");
    const EspdlModel m = read_espdl(quantized());
    save_npy(d + "/x.npy", m.test_inputs.at(0).tensor);
    const json j = run_json({"run", quantized(), "--input", d + "/x.npy", "--output", d + "/y.npy", "--json"});
    expect_schema(j, {{"command", Type::String}, {"model", Type::String}, {"samples", Type::Integer},
                      {"output", Type::String}});
    EXPECT_EQ(j["command"], "run");
    EXPECT_EQ(j["samples"], 1);
    EXPECT_EQ(j["output"], d + "/y.npy");
    EXPECT_TRUE(fs::exists(d + "/y.npy"));
}

TEST(CliJson, Verify) {
    const json j = run_json({"verify", quantized(), "--json"});
    expect_schema(j, {{"command", Type::String}, {"file", Type::String}, {"target", Type::String},
                      {"pass", Type::Bool}, {"outputs", Type::Array}});
    EXPECT_EQ(j["command"], "verify");
    EXPECT_TRUE(j["pass"].get<bool>());
    ASSERT_EQ(j["outputs"].size(), 1u);
    expect_schema(j["outputs"][0], {{"name", Type::String}, {"dtype", Type::String}, {"shape", Type::Array},
                                    {"exponent", Type::Integer}, {"elements", Type::Integer}, {"exact", Type::Integer},
                                    {"off_by_one", Type::Integer}, {"max_abs_diff", Type::Number}, {"pass", Type::Bool}});
    EXPECT_EQ(j["outputs"][0]["elements"], 10);
    EXPECT_EQ(j["outputs"][0]["exact"], 10) << "our own test vectors are bit-exact";
}

TEST(CliJson, Inspect) {
    const json o = run_json({"inspect", kModel, "--json"});
    expect_schema(o, {{"command", Type::String}, {"file", Type::String}, {"format", Type::String},
                      {"graph", Type::String}, {"opset", Type::Integer}, {"inputs", Type::Array},
                      {"outputs", Type::Array}, {"nodes", Type::Integer}, {"ops", Type::Object},
                      {"parameters", Type::Integer}, {"parameter_bytes", Type::Integer},
                      {"espdl_support", Type::Array}, {"target", Type::String}, {"handling", Type::Object}});
    EXPECT_EQ(o["command"], "inspect");
    EXPECT_EQ(o["target"], "esp32s3");
    for (const auto& [op, n] : o["ops"].items()) EXPECT_TRUE(o["handling"].contains(op)) << op;
    EXPECT_EQ(o["format"], "onnx");
    expect_schema(o["inputs"][0], {{"name", Type::String}, {"dtype", Type::String}, {"shape", Type::Array}});
    const json e = run_json({"inspect", quantized(), "--json"});
    expect_schema(e, {{"command", Type::String}, {"file", Type::String}, {"format", Type::String},
                      {"graph", Type::String}, {"model_version", Type::Integer}, {"metadata", Type::Object},
                      {"inputs", Type::Array}, {"outputs", Type::Array}, {"nodes", Type::Integer},
                      {"ops", Type::Object}, {"quant_types", Type::Object}, {"parameters", Type::Integer},
                      {"parameter_bytes", Type::Integer}, {"tensors", Type::Array}, {"test_values", Type::Object}});
    EXPECT_EQ(e["format"], "espdl");
    EXPECT_EQ(e["metadata"]["target"], "esp32s3");
    expect_schema(e["inputs"][0], {{"name", Type::String}, {"dtype", Type::String}, {"shape", Type::Array},
                                   {"exponents", Type::Array}});
}

TEST(CliJson, Bench) {
    const json j = run_json({"bench", kModel, "--calib", kCalib, "--calib-count", "4", "--data", kEval, "--images",
                             "8", "--threads", "1", "--scale", "1/255", "--json"});
    expect_schema(j, {{"command", Type::String}, {"model", Type::String}, {"threads", Type::Integer},
                      {"images", Type::Integer}, {"float_images_per_second", Type::Number},
                      {"float_images_per_second_1_thread", Type::Number}, {"quantize_seconds", Type::Number},
                      {"calibration_seconds", Type::Number}, {"calibration_samples", Type::Integer},
                      {"emulator_images_per_second", Type::Number},
                      {"emulator_images_per_second_1_thread", Type::Number}});
    EXPECT_EQ(j["command"], "bench");
    EXPECT_EQ(j["images"], 8);
    EXPECT_EQ(j["threads"], 1);
    EXPECT_EQ(j["calibration_samples"], 4);
}

TEST(CliJson, Ops) {
    const json j = run_json({"ops", "--target", "esp32s3", "--json"});
    expect_schema(j, {{"command", Type::String}, {"targets", Type::Array}, {"operators", Type::Array}});
    EXPECT_EQ(j["command"], "ops");
    ASSERT_FALSE(j["operators"].empty());
    for (const auto& r : j["operators"]) {
        expect_schema(r, {{"op", Type::String}, {"handling", Type::String}, {"espdl_module", Type::String},
                          {"note", Type::String}, {"targets", Type::Object}});
        expect_schema(r["targets"]["esp32s3"], {{"bits", Type::Array}, {"failures", Type::Object}});
    }
}
