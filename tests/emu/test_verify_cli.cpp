// `espq verify`: embedded test vectors through the emulator, exit status and messages.
#include <nlohmann/json.hpp>

#include <filesystem>

#include "espq/espdl.hpp"
#include "support.hpp"
#include "emu_harness.hpp"

namespace espq::test {
namespace {

const std::string kGemmS3 = "oracle/esp32s3/Gemm__linear_ishap_1_64_kshap_32_64_relu_s8__4f596fea.espdl";
const std::string kConvS16 = "oracle/esp32s3/Conv__conv2d_ishap_1_16_32_32_kshap_32_16_1_1_s16__97336c35.espdl";

TEST(VerifyCli, PassingInt8FileUsesTheTargetFromMetadata) {
    RunResult r = run_cli({"verify", data_path(kGemmS3)});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("(esp32s3)"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("INT8 [1x32]  exact"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("PASS"), std::string::npos);
}

TEST(VerifyCli, Int16ReportsOffByOneCountsAndJson) {
    RunResult r = run_cli({"verify", data_path(kConvS16), "--target", "esp32s3", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["target"], "esp32s3");
    EXPECT_TRUE(j["pass"].get<bool>());
    ASSERT_EQ(j["outputs"].size(), 1u);
    const auto& o = j["outputs"][0];
    EXPECT_EQ(o["dtype"], "INT16");
    // The exact integer rule differs from ESP-PPQ's float32 vectors by 1 in 25 of 32768 elements
    // (docs/esp-dl-arithmetic.md §8.1).
    EXPECT_EQ(o["off_by_one"].get<int64_t>(), 25);
    EXPECT_EQ(o["exact"].get<int64_t>(), 32743);
    EXPECT_EQ(o["max_abs_diff"].get<double>(), 1.0);
}

TEST(VerifyCli, MissingTargetAndWrongTargetAreUserErrors) {
    RunResult r = run_cli({"verify", data_path(kConvS16)});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("--target"), std::string::npos) << r.err;
    // An S3 file run as a C-target model: its blocked weights do not match the C layout.
    RunResult w = run_cli({"verify", data_path(kGemmS3), "--target", "c"});
    EXPECT_EQ(w.exit_code, 1);
    EXPECT_NE(w.err.find("layout"), std::string::npos) << w.err;
}

TEST(VerifyCli, CorruptedTestOutputFails) {
    EspdlModel m = read_espdl(data_path(kGemmS3));
    ASSERT_FALSE(m.test_outputs.empty());
    Tensor& t = m.test_outputs[0].tensor;
    int8_t* v = t.data<int8_t>();
    v[5] = static_cast<int8_t>(v[5] == 127 ? 126 : v[5] + 1);  // off by one: int8 must be exact
    const std::string path = temp_dir() + "/corrupted.espdl";
    write_file_atomic(path, write_espdl_bytes(m));
    RunResult r = run_cli({"verify", path});
    EXPECT_EQ(r.exit_code, 1) << r.out;
    EXPECT_NE(r.out.find("FAIL at element 5"), std::string::npos) << r.out;
    EXPECT_NE(r.err.find("'" + m.test_outputs[0].name + "' differs at element 5"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace espq::test
