// Exponent refinement by emulated output error (CalibMethod::Auto; see include/espq/calibration.hpp).
#include <spdlog/spdlog.h>

#include "espq/emulator.hpp"
#include "espq/float_executor.hpp"
#include "quant/refine.hpp"

namespace espq {

std::map<std::string, int> refine_exponents(const Graph& g, const std::vector<TensorStats>& stats,
                                            const PlanOptions& options, const LowerOptions& lower,
                                            const SampleSource& calib, size_t samples) {
    const size_t k = std::min(samples, calib.count);
    std::vector<std::vector<Tensor>> inputs, reference;
    const FloatExecutor fe(g);
    for (size_t i = 0; i < k; ++i) {
        inputs.push_back(calib.get(i));
        reference.push_back(fe.run(inputs.back()));
    }
    PlanOptions trial = options;
    trial.method = CalibMethod::Auto;  // MSE at 8 bits, headroom at 16
    // Squared error of the emulated outputs against the float outputs over the samples.
    auto output_error = [&](const std::map<std::string, int>& overrides) {
        trial.tuned_exponents = overrides;
        const QuantPlan plan = plan_quantization(g, stats, trial);
        const LoweredModel low = lower_to_espdl(g, plan, lower);
        const Emulator emu(low.model.graph, options.target);
        double err = 0;
        for (size_t i = 0; i < k; ++i) {
            std::vector<Tensor> q;
            for (size_t j = 0; j < inputs[i].size(); ++j) q.push_back(quantize_input(low, static_cast<int>(j), inputs[i][j]));
            const auto outs = emu.run(q);
            for (size_t o = 0; o < outs.size(); ++o) {
                const Tensor y = dequantize_output(low, static_cast<int>(o), outs[o]);
                const float* a = y.data<float>();
                const float* b = reference[i][o].data<float>();
                for (int64_t e = 0; e < y.numel(); ++e) err += (static_cast<double>(a[e]) - b[e]) * (a[e] - b[e]);
            }
        }
        return err;
    };

    std::map<std::string, int> chosen;  // the user's overrides stay in `trial` and are never searched
    double best = output_error(chosen);
    std::vector<int> order(g.inputs.begin(), g.inputs.end());
    for (const Node& n : g.nodes)
        for (int o : n.outputs) order.push_back(o);
    int tried = 0, kept = 0;
    const QuantPlan start = plan_quantization(g, stats, trial);  // each tensor's width (mixed precision)
    for (int v : order) {
        const Value& val = g.value(v);
        if (val.dtype != DType::Float32 || stats[v].count == 0 || options.exponent_overrides.count(val.name)) continue;
        const int bits = start.tensors[v].bits;
        // 16-bit tensors keep their headroom: calibration samples cannot show the saturation it prevents.
        if (bits != 8) continue;
        const int e_mse = choose_exponent(stats[v], bits, CalibMethod::MSE);
        const int e_mm = choose_exponent(stats[v], bits, CalibMethod::MinMax);
        if (e_mm == e_mse) continue;
        auto candidate = chosen;
        candidate[val.name] = e_mm;
        double err;
        try {
            err = output_error(candidate);
        } catch (const UserError&) {
            continue;  // e.g. a Softmax output: not a quantized tensor
        }
        ++tried;
        if (err < best) {
            best = err;
            chosen = std::move(candidate);
            ++kept;
        }
    }
    spdlog::info("exponent refinement: {} candidate(s) tried, {} kept, on {} sample(s)", tried, kept, k);
    return chosen;
}

}  // namespace espq
