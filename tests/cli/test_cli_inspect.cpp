// `espq inspect` on both model kinds, checked against the oracle MANIFEST and the bench model's known graph.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

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
