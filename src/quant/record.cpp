// The .json quantization record (docs/espdl-file-format.md §6 layout) of a lowered model.
#include <cmath>
#include <limits>
#include <map>

#include "espq/pipeline.hpp"

namespace espq {

namespace {

const char* platform_name(Target t, const std::string& quant_type) {
    const bool s16 = quant_type == "S16", s8 = quant_type == "S8";
    switch (t) {
        case Target::ESP32S3: return s8 ? "ESPDL_S3_INT8" : s16 ? "ESPDL_S3_INT16" : "FP32";
        case Target::ESP32P4:
        case Target::ESP32S31: return s8 ? "ESPDL_INT8" : s16 ? "ESPDL_INT16" : "FP32";
        case Target::C: return s8 ? "ESPDL_C_INT8" : s16 ? "ESPDL_C_INT16" : "FP32";
    }
    return "FP32";
}

// per_channel: one exponent per output channel (P4 / S31 Conv and Gemm weights and their biases).
nlohmann::json policy(bool quantized, bool per_channel) {
    nlohmann::json p = nlohmann::json::object();
    p["PER_TENSOR"] = quantized && !per_channel;
    p["PER_CHANNEL"] = per_channel;
    p["LINEAR"] = quantized;
    p["FLOATING"] = !quantized;
    p["SYMMETRICAL"] = quantized;
    p["ASYMMETRICAL"] = false;
    p["POWER_OF_2"] = quantized;
    p["DYNAMIC"] = false;
    return p;
}

}  // namespace

nlohmann::json plan_record(const Graph& planned, const QuantPlan& plan) {
    nlohmann::json tensors = nlohmann::json::array(), operands = nlohmann::json::array(),
                   tables = nlohmann::json::array();
    for (size_t v = 0; v < plan.tensors.size(); ++v) {
        const TensorQuant& t = plan.tensors[v];
        if (t.bits == 0) continue;
        tensors.push_back({{"tensor", planned.value(static_cast<int>(v)).name},
                           {"bits", t.bits},
                           {"exponents", {t.exponent}},
                           {"reason", t.reason}});
    }
    auto fact = [](const OperandQuant& q) {
        return nlohmann::json{{"bits", q.bits}, {"exponents", q.exponents}, {"reason", q.reason}};
    };
    for (size_t i = 0; i < plan.nodes.size() && i < planned.nodes.size(); ++i) {
        const Node& n = planned.nodes[i];
        const NodeQuant& nq = plan.nodes[i];
        for (size_t j = 0; j < nq.inputs.size(); ++j) {
            const OperandQuant& q = nq.inputs[j];
            if (!q.quantized() || n.inputs[j] < 0) continue;
            const Value& v = planned.value(n.inputs[j]);
            const TensorQuant& own = plan.tensors[static_cast<size_t>(n.inputs[j])];
            if (!v.is_constant() && q.bits == own.bits && q.exponents == std::vector<int>{own.exponent}) continue;
            nlohmann::json f = fact(q);
            f["node"] = n.name;
            f["input"] = j;
            f["tensor"] = v.name;
            operands.push_back(f);
        }
        if (nq.table) {
            nlohmann::json f = fact(*nq.table);
            f["node"] = n.name;
            tables.push_back(f);
        }
    }
    return {{"tensors", tensors}, {"operands", operands}, {"tables", tables}};
}

nlohmann::json quantization_record(const LoweredModel& lowered, const Graph& planned, const QuantPlan& plan,
                                   const QuantizeOptions& options, const std::vector<std::string>& notes) {
    const Graph& g = lowered.model.graph;
    const TargetPolicy& pol = target_policy(plan.target);
    nlohmann::json configs = nlohmann::json::object(), dispatch = nlohmann::json::object(),
                   values = nlohmann::json::object();
    // Deterministic ids: a config's id is its position in this walk; tensors read by several ops point at
    // the config of their first appearance (their producer), which is therefore their "dominator".
    std::map<std::string, int64_t> dominator;
    int64_t next_id = 1;
    const auto producers = g.producers();
    for (const Node& n : g.nodes) {
        const std::string qt = n.attr_string("quant_type", "F32");
        dispatch[n.name] = platform_name(plan.target, qt);
        nlohmann::json op = nlohmann::json::object();
        auto add = [&](int vid, bool is_output) {
            if (vid < 0) return;
            const Value& v = g.value(vid);
            if (v.is_constant() && v.dtype != DType::Int8 && v.dtype != DType::Int16 && v.dtype != DType::Int32 &&
                v.dtype != DType::Int64)
                return;  // float / shape parameters carry no quantization
            if (v.is_constant() && v.dtype == DType::Int64 && v.exponents == std::vector<int64_t>{0}) return;
            nlohmann::json c;
            const bool quantized = v.dtype != DType::Float32;
            int bits = 0;
            switch (v.dtype) {
                case DType::Int8: bits = 8; break;
                case DType::Int16: bits = 16; break;
                case DType::Int32: bits = pol.int8_accumulator_bits; break;
                case DType::Int64: bits = pol.int16_accumulator_bits; break;
                default: bits = 32; break;
            }
            c["bit_width"] = bits;
            const bool per_channel = quantized && v.exponents.size() > 1;
            c["policy"] = policy(quantized, per_channel);
            std::string state = "ACTIVATED";
            if (!quantized) state = "FP32";
            else if (v.is_constant() && (v.dtype == DType::Int32 || v.dtype == DType::Int64)) state = "PASSIVE";
            else if (!v.is_constant() && !is_output && producers[vid] >= 0 &&
                     g.nodes[producers[vid]].op_type != "RequantizeLinear" && dominator.count(v.name))
                state = "OVERLAPPED";
            c["state"] = state;
            // 64-bit (int64 bias) ranges are the type's limits; 1 << 63 would overflow.
            const int64_t qmax = bits >= 64 ? std::numeric_limits<int64_t>::max() : (int64_t{1} << (bits - 1)) - 1;
            c["quant_min"] = quantized ? -qmax - 1 : 0;
            c["quant_max"] = quantized ? qmax : 0;
            const int64_t id = next_id++;
            c["hash"] = id;
            auto it = dominator.find(v.name);
            const int64_t dom = it == dominator.end() ? id : it->second;
            if (it == dominator.end()) dominator[v.name] = id;
            c["dominator"] = dom;
            if (dom == id && quantized && per_channel) {  // ESP-PPQ writes one scale per channel as a list
                nlohmann::json scales = nlohmann::json::array(), zeros = nlohmann::json::array();
                for (int64_t e : v.exponents) {
                    scales.push_back(std::ldexp(1.0, static_cast<int>(e)));
                    zeros.push_back(0.0);
                }
                values[std::to_string(id)] = {{"scale", scales}, {"zero_point", zeros}};
            } else if (dom == id && quantized) {
                const double scale = std::ldexp(1.0, static_cast<int>(v.exponents.empty() ? 0 : v.exponents[0]));
                values[std::to_string(id)] = {{"scale", scale}, {"zero_point", 0.0}};
            }
            op[v.name] = c;
        };
        for (int v : n.inputs) add(v, false);
        for (int v : n.outputs) add(v, true);
        configs[n.name] = op;
    }
    nlohmann::json record;
    record["configs"] = configs;
    record["dispatchings"] = dispatch;
    record["values"] = values;
    nlohmann::json espq;
    espq["version"] = ESPQ_VERSION;
    espq["target"] = target_name(plan.target);
    espq["bits"] = options.plan.bits;
    espq["calibration_method"] = calib_method_name(options.plan.method);
    espq["relu6_to_relu"] = options.passes.relu6_to_relu;
    espq["equalize"] = options.passes.equalize;
    nlohmann::json mixed = nlohmann::json::object();
    for (const auto& [k, v] : options.plan.node_bits) mixed[k] = v;
    espq["layer_bits"] = mixed;
    nlohmann::json overrides = nlohmann::json::object();
    for (const auto& [k, v] : options.plan.exponent_overrides) overrides[k] = v;
    espq["exponent_overrides"] = overrides;
    espq["data"] = options.data_description.is_null() ? nlohmann::json::object() : options.data_description;
    espq["notes"] = notes;
    espq["quantization"] = plan_record(planned, plan);
    record["espq"] = espq;
    return record;
}

}  // namespace espq
