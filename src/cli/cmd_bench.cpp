// `espq bench MODEL --calib DATA --data EVAL`: speed figures of the three engines on a model (float reference
// throughput, quantization time, emulator throughput), printed; never used as a test.
#include <nlohmann/json.hpp>

#include <iostream>

#include "cli/commands.hpp"
#include "cli/data_options.hpp"
#include "cli/help.hpp"
#include "espq/bench.hpp"
#include "espq/model_file.hpp"
#include "espq/onnx_import.hpp"

namespace espq::cli {

namespace {

struct BenchFlags {
    std::string model, calib, data, target = "esp32s3";
    int bits = 8, threads = 0;
    size_t images = 500;
    std::vector<std::string> input_shapes;
    bool json = false;
    DataFlags flags;
};

int run_bench(const BenchFlags& f) {
    const Graph g = load_onnx(f.model, parse_input_shapes(f.input_shapes));
    const Value& in = g.value(g.inputs[0]);
    const auto calib = std::make_shared<Dataset>(
        Dataset::open(f.calib, ModelInput{in.name, in.shape}, f.flags.options("calibration")));
    DatasetOptions eo = f.flags.options("evaluation");
    eo.count = f.images;
    const Dataset eval = Dataset::open(f.data, ModelInput{in.name, in.shape}, eo);
    std::vector<Tensor> xs;
    for (size_t i = 0; i < eval.size(); ++i) xs.push_back(eval.sample(i));
    QuantizeOptions o;
    o.plan.target = parse_target(f.target);
    o.plan.bits = f.bits;
    const SampleSource src{calib->size(), [calib](size_t i) { return std::vector<Tensor>{calib->sample(i)}; }};
    const BenchFigures b = benchmark(g, src, xs, o, f.threads);

    if (f.json) {
        nlohmann::json j;
        j["command"] = "bench";
        j["model"] = f.model;
        j["threads"] = b.threads;
        j["images"] = xs.size();
        j["float_images_per_second_1_thread"] = b.float_images_per_second_1_thread;
        j["float_images_per_second"] = b.float_images_per_second;
        j["quantize_seconds"] = b.quantize_seconds;
        j["calibration_seconds"] = b.calibration_seconds;
        j["calibration_samples"] = b.calibration_samples;
        j["emulator_images_per_second_1_thread"] = b.emulator_images_per_second_1_thread;
        j["emulator_images_per_second"] = b.emulator_images_per_second;
        std::cout << j.dump(2) << "\n";
        return 0;
    }
    std::printf("%s (%zu images, %d threads)\n", f.model.c_str(), xs.size(), b.threads);
    std::printf("  float reference : %8.1f images/s (%8.1f on 1 thread)\n", b.float_images_per_second,
                b.float_images_per_second_1_thread);
    std::printf("  quantize        : %8.2f s (calibration %.2f s on %zu samples, int%d, %s)\n", b.quantize_seconds,
                b.calibration_seconds, b.calibration_samples, f.bits, f.target.c_str());
    std::printf("  emulator        : %8.1f images/s (%8.1f on 1 thread)\n", b.emulator_images_per_second,
                b.emulator_images_per_second_1_thread);
    return 0;
}

}  // namespace

Command make_bench_command(CLI::App& app, const GlobalOptions& /*global*/) {
    auto f = std::make_shared<BenchFlags>();
    CLI::App* sub = app.add_subcommand("bench", "Print speed figures: float executor, quantization, emulator");
    sub->add_option("model", f->model, "Float ONNX model")->required();
    sub->add_option("--calib", f->calib, "Calibration data (as for quantize)")->required();
    sub->add_option("--data", f->data, "Evaluation samples to time the executors on")->required();
    sub->add_option("--images", f->images, "Evaluation samples to use (default 500)");
    sub->add_option("--target", f->target, "esp32s3 (default), esp32p4, esp32s31 or c (esp32, esp32c3, ... = c)");
    sub->add_option("--bits", f->bits, "8 or 16")->check(CLI::IsMember({8, 16}));
    sub->add_option("--threads", f->threads, "Threads (default: all cores)");
    sub->add_option("--input-shape", f->input_shapes, "Fix a dynamic input shape, NAME=1,C,H,W");
    sub->add_flag("--json", f->json, "Print one JSON object on stdout");
    f->flags.add_to(sub, "calib-count");
    set_manual(sub,
               "Prints speed figures of espq's three engines on a model: the float reference executor's throughput "
               "(on one thread and on --threads), the time the whole quantization takes (and its calibration "
               "part), and the emulator's throughput on the quantized model. The figures measure this host, not "
               "the chip. Data flags are those of quantize; --images limits the evaluation samples timed. "
               "Exit status: 0, or 1 on bad input.");
    sub->footer(
        "Examples:\n"
        "  espq bench models/gesture_mbv2.onnx --calib models/calib --data eval.npy --scale 1/255\n"
        "  espq bench model.onnx --calib calib.npy --data eval.npy --images 200 --threads 1 --json\n"
        "  espq bench model.onnx --calib calib.npy --data eval.npy --bits 16 --target esp32p4");
    return {sub, [f]() { return run_bench(*f); }};
}

}  // namespace espq::cli
