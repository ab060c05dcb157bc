// `espq quantize MODEL --calib DATA`: the main job (ONNX -> .espdl + .info + .json).
#include <spdlog/spdlog.h>

#include <filesystem>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/data_options.hpp"
#include "cli/help.hpp"
#include "espq/model_file.hpp"
#include "espq/atomic_files.hpp"
#include "cli/progress.hpp"
#include "espq/espdl.hpp"
#include "espq/onnx_import.hpp"
#include "espq/pipeline.hpp"

namespace espq::cli {

namespace {

struct QuantizeFlags {
    std::string model, calib, target = "esp32s3", output, method = "auto";
    int bits = 8;
    int threads = 0;
    bool relu6_to_relu = false, equalize = false, no_test_values = false, json = false;
    std::vector<std::string> input_shapes, layer_bits, exponents, disabled_passes, metadata;
    DataFlags data;
};

std::pair<std::string, std::string> split_assignment(const std::string& s, const std::string& flag) {
    const auto eq = s.rfind('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == s.size())
        throw UserError(flag + " '" + s + "': expected NAME=VALUE");
    return {s.substr(0, eq), s.substr(eq + 1)};
}

int parse_int(const std::string& text, const std::string& what) {
    try {
        size_t used = 0;
        const int v = std::stoi(text, &used);
        if (used == text.size()) return v;
    } catch (const std::exception&) {
    }
    throw UserError(what + ": '" + text + "' is not an integer");
}

// Output base path: -o FILE.espdl, -o DIR/ (existing directory), or <model stem> in the current directory.
std::string output_base(const QuantizeFlags& f) {
    namespace fs = std::filesystem;
    const std::string stem = fs::path(f.model).stem().string();
    if (f.output.empty()) return stem;
    std::error_code ec;
    if (fs::is_directory(f.output, ec) || f.output.back() == '/') return (fs::path(f.output) / stem).string();
    fs::path p(f.output);
    if (p.extension() == ".espdl") p.replace_extension();
    return p.string();
}

int run_quantize(const QuantizeFlags& f, const GlobalOptions& global) {
    const Target target = parse_target(f.target);
    QuantizeOptions o;
    o.plan.target = target;
    o.plan.bits = f.bits;
    o.plan.method = parse_calib_method(f.method);
    o.passes.relu6_to_relu = f.relu6_to_relu;
    o.passes.equalize = f.equalize;
    for (const auto& d : f.disabled_passes) {
        const auto names = all_pass_names();
        if (std::find(names.begin(), names.end(), d) == names.end())
            throw UserError("--disable-pass '" + d + "': no such pass; passes are listed by 'espq quantize --help'");
        o.passes.disabled.insert(d);
    }
    for (const auto& s : f.layer_bits) {
        auto [name, v] = split_assignment(s, "--layer-bits");
        o.plan.node_bits[name] = parse_int(v, "--layer-bits " + name);
    }
    for (const auto& s : f.exponents) {
        auto [name, v] = split_assignment(s, "--exponent");
        o.plan.exponent_overrides[name] = parse_int(v, "--exponent " + name);
    }
    o.lower.metadata.emplace_back("target", target_name(target));
    for (const auto& s : f.metadata) o.lower.metadata.push_back(split_assignment(s, "--metadata"));
    o.test_values = !f.no_test_values;
    o.calibration.threads = f.threads;

    const std::string base = output_base(f);
    // Fail on an unwritable destination before spending time on calibration.
    {
        namespace fs = std::filesystem;
        const fs::path dir = fs::path(base).has_parent_path() ? fs::path(base).parent_path() : fs::path(".");
        std::error_code ec;
        if (!fs::is_directory(dir, ec))
            throw UserError(base + ".espdl: output directory '" + dir.string() + "' does not exist");
    }

    const Graph g = load_onnx(f.model, parse_input_shapes(f.input_shapes));
    if (g.inputs.size() != 1)
        throw UnsupportedError(f.model + ": has " + std::to_string(g.inputs.size()) +
                               " inputs; calibration from one data source supports single-input models");
    const Value& in = g.value(g.inputs[0]);
    auto ds = std::make_shared<Dataset>(Dataset::open(f.calib, ModelInput{in.name, in.shape}, f.data.options("calibration")));
    o.data_description = ds->describe();
    SampleSource calib{ds->size(), [ds](size_t i) { return std::vector<Tensor>{ds->sample(i)}; }};

    // Calibration reads every sample twice: value ranges first, then histograms over those ranges.
    const bool show = !global.quiet && !f.json;
    Progress ranges("calibration 1/2 (ranges)", show), histograms("calibration 2/2 (histograms)", show);
    o.calibration.progress = [&](int pass, size_t done, size_t total) {
        if (pass == 1) return ranges.update(done, total);
        ranges.finish();
        histograms.update(done, total);
    };
    const QuantizeResult r = quantize_model(g, calib, o);
    ranges.finish();
    histograms.finish();

    const std::vector<uint8_t> espdl = write_espdl_bytes(r.lowered.model);
    const std::string info = format_espdl_info(r.lowered.model);
    const std::string record = r.record.dump(4);
    // Round-trip the bytes through our own reader before anything is written: a file we cannot read back is
    // a bug, and the user must not get it.
    read_espdl_bytes(espdl, base + ".espdl");
    write_files_atomically({{base + ".espdl", std::string(espdl.begin(), espdl.end())},
                            {base + ".info", info},
                            {base + ".json", record}});

    std::vector<std::string> notes = r.plan.notes;
    notes.insert(notes.end(), r.lowered.notes.begin(), r.lowered.notes.end());
    if (f.json) {
        nlohmann::json j;
        j["command"] = "quantize";
        j["model"] = f.model;
        j["target"] = target_name(target);
        j["outputs"] = {base + ".espdl", base + ".info", base + ".json"};
        j["espdl_bytes"] = espdl.size();
        j["nodes"] = r.lowered.model.graph.nodes.size();
        j["calibration_samples"] = calib.count;
        j["seconds"] = {{"total", r.seconds_total}, {"calibration", r.seconds_calibration}};
        j["warnings"] = notes;
        std::cout << j.dump(2) << "\n";
    } else if (!global.quiet) {
        for (const auto& n : notes) std::cerr << "note: " << n << "\n";
        std::cout << "wrote " << base << ".espdl (" << espdl.size() << " bytes, " << r.lowered.model.graph.nodes.size()
                  << " nodes), " << base << ".info, " << base << ".json in " << r.seconds_total << " s ("
                  << calib.count << " calibration samples, target " << target_name(target) << ")\n";
    }
    return 0;
}

}  // namespace

Command make_quantize_command(CLI::App& app, const GlobalOptions& global) {
    auto f = std::make_shared<QuantizeFlags>();
    CLI::App* sub = app.add_subcommand("quantize", "Quantize a float ONNX model into an ESP-DL .espdl model");
    sub->add_option("model", f->model, "Float ONNX model")->required();
    sub->add_option("--calib", f->calib, "Calibration data: image folder, .npy/.npz array, or folder of .npy")->required();
    sub->add_option("--target", f->target, "esp32s3 (default), esp32p4, esp32s31 or c (esp32, esp32c3, ... = c)");
    sub->add_option("-o,--output", f->output, "Output file (.espdl) or existing directory; default ./<model>.espdl");
    sub->add_option("--bits", f->bits, "8 (default) or 16 for every layer")->check(CLI::IsMember({8, 16}));
    sub->add_option("--calib-method", f->method, "auto (default), mse, minmax, kl (ESP-PPQ's) or percentile");
    sub->add_option("--layer-bits", f->layer_bits, "Per-node precision, NODE=16 (repeatable; mixed precision)");
    sub->add_option("--exponent", f->exponents, "Pin a tensor's exponent, TENSOR=-5 (repeatable)");
    sub->add_flag("--relu6-to-relu", f->relu6_to_relu, "Replace Clip(0,6) by Relu (changes the model; opt-in)");
    sub->add_flag("--equalize", f->equalize,
                  "Layerwise weight equalization across Conv/Gemm pairs (function-preserving; ReLU6 blocks it, "
                  "combine with --relu6-to-relu)");
    sub->add_option("--disable-pass", f->disabled_passes, "Skip an optimizer pass by name (repeatable)");
    sub->add_option("--input-shape", f->input_shapes, "Fix a dynamic input shape, NAME=1,C,H,W");
    sub->add_option("--metadata", f->metadata, "Extra metadata_props entry KEY=VALUE (repeatable)");
    sub->add_option("--threads", f->threads, "Calibration threads (default: all cores)");
    sub->add_flag("--no-test-values", f->no_test_values, "Do not embed a test input/output in the model");
    sub->add_flag("--json", f->json, "Print one JSON summary on stdout");
    f->data.add_to(sub, "calib-count");
    std::string passes;
    for (const auto& p : all_pass_names()) passes += (passes.empty() ? "" : ", ") + p;
    set_manual(sub,
               "Loads the float ONNX model, runs the optimizer passes (in order: " + passes + "), "
               "collects activation statistics on the calibration samples (preprocessed by the data flags below), "
               "chooses a power-of-two exponent per tensor and a precision per layer, lowers the graph to ESP-DL's "
               "operators and weight layouts for the target, and embeds the first calibration sample and the "
               "emulated chip's output as test values for Model::test(). It writes MODEL.espdl, MODEL.info (a "
               "readable dump) and MODEL.json (the quantization record, with the preprocessing to repeat on the "
               "device), all three or none. --calib-method auto refines exponents by emulating the quantized "
               "model; int16 (--bits 16) and mixed precision (--layer-bits) trade size for accuracy. Run 'espq "
               "check' first to list unsupported nodes, 'espq ops' for the operator table. Exit status: 0, or 1 "
               "on bad input (nothing is written).");
    sub->footer("Examples:\n"
                "  espq quantize models/gesture_mbv2.onnx --calib models/calib --scale 1/255 -o out/\n"
                "  espq quantize model.onnx --calib calib.npy --bits 16\n"
                "  espq quantize model.onnx --calib photos/ --resize 96x96 --grayscale --scale 1/255 \\\n"
                "       --layer-bits /features/features.0/features.0.0/Conv=16 --json");
    return {sub, [f, &global]() { return run_quantize(*f, global); }};
}

}  // namespace espq::cli
