// The README's main job, exactly as `make demo` runs it: the espq commands of the Makefile's demo recipe
// (inspect, quantize the shipped example model from its image folder with preprocessing flags, verify,
// eval) are read from the Makefile and run in order; each must succeed, and the quantization record must
// describe the preprocessing those flags ask for.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sstream>

#include "cli_helpers.hpp"

using namespace espq;

namespace {

// The "$(ESPQ) ..." commands of the Makefile's demo recipe, continuation lines joined, split into words.
std::vector<std::vector<std::string>> demo_commands(const std::string& makefile) {
    std::vector<std::vector<std::string>> commands;
    bool in_recipe = false;
    std::string pending;
    for (const auto& line : test::lines_of(makefile)) {
        if (line.rfind("demo:", 0) == 0) {
            in_recipe = true;
            continue;
        }
        if (!in_recipe) continue;
        if (line.empty() || line[0] != '\t') break;
        pending += line.substr(1);
        if (!pending.empty() && pending.back() == '\\') {
            pending.pop_back();
            continue;
        }
        std::istringstream words(pending);
        pending.clear();
        std::vector<std::string> cmd;
        for (std::string w; words >> w;) cmd.push_back(w);
        if (!cmd.empty() && cmd[0] == "$(ESPQ)") commands.emplace_back(cmd.begin() + 1, cmd.end());
    }
    return commands;
}

}  // namespace

TEST(CliDemo, MakefileDemoQuantizesTheExampleModelFromImages) {
#if defined(__SANITIZE_ADDRESS__)
    GTEST_SKIP() << "the full-size job (auto calibration of a 96x96 model) runs in the Release suite only";
#endif
    const std::string root = test::model_path("..");
    const auto commands = demo_commands(test::slurp(root + "/Makefile"));
    ASSERT_GE(commands.size(), 3u) << "no $(ESPQ) commands found in the Makefile's demo recipe";
    const std::string out = test::fresh_dir("demo");
    bool quantized = false;
    for (auto cmd : commands) {
        for (auto& w : cmd) {
            const auto at = w.find("$(DEMO_OUT)");
            if (at != std::string::npos) w = out + w.substr(at + 11);
            else if (w.rfind("models/", 0) == 0) w = root + "/" + w;  // the recipe runs in the repository root
        }
        SCOPED_TRACE(cmd[0]);
        const auto r = test::run_cli(cmd);
        ASSERT_EQ(r.exit_code, 0) << r.err;
        if (cmd[0] != "quantize") continue;
        quantized = true;
        // The flags of the main command: a grayscale image folder resized to 96x96 and scaled by 1/255.
        const auto record = nlohmann::json::parse(test::slurp(out + "/gesture_mbv2.json"));
        const auto& data = record["espq"]["data"];
        EXPECT_EQ(data["kind"], "image_folder");
        EXPECT_EQ(data["count"], 64);
        EXPECT_EQ(data["preprocess"]["color"], "grayscale");
        EXPECT_EQ(data["preprocess"]["resize"]["width"], 96);
        EXPECT_DOUBLE_EQ(data["preprocess"]["scale"].get<double>(), 1.0 / 255);
        EXPECT_EQ(record["espq"]["target"], "esp32s3");
    }
    EXPECT_TRUE(quantized) << "the demo recipe has no quantize command";
}
