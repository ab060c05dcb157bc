// `espq ops [--target T] [--markdown|--json]`: the ONNX operators espq quantizes for ESP-DL, per target and bit
// width, computed by running probe models through the real pipeline (see espq/op_table.hpp).
#include <algorithm>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/help.hpp"
#include "espq/op_table.hpp"

namespace espq::cli {

namespace {

struct OpsFlags {
    std::vector<std::string> targets;
    bool markdown = false, json = false;
};

int run_ops(const OpsFlags& f) {
    std::vector<Target> targets;
    for (const auto& t : f.targets) {
        const Target target = parse_target(t);
        if (std::find(targets.begin(), targets.end(), target) == targets.end()) targets.push_back(target);
    }
    // esp32s31 shares esp32p4's policy and column (tests/cli/test_cli_ops.cpp checks that the probes agree).
    if (targets.empty()) targets = {Target::ESP32S3, Target::ESP32P4, Target::C};
    const auto rows = build_op_table(targets);
    if (f.json) std::cout << op_table_json(rows, targets).dump(2) << "\n";
    else if (f.markdown) std::cout << op_table_markdown(rows, targets);
    else std::cout << op_table_text(rows, targets);
    return 0;
}

}  // namespace

Command make_ops_command(CLI::App& app, const GlobalOptions& /*global*/) {
    auto f = std::make_shared<OpsFlags>();
    CLI::App* sub = app.add_subcommand("ops", "List the ONNX operators espq quantizes, per target and bit width");
    set_manual(sub,
               "Every operator the ONNX loader accepts is probed: a small model using it goes through the whole "
               "pipeline (optimizer passes, calibration, planning, lowering, .espdl export and re-read, emulation "
               "of ESP-DL's kernels) for each target at 8 and 16 bits. Each cell lists the bit widths at which "
               "all of that succeeded ('no': none). The notes say how the operator is handled when it is folded "
               "or rewritten, the restrictions the lowering enforces, and the pipeline's own reason wherever a "
               "width or target fails. The README's operator table is this command's --markdown output. ESP32-S31 "
               "has ESP32-P4's arithmetic and runs the same operators: its column appears with --target esp32s31. "
               "Exit status: 0.");
    sub->add_option("--target", f->targets, "Only these targets (repeatable): " + target_choices() + "; default esp32s3, esp32p4 and c, "
                    "esp32s31 being identical to esp32p4");
    auto* md = sub->add_flag("--markdown", f->markdown, "Print a Markdown table (the README's)");
    auto* js = sub->add_flag("--json", f->json, "Print one JSON object: per operator, bits and failure reasons per target");
    md->excludes(js);
    sub->footer(
        "Examples:\n"
        "  espq ops\n"
        "  espq ops --target esp32s3\n"
        "  espq ops --markdown > operators.md\n"
        "  espq ops --target esp32p4 --json");
    return {sub, [f]() { return run_ops(*f); }};
}

}  // namespace espq::cli
