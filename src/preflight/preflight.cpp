#include "espq/preflight.hpp"

#include "espq/emulator.hpp"
#include "espq/passes.hpp"
#include "espq/quantize.hpp"

namespace espq {

std::vector<std::string> lowering_problems(const Graph& optimized, const PlanOptions& plan_options) {
    // Placeholder statistics (|x| <= 1): enough to exercise every lowering rule without data.
    std::vector<TensorStats> stats(optimized.values.size());
    for (auto& s : stats) s.absmax = 1, s.max = 1, s.min = -1, s.count = 1;
    PlanOptions placeholder = plan_options;
    placeholder.method = CalibMethod::MinMax;
    placeholder.tuned_exponents.clear();
    const QuantPlan plan = plan_quantization(optimized, stats, placeholder);
    std::vector<std::string> problems;
    LowerOptions lo;
    lo.collect_errors = &problems;
    // The lowering's notes (clamped biases or constants, raised exponents) are dropped: they depend on the
    // exponents, which here come from placeholder statistics, so they would warn about problems the real
    // calibration may not have. quantize reports the real ones.
    const LoweredModel low = lower_to_espdl(optimized, plan, lo);
    // quantize runs the lowered model in the emulator for its test values: a kernel the emulator (hence our model
    // of the chip) cannot prepare fails there, so it is a problem here too.
    if (problems.empty()) {
        try {
            const Emulator emulator(low.model.graph, plan_options.target);
        } catch (const UserError& e) {
            problems.push_back(e.what());
        }
    }
    return problems;
}

PreflightReport preflight_check(const std::string& model_path, const PreflightOptions& options) {
    PreflightReport report;
    Graph g;
    try {
        g = load_onnx(model_path, options.import);
    } catch (const UnsupportedError& e) {
        report.problems.push_back(e.what());  // e.g. every operator espq cannot read, listed at once
        return report;
    }
    PassOptions po;
    po.relu6_to_relu = options.relu6_to_relu;
    run_passes(g, po);
    PlanOptions plan_options;
    plan_options.target = options.target;
    plan_options.bits = options.bits;
    report.problems = lowering_problems(g, plan_options);
    return report;
}

}  // namespace espq
