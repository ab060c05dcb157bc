// `espq inspect MODEL`: what is in a model and whether ESP-DL can run it.
#include <nlohmann/json.hpp>

#include <filesystem>
#include <iostream>
#include <map>
#include <set>

#include "cli/commands.hpp"
#include "cli/help.hpp"
#include "espq/model_file.hpp"
#include "espq/espdl.hpp"
#include "espq/onnx_import.hpp"
#include "espq/preflight.hpp"
#include "espq/support.hpp"

namespace espq::cli {

namespace {

struct InspectOptions {
    std::string model, target = "esp32s3";
    bool json = false;
    std::vector<std::string> input_shapes;
};

nlohmann::json inspect_onnx(const InspectOptions& o) {
    Graph g = load_onnx(o.model, parse_input_shapes(o.input_shapes));
    nlohmann::json j;
    j["file"] = o.model;
    j["format"] = "onnx";
    j["graph"] = g.name;
    j["opset"] = g.opset();
    auto io = [&](const std::vector<int>& ids) {
        nlohmann::json a = nlohmann::json::array();
        for (int id : ids)
            a.push_back({{"name", g.value(id).name}, {"dtype", dtype_name(g.value(id).dtype)},
                         {"shape", g.value(id).shape}});
        return a;
    };
    j["inputs"] = io(g.inputs);
    j["outputs"] = io(g.outputs);
    j["nodes"] = g.nodes.size();
    j["ops"] = g.op_counts();
    // Parameters: constants read by any node (after shape sub-graphs were folded).
    std::set<int> params;
    for (const auto& n : g.nodes)
        for (int v : n.inputs)
            if (v >= 0 && g.value(v).is_constant()) params.insert(v);
    int64_t count = 0, bytes = 0;
    for (int v : params) {
        count += g.value(v).constant->numel();
        bytes += static_cast<int64_t>(g.value(v).constant->nbytes());
    }
    j["parameters"] = count;
    j["parameter_bytes"] = bytes;
    // Per operator type, how espq handles it (the support table); per node, what `espq check` reports.
    nlohmann::json handling = nlohmann::json::object();
    for (const auto& [op, n] : g.op_counts()) {
        const OpSupportEntry* e = find_op_support(op);
        handling[op] = e ? handling_text(*e) : "not read by espq";
    }
    j["handling"] = handling;
    PreflightOptions po;
    po.target = parse_target(o.target);
    po.import = parse_input_shapes(o.input_shapes);
    j["target"] = target_name(po.target);
    j["espdl_support"] = preflight_check(o.model, po).problems;
    return j;
}

nlohmann::json inspect_espdl(const InspectOptions& o) {
    const EspdlModel m = read_espdl(o.model);
    const Graph& g = m.graph;
    nlohmann::json j;
    j["file"] = o.model;
    j["format"] = "espdl";
    j["graph"] = g.name;
    j["model_version"] = m.model_version;
    nlohmann::json meta = nlohmann::json::object();
    for (const auto& [k, v] : g.metadata) meta[k] = v;
    j["metadata"] = meta;
    auto info = [&](int id) {
        const Value& v = g.value(id);
        return nlohmann::json{{"name", v.name}, {"dtype", dtype_name(v.dtype)}, {"shape", v.shape}, {"exponents", v.exponents}};
    };
    nlohmann::json ins = nlohmann::json::array(), outs = nlohmann::json::array();
    for (int id : g.inputs) ins.push_back(info(id));
    for (int id : g.outputs) outs.push_back(info(id));
    j["inputs"] = ins;
    j["outputs"] = outs;
    j["nodes"] = g.nodes.size();
    j["ops"] = g.op_counts();
    std::map<std::string, int> quant_types;
    for (const auto& n : g.nodes) quant_types[n.attr_string("quant_type", "?")]++;
    j["quant_types"] = quant_types;
    int64_t bytes = 0, count = 0;
    nlohmann::json tensors = nlohmann::json::array();
    for (const auto& v : g.values) {
        if (v.is_constant()) {
            bytes += static_cast<int64_t>(v.constant->nbytes());
            count += v.constant->numel();
        }
        tensors.push_back({{"name", v.name}, {"dtype", dtype_name(v.dtype)}, {"shape", v.shape}, {"exponents", v.exponents},
                           {"constant", v.is_constant()}, {"layout", v.doc_string}});
    }
    j["parameters"] = count;
    j["parameter_bytes"] = bytes;
    j["tensors"] = tensors;
    j["test_values"] = {{"inputs", m.test_inputs.size()}, {"outputs", m.test_outputs.size()}};
    return j;
}

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
                nlohmann::json j = espdl ? inspect_espdl(*opts) : inspect_onnx(*opts);
                j["command"] = "inspect";
                if (opts->json) std::cout << j.dump(2) << "\n";
                else if (espdl) print_espdl_text(j);
                else print_text(j);
                return 0;
            }};
}

}  // namespace espq::cli
