// `espq check`: every node the target cannot run is listed with its name and a fix, before calibration.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli_helpers.hpp"
#include "espq/npy.hpp"

namespace {

// x[1,8,8,8] -> grouped Conv (group 2, 8->8) -> MaxPool ceil_mode=1 -> Max(., per-channel const) -> y
std::string problem_model() {
    return espq::test::OnnxBuilder()
        .input("x", {1, 8, 8, 8})
        .weights("w", {8, 4, 3, 3})
        .weights("c", {1, 8, 1, 1})
        .node("Conv", {"x", "w"}, {"a"}, "grouped")
        .attr("group", int64_t{2})
        .node("MaxPool", {"a"}, {"b"}, "pool")
        .attr("kernel_shape", std::vector<int64_t>{3, 3})
        .attr("strides", std::vector<int64_t>{2, 2})
        .attr("ceil_mode", int64_t{1})
        .node("Max", {"b", "c"}, {"y"}, "max_const")
        .output("y")
        .save("problems.onnx");
}

}  // namespace

TEST(CliCheck, ListsEveryProblemWithNodeAndFix) {
    const auto r = espq::test::run_cli({"check", problem_model(), "--json"});
    EXPECT_EQ(r.exit_code, 1) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_FALSE(j["ok"].get<bool>());
    const std::string all = j["problems"].dump();
    EXPECT_NE(all.find("'grouped'"), std::string::npos) << all;
    EXPECT_NE(all.find("split it into"), std::string::npos) << all;
    EXPECT_NE(all.find("'pool'"), std::string::npos) << all;
    EXPECT_NE(all.find("ceil_mode"), std::string::npos) << all;
    EXPECT_NE(all.find("'max_const'"), std::string::npos) << all;
    EXPECT_NE(all.find("one scalar constant"), std::string::npos) << all;  // what pass minmax_to_clip takes
}

TEST(CliCheck, BenchModelsPass) {
    for (const char* m : {"fmnist_cnn", "gesture_mbv2", "fmnist_mbv3", "fmnist_mbv3_bn"}) {
        const auto r = espq::test::run_cli({"check", espq::test::data_path(std::string("bench/") + m + ".onnx")});
        EXPECT_EQ(r.exit_code, 0) << m << r.out << r.err;
    }
}

TEST(CliCheck, AgreesWithQuantizeAtBothWidths) {
    // check promises that quantize will succeed: for models using operators with width-specific support
    // (see `espq ops`), both commands must give the same verdict.
    const std::string calib = espq::test::temp_dir() + "/calib_check.npy";
    espq::Tensor t(espq::DType::Float32, {2, 4, 8, 8});
    for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = 0.03f * static_cast<float>(i % 64) - 1.f;
    espq::save_npy(calib, t);
    const std::vector<std::string> models = {
        espq::test::OnnxBuilder().input("x", {1, 4, 8, 8}).initializer("slope", {1}, {0.25f})
            .node("PRelu", {"x", "slope"}, {"y"}).output("y").save("check_prelu.onnx"),
        espq::test::OnnxBuilder(20).input("x", {1, 4, 8, 8}).node("Gelu", {"x"}, {"y"}).output("y").save("check_gelu.onnx"),
        espq::test::OnnxBuilder().input("x", {1, 4, 8, 8}).initializer("scales", {4}, {1, 1, 2, 2})
            .node("Resize", {"x", "", "scales"}, {"y"}).output("y").save("check_resize.onnx"),
    };
    for (const auto& m : models) {
        for (const char* bits : {"8", "16"}) {
            SCOPED_TRACE(m + " --bits " + bits);
            const auto c = espq::test::run_cli({"check", m, "--bits", bits});
            const std::string out = espq::test::fresh_dir("check_agree");
            const auto q = espq::test::run_cli({"quantize", m, "--calib", calib, "--bits", bits, "--calib-method",
                                                "minmax", "-o", out + "/"});
            EXPECT_EQ(c.exit_code, q.exit_code) << "check:\n" << c.out << "quantize:\n" << q.err;
        }
    }
}
