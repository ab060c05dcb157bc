// `espq check MODEL --target T`: prints the library's preflight (espq/preflight.hpp): every operator, attribute
// or shape the target's runtime cannot run, with the node name and what to do, before any calibration is spent.
#include <nlohmann/json.hpp>

#include <iostream>

#include "cli/commands.hpp"
#include "cli/help.hpp"
#include "espq/model_file.hpp"
#include "espq/preflight.hpp"

namespace espq::cli {

namespace {

struct CheckFlags {
    std::string model, target = "esp32s3";
    int bits = 8;
    bool relu6_to_relu = false, json = false;
    std::vector<std::string> input_shapes;
};

int run_check(const CheckFlags& f) {
    const Target target = parse_target(f.target);
    PreflightOptions o;
    o.target = target;
    o.bits = f.bits;
    o.relu6_to_relu = f.relu6_to_relu;
    o.import = parse_input_shapes(f.input_shapes);
    const PreflightReport report = preflight_check(f.model, o);
    const auto& problems = report.problems;
    if (f.json) {
        nlohmann::json j;
        j["command"] = "check";
        j["model"] = f.model;
        j["target"] = target_name(target);
        j["ok"] = problems.empty();
        j["problems"] = problems;
        std::cout << j.dump(2) << "\n";
    } else {
        for (const auto& p : problems) std::cout << "error: " << p << "\n";
        std::cout << f.model << ": " << (problems.empty() ? "OK, ESP-DL can run every node on " : "cannot run on ")
                  << target_name(target) << (problems.empty() ? "" : " (" + std::to_string(problems.size()) + " problem(s))")
                  << "\n";
        if (!problems.empty()) std::cout << "('espq ops' lists the operators espq quantizes for each target)\n";
    }
    return problems.empty() ? 0 : 1;
}

}  // namespace

Command make_check_command(CLI::App& app, const GlobalOptions& /*global*/) {
    auto f = std::make_shared<CheckFlags>();
    CLI::App* sub = app.add_subcommand("check", "Preflight: list everything the target's ESP-DL runtime cannot run");
    sub->add_option("model", f->model, "Float ONNX model")->required();
    sub->add_option("--target", f->target, "esp32s3 (default), esp32p4, esp32s31 or c (esp32, esp32c3, ... = c)");
    sub->add_option("--bits", f->bits, "8 or 16 (some ops have no 16-bit kernel)")->check(CLI::IsMember({8, 16}));
    sub->add_flag("--relu6-to-relu", f->relu6_to_relu, "Check as quantize --relu6-to-relu would run");
    sub->add_option("--input-shape", f->input_shapes, "Fix a dynamic input shape, NAME=1,C,H,W");
    sub->add_flag("--json", f->json, "Print one JSON summary on stdout");
    set_manual(sub,
               "Loads the model, runs the optimizer passes and lowers it for the target with placeholder exponents "
               "(no calibration data needed, well under a second), and lists every operator, attribute or shape "
               "the target's ESP-DL runtime cannot run, each with the node name, the rule and the fix (e.g. "
               "'Max with a constant: replace Max(x, const) by Clip'). What depends on the calibrated ranges "
               "(clamped biases, raised exponents) is reported by quantize. 'espq ops' prints the table of supported operators per target. Exit status: 0 when the model can "
               "be quantized and run on the target, 1 otherwise.");
    sub->footer(
        "Examples:\n"
        "  espq check model.onnx --target esp32s3\n"
        "  espq check model.onnx --target esp32p4 --bits 16\n"
        "  espq check model.onnx --input-shape input=1,3,224,224 --json");
    return {sub, [f]() { return run_check(*f); }};
}

}  // namespace espq::cli
