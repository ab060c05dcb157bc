// The plan's facts in the .json record: plan_record lists every quantized tensor, every constant operand and
// every lookup table with bits, exponent(s) and reason; the ESP-PPQ-style section marks per-channel tensors.
#include <gtest/gtest.h>

#include "espq/pipeline.hpp"
#include "quant_graphs.hpp"

using namespace espq;
using test::GraphBuilder;

namespace {

// x[1,2,2,2] -> Conv (w rows max-abs 0.5 and 2.0, bias) -> a -> Sigmoid -> s.
Graph conv_sigmoid() {
    GraphBuilder b;
    const int x = b.input("x", {1, 2, 2, 2});
    const int w = b.constant("w", {2, 2, 1, 1}, {0.5f, -0.25f, -2.f, 1.f});
    const int bias = b.constant("bias", {2}, {1.f, -1.f});
    const int a = b.value("a", {1, 2, 2, 2}), s = b.value("s", {1, 2, 2, 2});
    b.node("conv", "Conv", {x, w, bias}, {a});
    b.node("sig", "Sigmoid", {a}, {s});
    return b.finish({s});
}

QuantPlan plan_for(const Graph& g, Target t) {
    PlanOptions o;
    o.target = t;
    o.method = CalibMethod::MinMax;
    return plan_quantization(g, test::stats_by_name(g, {{"x", -7}, {"a", -4}, {"s", -7}}), o);
}

const nlohmann::json& entry(const nlohmann::json& list, const std::string& key, const std::string& value) {
    for (const auto& e : list)
        if (e.at(key) == value) return e;
    throw std::runtime_error("no entry with " + key + " = " + value);
}

}  // namespace

TEST(Record, PlanRecordListsTensorsOperandsAndTablesWithReasons) {
    const Graph g = conv_sigmoid();
    const nlohmann::json r = plan_record(g, plan_for(g, Target::ESP32P4));
    ASSERT_EQ(r.at("tensors").size(), 3u);  // x, a, s
    const auto& a = entry(r["tensors"], "tensor", "a");
    EXPECT_EQ(a["bits"], 8);
    EXPECT_EQ(a["exponents"], nlohmann::json::array({-4}));
    EXPECT_EQ(a["reason"], "minmax");
    // Weight rows 0.5 -> -7, 2.0 -> -5; bias at -7 + e_w[c]. The Conv reads x at its own exponent: not listed.
    ASSERT_EQ(r.at("operands").size(), 2u);
    const auto& w = entry(r["operands"], "tensor", "w");
    EXPECT_EQ(w["node"], "conv");
    EXPECT_EQ(w["input"], 1);
    EXPECT_EQ(w["exponents"], nlohmann::json::array({-7, -5}));
    EXPECT_EQ(w["reason"], "weight max-abs per output channel");
    const auto& b = entry(r["operands"], "tensor", "bias");
    EXPECT_EQ(b["bits"], 32);
    EXPECT_EQ(b["exponents"], nlohmann::json::array({-14, -12}));
    ASSERT_EQ(r.at("tables").size(), 1u);
    EXPECT_EQ(r["tables"][0]["node"], "sig");
    EXPECT_EQ(r["tables"][0]["exponents"], nlohmann::json::array({-7}));
}

TEST(Record, PerChannelTensorsArePerChannelInTheEspPpqSection) {
    const Graph g = conv_sigmoid();
    for (Target t : {Target::ESP32S3, Target::ESP32P4}) {
        const QuantPlan plan = plan_for(g, t);
        const LoweredModel low = lower_to_espdl(g, plan);
        QuantizeOptions o;
        o.plan.target = t;
        const nlohmann::json rec = quantization_record(low, g, plan, o, {});
        const bool per_channel = t == Target::ESP32P4;
        const nlohmann::json& conv = rec.at("configs").at("conv");
        for (const char* name : {"w", "bias"}) {
            EXPECT_EQ(conv.at(name).at("policy").at("PER_CHANNEL"), per_channel) << name;
            EXPECT_EQ(conv.at(name).at("policy").at("PER_TENSOR"), !per_channel) << name;
        }
        const nlohmann::json& scale = rec.at("values").at(std::to_string(conv.at("w").at("hash").get<int64_t>())).at("scale");
        if (per_channel) EXPECT_EQ(scale, nlohmann::json::array({0.0078125, 0.03125}));  // 2^-7, 2^-5
        else EXPECT_EQ(scale, 0.03125);
        EXPECT_EQ(conv.at("a").at("policy").at("PER_TENSOR"), true);
        EXPECT_TRUE(rec.at("espq").at("quantization").at("operands").is_array());
    }
}
