#include "espq/bench.hpp"

#include <chrono>

#include "espq/emulator.hpp"
#include "espq/error.hpp"
#include "espq/float_executor.hpp"
#include "espq/parallel.hpp"
#include "espq/passes.hpp"
#include "espq/quantize.hpp"

namespace espq {

BenchFigures benchmark(const Graph& model, const SampleSource& calibration, const std::vector<Tensor>& samples,
                       QuantizeOptions options, int threads) {
    if (samples.empty()) throw UserError("bench: no evaluation samples to time");
    BenchFigures b;
    b.threads = resolve_threads(threads, samples.size());
    Graph optimized = model;
    run_passes(optimized, PassOptions{});
    const FloatExecutor fe(optimized);
    fe.run({samples[0]});  // warm-up: allocates the workspaces
    const auto run_float = [&](size_t i) { fe.run({samples[i]}); };
    b.float_images_per_second_1_thread = items_per_second(samples.size(), 1, run_float);
    b.float_images_per_second = items_per_second(samples.size(), b.threads, run_float);

    options.calibration.threads = b.threads;
    const auto t0 = std::chrono::steady_clock::now();
    const QuantizeResult r = quantize_model(model, calibration, options);
    b.quantize_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    b.calibration_seconds = r.seconds_calibration;
    b.calibration_samples = calibration.count;

    const Emulator emu(r.lowered.model.graph, options.plan.target);
    std::vector<Tensor> quantized;
    for (const Tensor& x : samples) quantized.push_back(quantize_input(r.lowered, 0, x));
    const auto run_emulated = [&](size_t i) { emu.run({quantized[i]}); };
    b.emulator_images_per_second_1_thread = items_per_second(quantized.size(), 1, run_emulated);
    b.emulator_images_per_second = items_per_second(quantized.size(), b.threads, run_emulated);
    return b;
}

}  // namespace espq
