// `espq eval MODEL --data DATA [--labels L] [--reference FLOAT.onnx]`: accuracy of a model (float or emulated
// .espdl), and its distance from the float model on the same samples.
#include <nlohmann/json.hpp>

#include <atomic>
#include <cmath>
#include <iostream>
#include <mutex>
#include <thread>

#include "cli/commands.hpp"
#include "cli/data_options.hpp"
#include "cli/help.hpp"
#include "cli/model_runner.hpp"
#include "cli/progress.hpp"

namespace espq::cli {

namespace {

struct EvalFlags {
    std::string model, data, labels, reference, target;
    std::vector<std::string> input_shapes;
    int threads = 0;
    bool json = false;
    DataFlags flags;
};

Dataset open_for(const ModelRunner& runner, const EvalFlags& f) {
    DatasetOptions o = f.flags.options("evaluation");
    if (runner.channels_last()) o.preprocess.layout = InputLayout::NHWC;  // .espdl image inputs are stored NHWC
    return Dataset::open(f.data, runner.input(), o);
}

int argmax(const Tensor& t) {
    const float* p = t.data<float>();
    int best = 0;
    for (int64_t i = 1; i < t.numel(); ++i)
        if (p[i] > p[best]) best = static_cast<int>(i);
    return best;
}

bool in_top5(const Tensor& t, int64_t label) {
    const float* p = t.data<float>();
    if (label < 0 || label >= t.numel()) return false;
    int higher = 0;
    for (int64_t i = 0; i < t.numel(); ++i) higher += p[i] > p[label];
    return higher < 5;
}

int run_eval(const EvalFlags& f, const GlobalOptions& global) {
    const auto model = ModelRunner::open(f.model, f.target, f.input_shapes);
    const Dataset ds = open_for(*model, f);
    std::unique_ptr<ModelRunner> ref;
    std::unique_ptr<Dataset> ref_ds;
    if (!f.reference.empty()) {
        ref = ModelRunner::open(f.reference, "", f.input_shapes);
        ref_ds = std::make_unique<Dataset>(open_for(*ref, f));
    }
    std::optional<std::vector<int64_t>> labels;
    if (!f.labels.empty()) labels = ds.labels_from_file(f.labels);
    else labels = ds.labels();
    if (!labels && !ref)
        throw UserError("nothing to measure: give --labels (or a folder with one subfolder per class) and/or "
                        "--reference FLOAT.onnx");

    const size_t n = ds.size();
    std::vector<int> top1(n, 0), top5(n, 0), agree(n, 0);
    std::vector<double> sig(n, 0), noise(n, 0);
    std::atomic<size_t> next{0}, done{0};
    std::mutex progress_mutex;
    Progress progress("evaluation", !global.quiet && !f.json);
    std::exception_ptr error;
    auto worker = [&] {
        try {
            for (size_t i; (i = next++) < n;) {
                const Tensor y = model->run(ds.sample(i)).at(0);
                if (labels) {
                    top1[i] = argmax(y) == (*labels)[i];
                    top5[i] = in_top5(y, (*labels)[i]);
                }
                if (ref) {
                    const Tensor r = ref->run(ref_ds->sample(i)).at(0);
                    if (r.numel() != y.numel())
                        throw UserError("--reference output has " + std::to_string(r.numel()) + " values, the model's " +
                                        std::to_string(y.numel()));
                    for (int64_t k = 0; k < y.numel(); ++k) {
                        const double a = r.data<float>()[k], b = y.data<float>()[k];
                        sig[i] += a * a;
                        noise[i] += (a - b) * (a - b);
                    }
                    agree[i] = argmax(r) == argmax(y);
                }
                std::lock_guard<std::mutex> lock(progress_mutex);
                progress.update(++done, n);
            }
        } catch (...) {
            std::lock_guard<std::mutex> lock(progress_mutex);
            if (!error) error = std::current_exception();
            next = n;
        }
    };
    const int threads = f.threads > 0 ? f.threads : std::max(1u, std::thread::hardware_concurrency());
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<std::thread> pool;
    for (int t = 1; t < threads; ++t) pool.emplace_back(worker);
    worker();
    for (auto& t : pool) t.join();
    progress.finish();
    if (error) std::rethrow_exception(error);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    auto pct = [&](const std::vector<int>& v) {
        double s = 0;
        for (int x : v) s += x;
        return 100.0 * s / static_cast<double>(n);
    };
    double s = 0, e = 0;
    for (size_t i = 0; i < n; ++i) s += sig[i], e += noise[i];
    nlohmann::json j;
    j["command"] = "eval";
    j["model"] = model->describe();
    j["samples"] = n;
    j["seconds"] = secs;
    j["images_per_second"] = n / std::max(secs, 1e-9);
    if (labels) j["top1"] = pct(top1), j["top5"] = pct(top5);
    if (ref) {
        j["reference"] = ref->describe();
        j["sqnr_db"] = e > 0 ? 10.0 * std::log10(s / e) : INFINITY;
        j["top1_agreement"] = pct(agree);
    }
    if (f.json) {
        std::cout << j.dump(2) << "\n";
        return 0;
    }
    std::cout << model->describe() << " on " << n << " samples (" << static_cast<int>(j["images_per_second"].get<double>())
              << " images/s)\n";
    if (labels) std::printf("  top-1 %.2f %%   top-5 %.2f %%\n", pct(top1), pct(top5));
    if (ref) std::printf("  vs %s: output SQNR %.2f dB, top-1 agreement %.2f %%\n", ref->describe().c_str(),
                         j["sqnr_db"].get<double>(), pct(agree));
    return 0;
}

}  // namespace

Command make_eval_command(CLI::App& app, const GlobalOptions& global) {
    auto f = std::make_shared<EvalFlags>();
    CLI::App* sub = app.add_subcommand("eval", "Measure a model's accuracy and its distance from the float model");
    sub->add_option("model", f->model, "Model to evaluate: .espdl (emulated bit-exactly) or .onnx (float)")->required();
    sub->add_option("--data", f->data, "Samples: image folder, .npy/.npz array, or folder of .npy")->required();
    sub->add_option("--labels", f->labels, "labels.npy or labels.txt (one per sample; default: class subfolders)");
    sub->add_option("--reference", f->reference, "Float .onnx model: also report output SQNR and top-1 agreement");
    sub->add_option("--target", f->target, "Chip to emulate for .espdl files without target metadata");
    sub->add_option("--input-shape", f->input_shapes, "Fix a dynamic ONNX input shape, NAME=1,C,H,W");
    sub->add_option("--threads", f->threads, "Worker threads (default: all cores)");
    sub->add_flag("--json", f->json, "Print one JSON summary on stdout");
    f->flags.add_to(sub, "count");
    set_manual(sub,
               "Runs the model on every sample of --data (an .espdl model in the bit-exact emulator of the target's "
               "integer kernels, an .onnx model in the float reference executor), preprocessed with the same flags "
               "as quantize --calib. With labels (--labels, or one subfolder per class in an image folder) it "
               "reports top-1 and top-5 accuracy; with --reference FLOAT.onnx it also runs the float model on the "
               "same samples and reports the output SQNR = 10*log10(sum f^2 / sum (q - f)^2) over all outputs "
               "(f = reference, q = model) and how often both pick the same top-1 class. An .espdl model's image "
               "input is stored NHWC: samples are laid out accordingly. Exit status: 0, or 1 on bad input.");
    sub->footer(
        "Examples:\n"
        "  espq eval gesture_mbv2.espdl --data eval.npy --labels eval_labels.npy --scale 1/255\n"
        "  espq eval gesture_mbv2.espdl --data eval.npy --scale 1/255 --reference gesture_mbv2.onnx --json\n"
        "  espq eval model.espdl --data photos/ --resize 96x96 --grayscale --scale 1/255 --count 500");
    return {sub, [f, &global]() { return run_eval(*f, global); }};
}

}  // namespace espq::cli
