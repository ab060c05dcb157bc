// `espq ops`: the supported-operator table is computed from the code, README's copy is kept in sync, and the
// table agrees with facts known independently (ESP-DL's module list, the bench models that quantize).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <set>

#include "cli_helpers.hpp"
#include "emu/emu_op.hpp"
#include "espq/float_ops.hpp"
#include "espq/support.hpp"
#include "quant/lower_context.hpp"

using namespace espq;

namespace {

const char* const kBegin = "<!-- ops-table:begin -->\n";
const char* const kEnd = "<!-- ops-table:end -->";

const nlohmann::json& ops_json() {
    static const nlohmann::json j = [] {
        const auto r = test::run_cli({"ops", "--json"});
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return nlohmann::json::parse(r.out);
    }();
    return j;
}

const nlohmann::json& row(const std::string& op) {
    for (const auto& r : ops_json()["operators"])
        if (r["op"] == op) return r;
    static const nlohmann::json none;
    ADD_FAILURE() << "no row for " << op;
    return none;
}

std::vector<int> bits(const std::string& op, const std::string& target) {
    return row(op)["targets"][target]["bits"].get<std::vector<int>>();
}

}  // namespace

TEST(CliOps, ReadmeTableIsTheCommandsOutput) {
    const auto r = test::run_cli({"ops", "--markdown"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string readme = test::slurp(test::model_path("../README.md"));
    const auto b = readme.find(kBegin), e = readme.find(kEnd);
    ASSERT_NE(b, std::string::npos) << "README.md has no '" << kBegin << "' marker";
    ASSERT_NE(e, std::string::npos) << "README.md has no '" << kEnd << "' marker";
    const std::string in_readme = readme.substr(b + std::string(kBegin).size(), e - b - std::string(kBegin).size());
    if (in_readme != r.out) {
        const auto want = test::lines_of(r.out), have = test::lines_of(in_readme);
        size_t i = 0;
        while (i < want.size() && i < have.size() && want[i] == have[i]) ++i;
        FAIL() << "README.md's operator table is out of date; regenerate it with `make readme-ops` "
                  "(espq ops --markdown between the ops-table markers).\nFirst difference at table line "
               << i + 1 << ":\n  README: " << (i < have.size() ? have[i] : "<end>")
               << "\n  code:   " << (i < want.size() ? want[i] : "<end>");
    }
}

TEST(CliOps, OneProbedRowPerOperatorTheLoaderAccepts) {
    const auto& j = ops_json();
    EXPECT_EQ(j["command"], "ops");
    EXPECT_EQ(j["targets"], (std::vector<std::string>{"esp32s3", "esp32p4", "c"}));
    std::vector<std::string> ops;
    for (const auto& r : j["operators"]) {
        ops.push_back(r["op"]);
        EXPECT_NE(r["handling"], "no probe") << r["op"] << ": add a probe model to src/support/op_probes.cpp";
        ASSERT_TRUE(r["note"].is_string());
        ASSERT_TRUE(r["espdl_module"].is_string());
        for (const char* t : {"esp32s3", "esp32p4", "c"}) {
            const auto& s = r["targets"][t];
            ASSERT_TRUE(s["bits"].is_array()) << r["op"];
            // Every width is either supported or has the pipeline's reason.
            for (int b : {8, 16}) {
                const auto v = s["bits"].get<std::vector<int>>();
                const bool ok = std::find(v.begin(), v.end(), b) != v.end();
                EXPECT_NE(ok, s["failures"].contains(std::to_string(b))) << r["op"] << " " << t << " " << b;
            }
        }
    }
    EXPECT_EQ(ops, float_op_types());
}

TEST(CliOps, AgreesWithIndependentFacts) {
    // Conv, depthwise included, runs on every target at both widths (ESP-DL has all six kernels).
    for (const char* t : {"esp32s3", "esp32p4", "c"}) EXPECT_EQ(bits("Conv", t), (std::vector<int>{8, 16})) << t;
    // ESP-DL's int16 Resize is an empty stub: 8-bit only, with the reason in the note.
    EXPECT_EQ(bits("Resize", "esp32s3"), std::vector<int>{8});
    EXPECT_NE(row("Resize")["note"].get<std::string>().find("16-bit"), std::string::npos) << row("Resize");
    // ESP-DL registers no Max module; espq rewrites Max by a constant into Clip (or Relu), which it has.
    EXPECT_EQ(bits("Max", "esp32s3"), (std::vector<int>{8, 16}));
    EXPECT_EQ(row("Max")["handling"], "rewritten by pass minmax_to_clip");
    EXPECT_NE(row("Max")["note"].get<std::string>().find("Clip"), std::string::npos) << row("Max");
    EXPECT_EQ(row("Max")["espdl_module"], "rewritten");  // runtime view: no module, espq rewrites it
    // GlobalMaxPool has no ESP-DL module either, but espq rewrites it into a whole-image MaxPool, which has.
    EXPECT_EQ(bits("GlobalMaxPool", "c"), (std::vector<int>{8, 16}));
    EXPECT_EQ(row("GlobalMaxPool")["handling"], "rewritten by pass reduce_to_pool");
    // ConvTranspose has no module either, but runs as InsertZeros + Conv, which espq lowers it to.
    for (const char* t : {"esp32s3", "esp32p4", "c"})
        EXPECT_EQ(bits("ConvTranspose", t), (std::vector<int>{8, 16})) << t;
    EXPECT_NE(row("ConvTranspose")["note"].get<std::string>().find("InsertZeros"), std::string::npos);
    // BatchNormalization after a Conv is folded by the optimizer, Constant nodes at load.
    EXPECT_EQ(row("BatchNormalization")["handling"], "rewritten by pass fold_batchnorm");
    EXPECT_EQ(row("Constant")["handling"], "folded at load");
    EXPECT_EQ(bits("BatchNormalization", "esp32s3"), (std::vector<int>{8, 16}));
}

TEST(CliOps, EveryOperatorOfTheBenchModelsIsSupported) {
    // The bench models quantize and verify (tests/e2e): every operator they contain must be in the table at 8
    // and 16 bits on esp32s3.
    std::set<std::string> seen;
    for (const char* m : {"fmnist_cnn", "gesture_mbv2", "fmnist_mbv3", "fmnist_mbv3_bn"}) {
        const auto r = test::run_cli({"inspect", test::data_path(std::string("bench/") + m + ".onnx"), "--json"});
        ASSERT_EQ(r.exit_code, 0) << r.err;
        const auto j = nlohmann::json::parse(r.out);
        for (const auto& [op, n] : j["ops"].items()) seen.insert(op);
    }
    EXPECT_GE(seen.size(), 5u);
    for (const auto& op : seen) EXPECT_EQ(bits(op, "esp32s3"), (std::vector<int>{8, 16})) << op;
}

TEST(CliOps, TargetFilterAndFormats) {
    const auto r = test::run_cli({"ops", "--target", "esp32p4", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["targets"], std::vector<std::string>{"esp32p4"});
    EXPECT_EQ(j["operators"][0]["targets"].size(), 1u);
    const auto text = test::run_cli({"ops", "--target", "c"});
    ASSERT_EQ(text.exit_code, 0) << text.err;
    EXPECT_NE(text.out.find("Conv"), std::string::npos);
    EXPECT_EQ(text.out.find("esp32s3"), std::string::npos) << "only the chosen target's column";
    test::expect_user_error(test::run_cli({"ops", "--target", "esp8266"}), "esp8266");
    EXPECT_EQ(test::run_cli({"ops", "--markdown", "--json"}).exit_code, 1) << "the formats exclude each other";
}

TEST(CliOps, ConsistentWithTheLoweringAndEmulatorRegistries) {
    // An operator the table calls supported and lowered has a lowering and an emulator kernel; one with both
    // must be supported somewhere (otherwise its probe model, not the code, is wrong).
    for (const auto& r : ops_json()["operators"]) {
        const std::string op = r["op"];
        bool anywhere = false;
        for (const auto& [t, s] : r["targets"].items()) anywhere |= !s["bits"].empty();
        // An operator ESP-DL runs as a sequence of modules (ConvTranspose: InsertZeros, Conv) needs each of them.
        const OpSupportEntry* entry = find_op_support(op);
        const std::vector<std::string> espdl_ops =
            entry && !entry->espdl_runs_as.empty() ? entry->espdl_runs_as : std::vector<std::string>{op};
        bool emulated = true;
        for (const std::string& e : espdl_ops) emulated &= emu::find_emu_op(e) != nullptr;
        const bool lowered = quant::find_lowering(op) != nullptr;
        if (anywhere && r["handling"] == "lowered") {
            EXPECT_TRUE(lowered) << op;
            EXPECT_TRUE(emulated) << op;
        }
        if (lowered && emulated) {
            EXPECT_TRUE(anywhere) << op << ": " << r["note"];
        }
    }
}

TEST(CliOps, TheSupportTableSaysWhatTheProbesFind) {
    // The support table (src/support/support.cpp) declares how each operator is handled; `inspect`, `check`
    // and the lowering's messages read it, so it must agree with what the probes find in the real pipeline.
    for (const auto& r : ops_json()["operators"]) {
        const std::string op = r["op"];
        const std::string declared = r["declared_handling"];
        bool anywhere = false;
        for (const auto& [t, s] : r["targets"].items()) anywhere |= !s["bits"].empty();
        if (anywhere) {
            EXPECT_EQ(declared, r["handling"]) << op;
        } else {
            EXPECT_TRUE(declared == "not lowered yet" || declared == "no ESP-DL module")
                << op << " quantizes on no target, but the table says " << declared;
        }
    }
    // ESP-DL has no ConvTranspose module but runs it as InsertZeros + Conv (ESP-PPQ's export): the table calls it
    // lowered, though there is no module of its name.
    EXPECT_EQ(row("ConvTranspose")["declared_handling"], "lowered");
    EXPECT_EQ(row("ConvTranspose")["espdl_module"], "missing");
}

TEST(CliOps, Esp32s31RunsWhatEsp32p4Runs) {
    // ESP32-S31 has P4's policy (PIE V2, per-channel weights, round half to even): the README's table shows
    // esp32p4's column for both, which holds only while the probes agree.
    const auto r = test::run_cli({"ops", "--target", "esp32p4", "--target", "esp32s31", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    for (const auto& o : j["operators"])
        EXPECT_EQ(o["targets"]["esp32s31"]["bits"], o["targets"]["esp32p4"]["bits"]) << o["op"];
}
