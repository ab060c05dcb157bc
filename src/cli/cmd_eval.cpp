// `espq eval MODEL --data DATA [--labels L] [--reference FLOAT.onnx]`: accuracy of a model (float or emulated
// .espdl), and its distance from the float model on the same samples.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/data_options.hpp"
#include "cli/help.hpp"
#include "espq/evaluate.hpp"
#include "espq/model_runner.hpp"
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

std::string agreement_text(const OutputComparison& c) {
    char buf[64];
    std::snprintf(buf, sizeof buf, ", top-1 agreement %.2f %%", c.top1_agreement);
    return c.class_vector ? buf : "";
}

int run_eval(const EvalFlags& f, const GlobalOptions& global) {
    const auto model = ModelRunner::open(f.model, f.target, f.input_shapes);
    std::unique_ptr<ModelRunner> ref;
    if (!f.reference.empty()) ref = ModelRunner::open(f.reference, "", f.input_shapes);
    // Samples, outputs and the comparison in the ONNX layout; an .espdl file's is derived from the reference.
    model->use_onnx_layout(ref ? ref->float_graph() : nullptr);
    const Dataset ds = Dataset::open(f.data, model->input(), f.flags.options("evaluation"));
    std::optional<std::vector<int64_t>> labels;
    if (!f.labels.empty()) labels = ds.labels_from_file(f.labels);
    else labels = ds.labels();

    Progress progress("evaluation", !global.quiet && !f.json);
    EvalOptions o;
    o.threads = f.threads;
    o.progress = [&progress](size_t done, size_t total) { progress.update(done, total); };
    const EvalResult r = evaluate(*model, ref.get(), ds, labels, o);
    progress.finish();

    nlohmann::json j;
    j["command"] = "eval";
    j["model"] = model->describe();
    j["samples"] = r.samples;
    j["seconds"] = r.seconds;
    j["images_per_second"] = r.samples / std::max(r.seconds, 1e-9);
    if (labels) j["top1"] = *r.top1, j["top5"] = *r.top5;
    if (ref) {
        j["reference"] = ref->describe();
        j["sqnr_db"] = r.sqnr_db;
        if (r.outputs.at(0).class_vector) j["top1_agreement"] = r.outputs[0].top1_agreement;
        nlohmann::json outs = nlohmann::json::array();
        for (const OutputComparison& c : r.outputs) {
            nlohmann::json oj{{"name", c.name}, {"sqnr_db", c.sqnr_db}};
            if (c.class_vector) oj["top1_agreement"] = c.top1_agreement;
            outs.push_back(oj);
        }
        j["outputs"] = outs;
    }
    if (f.json) {
        std::cout << j.dump(2) << "\n";
        return 0;
    }
    std::cout << model->describe() << " on " << r.samples << " samples ("
              << static_cast<int>(j["images_per_second"].get<double>()) << " images/s)\n";
    if (labels) std::printf("  top-1 %.2f %%   top-5 %.2f %%\n", *r.top1, *r.top5);
    if (ref && r.outputs.size() == 1) {
        std::printf("  vs %s: output SQNR %.2f dB%s\n", ref->describe().c_str(), r.sqnr_db,
                    agreement_text(r.outputs[0]).c_str());
    } else if (ref) {
        std::printf("  vs %s: output SQNR %.2f dB over all outputs\n", ref->describe().c_str(), r.sqnr_db);
        for (const OutputComparison& c : r.outputs)
            std::printf("    output '%s': SQNR %.2f dB%s\n", c.name.c_str(), c.sqnr_db, agreement_text(c).c_str());
    }
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
               "same samples and reports the output SQNR = 10*log10(sum f^2 / sum (q - f)^2) per output and over "
               "all outputs (f = reference, q = model) and, for outputs that are class vectors, how often both "
               "pick the same top-1 class. Samples and outputs are compared in the ONNX layout: an .espdl model "
               "stores image tensors channels-last (NHWC, NWC), and eval puts them back in the float model's "
               "order (derived from the reference's shapes; a tensor whose channel and spatial sizes coincide is "
               "refused as ambiguous). --layout describes the data relative to the ONNX model. Exit status: 0, or 1 on bad input.");
    sub->footer(
        "Examples:\n"
        "  espq eval gesture_mbv2.espdl --data eval.npy --labels eval_labels.npy --scale 1/255\n"
        "  espq eval gesture_mbv2.espdl --data eval.npy --scale 1/255 --reference gesture_mbv2.onnx --json\n"
        "  espq eval model.espdl --data photos/ --resize 96x96 --grayscale --scale 1/255 --count 500");
    return {sub, [f, &global]() { return run_eval(*f, global); }};
}

}  // namespace espq::cli
