#include "espq/model_summary.hpp"

#include <map>
#include <set>

#include "espq/espdl.hpp"
#include "espq/support.hpp"

namespace espq {

nlohmann::json onnx_model_summary(const std::string& path, const PreflightOptions& check) {
    Graph g = load_onnx(path, check.import);
    nlohmann::json j;
    j["file"] = path;
    j["format"] = "onnx";
    j["graph"] = g.name;
    j["opset"] = g.opset();
    auto io = [&](const std::vector<int>& ids) {
        nlohmann::json a = nlohmann::json::array();
        for (int id : ids)
            a.push_back(
                {{"name", g.value(id).name}, {"dtype", dtype_name(g.value(id).dtype)}, {"shape", g.value(id).shape}});
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
    j["target"] = target_name(check.target);
    j["espdl_support"] = preflight_check(path, check).problems;
    return j;
}

nlohmann::json espdl_model_summary(const std::string& path) {
    const EspdlModel m = read_espdl(path);
    const Graph& g = m.graph;
    nlohmann::json j;
    j["file"] = path;
    j["format"] = "espdl";
    j["graph"] = g.name;
    j["model_version"] = m.model_version;
    nlohmann::json meta = nlohmann::json::object();
    for (const auto& [k, v] : g.metadata) meta[k] = v;
    j["metadata"] = meta;
    auto info = [&](int id) {
        const Value& v = g.value(id);
        return nlohmann::json{
            {"name", v.name}, {"dtype", dtype_name(v.dtype)}, {"shape", v.shape}, {"exponents", v.exponents}};
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
        tensors.push_back({{"name", v.name},
                           {"dtype", dtype_name(v.dtype)},
                           {"shape", v.shape},
                           {"exponents", v.exponents},
                           {"constant", v.is_constant()},
                           {"layout", v.doc_string}});
    }
    j["parameters"] = count;
    j["parameter_bytes"] = bytes;
    j["tensors"] = tensors;
    j["test_values"] = {{"inputs", m.test_inputs.size()}, {"outputs", m.test_outputs.size()}};
    return j;
}

}  // namespace espq
