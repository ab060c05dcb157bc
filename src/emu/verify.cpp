// Embedded test vectors through the emulator, compared with ESP-DL's Model::test() tolerances.
#include "espq/verify.hpp"

#include <cmath>
#include <map>

#include "espq/emulator.hpp"

namespace espq {

std::optional<Target> model_target(const EspdlModel& model) {
    for (const auto& [key, value] : model.graph.metadata)
        if (key == "target") return parse_target(value);
    return std::nullopt;
}

namespace {

TestOutputCheck compare(const NamedTensor& want, const Tensor* got, const Value* value) {
    TestOutputCheck c;
    c.name = want.name;
    c.dtype = want.tensor.dtype();
    c.shape = want.tensor.shape();
    c.exponent = want.exponents.empty() ? 0 : want.exponents[0];
    c.elements = want.tensor.numel();
    if (!got) {
        c.problem = "the graph has no value named '" + want.name + "'";
        return c;
    }
    c.produced = true;
    if (got->dtype() != want.tensor.dtype()) {
        c.problem = std::string("dtype ") + dtype_name(got->dtype()) + " differs from the expected " +
                    dtype_name(want.tensor.dtype());
        return c;
    }
    if (got->shape() != want.tensor.shape()) {
        c.problem = "shape " + shape_str(got->shape()) + " differs from the expected " + shape_str(want.tensor.shape());
        return c;
    }
    const bool integer = want.tensor.dtype() != DType::Float32;
    if (integer && value && !value->exponents.empty() && !want.exponents.empty() &&
        value->exponents[0] != want.exponents[0]) {
        c.problem = "exponent " + std::to_string(value->exponents[0]) + " differs from the expected " +
                    std::to_string(want.exponents[0]);
        return c;
    }
    const double tolerance = want.tensor.dtype() == DType::Int16 ? 1 + 1e-5 : 2e-5;
    const std::vector<double> g = got->as_doubles(), w = want.tensor.as_doubles();
    for (size_t i = 0; i < w.size(); ++i) {
        const bool nan = std::isnan(w[i]) || std::isnan(g[i]);
        const double d = nan ? (std::isnan(w[i]) && std::isnan(g[i]) ? 0.0 : INFINITY) : std::fabs(g[i] - w[i]);
        if (d == 0) ++c.exact;
        if (integer && d == 1) ++c.off_by_one;
        c.max_abs_diff = std::max(c.max_abs_diff, d);
        if (d > tolerance && c.first_failure < 0) {
            c.first_failure = static_cast<int64_t>(i);
            c.got_at_failure = g[i];
            c.want_at_failure = w[i];
        }
    }
    c.pass = c.first_failure < 0;
    return c;
}

}  // namespace

TestVectorReport verify_test_vectors(const EspdlModel& model, Target target) {
    const Graph& g = model.graph;
    if (!model.has_test_values || model.test_outputs.empty())
        throw UserError("model has no embedded test values (export it with export_test_values=True)");
    std::map<std::string, const NamedTensor*> inputs;
    for (const auto& t : model.test_inputs) inputs[t.name] = &t;
    std::vector<Tensor> feed;
    for (int id : g.inputs) {
        const Value& v = g.value(id);
        auto it = inputs.find(v.name);
        if (it == inputs.end())
            throw UserError("graph input '" + v.name + "' has no embedded test input (export with export_test_values=True)");
        const NamedTensor& t = *it->second;
        if (t.tensor.dtype() != v.dtype || t.tensor.shape() != v.shape)
            throw UserError("test input '" + v.name + "' is " + dtype_name(t.tensor.dtype()) + " " +
                            shape_str(t.tensor.shape()) + " but the graph input is " + dtype_name(v.dtype) + " " +
                            shape_str(v.shape));
        if (!t.exponents.empty() && !v.exponents.empty() && t.exponents[0] != v.exponents[0])
            throw UserError("test input '" + v.name + "' has exponent " + std::to_string(t.exponents[0]) +
                            " but the graph input has " + std::to_string(v.exponents[0]));
        feed.push_back(t.tensor);
    }
    Emulator emu(g, target);
    std::map<int, Tensor> captured;
    std::map<std::string, int> wanted;
    for (const auto& t : model.test_outputs) {
        int id = g.find(t.name);
        if (id >= 0) wanted[t.name] = id;
    }
    std::vector<bool> keep(g.values.size(), false);
    for (const auto& [name, id] : wanted) keep[id] = true;
    emu.run(feed, [&](int id, const Tensor& t) {
        if (id >= 0 && id < static_cast<int>(keep.size()) && keep[id]) captured[id] = t;
    });
    TestVectorReport r;
    r.target = target;
    r.pass = true;
    for (const auto& t : model.test_outputs) {
        auto w = wanted.find(t.name);
        const Tensor* got = nullptr;
        const Value* value = nullptr;
        if (w != wanted.end()) {
            value = &g.value(w->second);
            auto c = captured.find(w->second);
            if (c != captured.end()) got = &c->second;
            else if (value->constant) got = &*value->constant;
        }
        r.outputs.push_back(compare(t, got, value));
        r.pass = r.pass && r.outputs.back().pass;
    }
    return r;
}

}  // namespace espq
