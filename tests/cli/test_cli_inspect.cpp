// `espq inspect` on both model kinds, checked against the oracle MANIFEST and the bench model's known graph.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli_helpers.hpp"
#include "support.hpp"

using espq::test::data_path;
using espq::test::run_cli;

TEST(CliInspect, OnnxModel) {
    const auto r = run_cli({"inspect", data_path("bench/gesture_mbv2.onnx"), "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["inputs"][0]["shape"], (std::vector<int64_t>{1, 1, 96, 96}));
    EXPECT_EQ(j["outputs"][0]["name"], "logits");
    EXPECT_GT(j["ops"]["Conv"].get<int>(), 20);
    EXPECT_GT(j["parameters"].get<int64_t>(), 100000);
    EXPECT_TRUE(j["espdl_support"].empty()) << "every gesture_mbv2 op has an ESP-DL module";
}

TEST(CliInspect, EspdlModelMatchesManifest) {
    // MANIFEST.tsv: streaming_tcn.espdl ops Conv:8;Sigmoid:3;Mul:3;Add:1;AveragePool:1;Transpose:1;Slice:1;
    // Flatten:1;Gemm:1, input input.1[1,24,16]INT8 e-5, output 164[1,16]INT8 e-9, one test input and output.
    const auto r = run_cli({"inspect", data_path("oracle/esp32s3/streaming_tcn.espdl"), "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["ops"]["Conv"], 8);
    EXPECT_EQ(j["ops"]["Sigmoid"], 3);
    EXPECT_EQ(j["ops"]["Mul"], 3);
    EXPECT_EQ(j["ops"]["Gemm"], 1);
    EXPECT_EQ(j["inputs"][0]["name"], "input.1");
    EXPECT_EQ(j["inputs"][0]["dtype"], "INT8");
    EXPECT_EQ(j["inputs"][0]["shape"], (std::vector<int64_t>{1, 24, 16}));
    EXPECT_EQ(j["inputs"][0]["exponents"], (std::vector<int64_t>{-5}));
    EXPECT_EQ(j["outputs"][0]["exponents"], (std::vector<int64_t>{-9}));
    EXPECT_EQ(j["test_values"]["outputs"], 1);
    EXPECT_EQ(j["quant_types"]["S8"], 20);
    const auto text = run_cli({"inspect", data_path("oracle/esp32s3/streaming_tcn.espdl")});
    EXPECT_NE(text.out.find("(N/16)WC16"), std::string::npos);
}

TEST(CliInspect, MissingFileExitsOne) {
    const auto r = run_cli({"inspect", "/no/such/model.espdl"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("/no/such/model.espdl"), std::string::npos) << r.err;
}

TEST(CliGlobalFlags, AcceptedAfterTheSubcommand) {
    const auto r = run_cli({"inspect", data_path("bench/fmnist_cnn.onnx"), "-q"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const auto v = run_cli({"--version"});
    EXPECT_EQ(v.exit_code, 0);
    EXPECT_NE(v.out.find("espq "), std::string::npos) << v.out;
    const auto bad = run_cli({"quantize", "--no-such-flag"});
    EXPECT_EQ(bad.exit_code, 1) << "a usage error is a user error";
}

namespace {

// check's problems and inspect's ESP-DL report for the same model and target.
std::pair<nlohmann::json, nlohmann::json> check_and_inspect(const std::string& model) {
    const auto c = run_cli({"check", model, "--json"});
    const auto i = run_cli({"inspect", model, "--json"});
    EXPECT_EQ(i.exit_code, 0) << i.err;
    return {nlohmann::json::parse(c.out), nlohmann::json::parse(i.out)};
}

}  // namespace

TEST(CliInspect, ReportsWhatCheckReports) {
    // A grouped (not depthwise) Conv: ESP-DL has a Conv module, but not for this grouping. inspect used to say
    // "every operator has an ESP-DL module" while check rejected the model; now both say the same.
    espq::test::OnnxBuilder grouped;
    grouped.input("x", {1, 4, 8, 8}).weights("w", {4, 2, 3, 3});
    grouped.node("Conv", {"x", "w"}, {"y"}, "grouped_conv").attr("group", int64_t{2});
    grouped.output("y");
    const auto [check, inspect] = check_and_inspect(grouped.save("grouped.onnx"));
    EXPECT_FALSE(check["ok"].get<bool>());
    EXPECT_EQ(inspect["espdl_support"], check["problems"]);
    EXPECT_NE(inspect["espdl_support"].dump().find("grouped_conv"), std::string::npos) << inspect.dump();

    // GlobalMaxPool: ESP-DL has no such module, but pass reduce_to_pool rewrites it; nothing to report.
    espq::test::OnnxBuilder gmp;
    gmp.input("x", {1, 4, 8, 8}).node("GlobalMaxPool", {"x"}, {"y"}).output("y");
    const auto [check2, inspect2] = check_and_inspect(gmp.save("gmp.onnx"));
    EXPECT_TRUE(check2["ok"].get<bool>()) << check2.dump();
    EXPECT_TRUE(inspect2["espdl_support"].empty()) << inspect2.dump();
    EXPECT_EQ(inspect2["handling"]["GlobalMaxPool"], "rewritten by pass reduce_to_pool");

    // Max with a per-channel constant: no ESP-DL module and not a Clip; what the rewrite takes named by both.
    espq::test::OnnxBuilder mx;
    mx.input("x", {1, 4, 8, 8})
        .initializer("floor", {4, 1, 1}, {0.f, 0.1f, 0.2f, 0.3f})
        .node("Max", {"x", "floor"}, {"y"}, "the_max")
        .output("y");
    const auto [check3, inspect3] = check_and_inspect(mx.save("max.onnx"));
    EXPECT_EQ(inspect3["espdl_support"], check3["problems"]);
    EXPECT_NE(inspect3["espdl_support"].dump().find("Clip"), std::string::npos) << inspect3.dump();
}
