// quantize_model: the main job, stage by stage (see include/espq/pipeline.hpp).
#include "espq/pipeline.hpp"

#include <spdlog/spdlog.h>

#include <chrono>

#include "espq/emulator.hpp"
#include "espq/preflight.hpp"
#include "quant/refine.hpp"

namespace espq {

namespace {
double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}
}  // namespace

QuantizeResult quantize_model(const Graph& float_graph, const SampleSource& calib, const QuantizeOptions& options) {
    const auto t0 = std::chrono::steady_clock::now();
    QuantizeResult r;
    r.optimized = float_graph;
    r.pass_reports = run_passes(r.optimized, options.passes);
    for (const auto& p : r.pass_reports)
        if (p.rewrites) spdlog::info("pass {}: {} rewrite(s)", p.name, p.rewrites);
    check_node_bits(r.optimized, options.plan.node_bits, &float_graph);  // before the long part
    if (const auto problems = lowering_problems(r.optimized, options.plan); !problems.empty()) {
        std::string more;
        if (problems.size() > 1)
            more = " (and " + std::to_string(problems.size() - 1) + " more node(s); 'espq check' lists them all)";
        throw UnsupportedError(problems.front() + more);
    }

    const auto tc = std::chrono::steady_clock::now();
    r.stats = collect_statistics(r.optimized, calib, options.calibration);
    r.seconds_calibration = seconds_since(tc);

    PlanOptions plan_options = options.plan;
    if (plan_options.method == CalibMethod::Auto) {
        plan_options.tuned_exponents =
            refine_exponents(r.optimized, r.stats, options.plan, options.lower, calib, options.refine_samples);
    }
    r.plan = plan_quantization(r.optimized, r.stats, plan_options);
    for (const auto& note : r.plan.notes) spdlog::info("{}", note);
    r.lowered = lower_to_espdl(r.optimized, r.plan, options.lower);

    if (options.test_values) {
        // The test vector is the first calibration sample, run through our emulator of the chip, so that
        // Model::test() on a correct device sees no difference at all.
        EspdlModel& m = r.lowered.model;
        const Emulator emu(m.graph, options.plan.target);
        const std::vector<Tensor> sample = calib.get(0);
        std::vector<Tensor> q;
        for (size_t i = 0; i < sample.size(); ++i) q.push_back(quantize_input(r.lowered, static_cast<int>(i), sample[i]));
        const std::vector<Tensor> outs = emu.run(q);
        m.test_inputs.clear();
        m.test_outputs.clear();
        for (size_t i = 0; i < q.size(); ++i) {
            const Value& v = m.graph.value(m.graph.inputs[i]);
            m.test_inputs.push_back({v.name, q[i], v.exponents});
        }
        for (size_t i = 0; i < outs.size(); ++i) {
            const Value& v = m.graph.value(m.graph.outputs[i]);
            m.test_outputs.push_back({v.name, outs[i], v.exponents});
        }
        m.has_test_values = true;
    }
    std::vector<std::string> notes = r.plan.notes;
    notes.insert(notes.end(), r.lowered.notes.begin(), r.lowered.notes.end());
    r.record = quantization_record(r.lowered, r.optimized, r.plan, options, notes);
    r.seconds_total = seconds_since(t0);
    return r;
}

}  // namespace espq
