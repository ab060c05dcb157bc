// `espq inspect MODEL`: what is in a model and whether ESP-DL can run it.
#include <nlohmann/json.hpp>

#include <iostream>

#include "cli/commands.hpp"
#include "cli/help.hpp"
#include "espq/model_file.hpp"
#include "espq/model_summary.hpp"

namespace espq::cli {

namespace {

struct InspectOptions {
    std::string model, target = "esp32s3";
    bool json = false;
    std::vector<std::string> input_shapes;
};

void print_espdl_text(const nlohmann::json& j) {
    std::cout << j["file"].get<std::string>() << ": ESP-DL model, graph '" << j["graph"].get<std::string>() << "'";
    for (const auto& [k, v] : j["metadata"].items()) std::cout << ", " << k << "=" << v.get<std::string>();
    std::cout << "\n";
    auto print_io = [](const char* title, const nlohmann::json& a) {
        std::cout << title << ":\n";
        for (const auto& v : a)
            std::cout << "  " << v["name"].get<std::string>() << "  " << v["dtype"].get<std::string>() << " "
                      << v["shape"].dump() << " exponent " << v["exponents"].dump() << "\n";
    };
    print_io("inputs", j["inputs"]);
    print_io("outputs", j["outputs"]);
    std::cout << "operators (" << j["nodes"] << " nodes; quant_type " << j["quant_types"].dump() << "):\n";
    for (const auto& [op, n] : j["ops"].items()) std::cout << "  " << op << " x" << n << "\n";
    std::cout << "tensors:\n";
    for (const auto& t : j["tensors"])
        std::cout << "  " << (t["constant"].get<bool>() ? "const " : "      ") << t["name"].get<std::string>() << "  "
                  << t["dtype"].get<std::string>() << " " << t["shape"].dump() << " e" << t["exponents"].dump()
                  << (t["layout"].get<std::string>().empty() ? "" : "  " + t["layout"].get<std::string>()) << "\n";
    std::cout << "parameters: " << j["parameters"] << " (" << j["parameter_bytes"].get<int64_t>() / 1024.0 << " KiB)\n";
    std::cout << "test values: " << j["test_values"]["inputs"] << " input(s), " << j["test_values"]["outputs"]
              << " output(s)" << (j["test_values"]["outputs"].get<int>() ? "; run 'espq verify'" : "") << "\n";
}

void print_text(const nlohmann::json& j) {
    std::cout << j["file"].get<std::string>() << ": ONNX model, graph '" << j["graph"].get<std::string>()
              << "', opset " << j["opset"] << "\n";
    auto print_io = [](const char* title, const nlohmann::json& a) {
        std::cout << title << ":\n";
        for (const auto& v : a) {
            std::string shape;
            for (const auto& d : v["shape"]) shape += (shape.empty() ? "" : "x") + std::to_string(d.get<int64_t>());
            std::cout << "  " << v["name"].get<std::string>() << "  " << v["dtype"].get<std::string>() << " ["
                      << shape << "]\n";
        }
    };
    print_io("inputs", j["inputs"]);
    print_io("outputs", j["outputs"]);
    std::cout << "operators (" << j["nodes"] << " nodes):\n";
    for (const auto& [op, n] : j["ops"].items())
        std::cout << "  " << op << " x" << n << " (" << j["handling"][op].get<std::string>() << ")\n";
    std::cout << "parameters: " << j["parameters"] << " (" << j["parameter_bytes"].get<int64_t>() / 1024.0
              << " KiB as stored in the model)\n";
    const std::string target = j["target"].get<std::string>();
    if (j["espdl_support"].empty()) {
        std::cout << "ESP-DL on " << target << ": every node can be quantized and run (as 'espq check' finds)\n";
    } else {
        std::cout << "ESP-DL on " << target << ": " << j["espdl_support"].size()
                  << " problem(s), as 'espq check' reports them:\n";
        for (const auto& p : j["espdl_support"]) std::cout << "  " << p.get<std::string>() << "\n";
    }
}

}  // namespace

Command make_inspect_command(CLI::App& app, const GlobalOptions& /*global*/) {
    auto opts = std::make_shared<InspectOptions>();
    CLI::App* sub = app.add_subcommand("inspect", "Show a model's inputs, outputs, operators and parameters");
    sub->add_option("model", opts->model, "Model file (.onnx or .espdl)")->required();
    sub->add_option("--target", opts->target, "Target of the ESP-DL check of an .onnx model: " + target_choices());
    sub->add_option("--input-shape", opts->input_shapes,
                    "Fix a dynamic input shape, NAME=1,C,H,W (repeatable)");
    sub->add_flag("--json", opts->json, "Print one JSON object on stdout instead of text");
    set_manual(sub,
               "For an .onnx model: opset, inputs and outputs with their (static) shapes, operator counts, "
               "parameter count and size, how espq handles each operator (lowered, folded at load, rewritten by "
               "an optimizer pass, not lowered yet), and every node the target (--target, default esp32s3) cannot "
               "run, exactly as 'espq check' reports it. For an .espdl model: metadata, inputs and outputs with their exponents, "
               "operators and quant types, every tensor with its stored layout, and whether the file carries "
               "test values for 'espq verify'. The kind is detected from the file's magic bytes. Exit status: 0, "
               "or 1 on bad input.");
    sub->footer(
        "Examples:\n"
        "  espq inspect models/gesture_mbv2.onnx\n"
        "  espq inspect model.espdl --json\n"
        "  espq inspect model.onnx --input-shape input=1,3,96,96 --json");
    return {sub, [opts]() {
                const bool espdl = detect_model_kind(opts->model) == ModelKind::Espdl;
                PreflightOptions check;
                check.target = parse_target(opts->target);
                check.import = parse_input_shapes(opts->input_shapes);
                nlohmann::json j = espdl ? espdl_model_summary(opts->model) : onnx_model_summary(opts->model, check);
                j["command"] = "inspect";
                if (opts->json) std::cout << j.dump(2) << "\n";
                else if (espdl) print_espdl_text(j);
                else print_text(j);
                return 0;
            }};
}

}  // namespace espq::cli
