// `espq run MODEL --input x.npy [--output y.npy] [--raw]`: run a float .onnx model or an emulated .espdl model
// on one sample or on N samples stacked along a leading axis.
#include <nlohmann/json.hpp>

#include <cstring>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/help.hpp"
#include "espq/model_runner.hpp"
#include "espq/npy.hpp"

namespace espq::cli {

namespace {

struct RunFlags {
    std::string model, input, output, target;
    std::vector<std::string> input_shapes;
    bool raw = false, json = false;
};

int run_run(const RunFlags& f) {
    const auto model = ModelRunner::open(f.model, f.target, f.input_shapes);
    const ModelInput in = model->input();
    const Tensor x = load_npy(f.input);
    // One sample of exactly the input shape, or N of them: [N, ...input shape] or the input shape with its
    // leading batch dimension replaced by N.
    const int64_t per = shape_numel(in.shape);
    if (x.numel() == 0 || x.numel() % per != 0)
        throw UserError(f.input + ": has shape " + shape_str(x.shape()) + " but model input '" + in.name + "' needs " +
                        shape_str(in.shape) + " (or N of them stacked along a leading axis)");
    const int64_t n = x.numel() / per;
    const bool integer_input = x.dtype() == DType::Int8 || x.dtype() == DType::Int16;
    if (f.raw && !integer_input)
        throw UserError("--raw: " + f.input + " holds " + dtype_name(x.dtype()) + "; raw mode takes the model's "
                        "stored int8/int16 values");
    std::vector<std::vector<Tensor>> outs;
    const size_t es = dtype_size(x.dtype());
    for (int64_t i = 0; i < n; ++i) {
        Tensor s(x.dtype(), in.shape);
        std::memcpy(s.raw(), x.raw() + static_cast<size_t>(i * per) * es, static_cast<size_t>(per) * es);
        if (!integer_input) s = s.cast(DType::Float32);
        outs.push_back(f.raw || integer_input ? model->run_raw(s) : model->run(s));
    }
    // Stack each output the same way as the input was given.
    for (size_t o = 0; o < outs[0].size(); ++o) {
        const Tensor& first = outs[0][o];
        Shape shape = first.shape();
        if (n > 1 || x.rank() > static_cast<int>(in.shape.size())) {
            if (x.rank() > static_cast<int>(in.shape.size())) shape.insert(shape.begin(), n);
            else shape[0] *= n;
        }
        Tensor stacked(first.dtype(), shape);
        for (int64_t i = 0; i < n; ++i)
            std::memcpy(stacked.raw() + i * first.nbytes(), outs[i][o].raw(), first.nbytes());
        if (!f.output.empty()) {
            std::string path = f.output;
            if (outs[0].size() > 1) path = path.substr(0, path.rfind(".npy")) + "_" + std::to_string(o) + ".npy";
            save_npy(path, stacked);
            if (!f.json) std::cout << "wrote " << path << " " << dtype_name(stacked.dtype()) << " " << shape_str(shape) << "\n";
        } else if (!f.json) {
            std::cout << "output " << o << " " << dtype_name(stacked.dtype()) << " " << shape_str(shape) << ":";
            const auto v = stacked.as_doubles();
            for (size_t k = 0; k < std::min<size_t>(v.size(), 64); ++k) std::cout << " " << v[k];
            std::cout << (v.size() > 64 ? " ..." : "") << "\n";
        }
    }
    if (f.json) {
        nlohmann::json j;
        j["command"] = "run";
        j["model"] = model->describe();
        j["samples"] = n;
        j["output"] = f.output;
        std::cout << j.dump(2) << "\n";
    }
    return 0;
}

}  // namespace

Command make_run_command(CLI::App& app, const GlobalOptions& /*global*/) {
    auto f = std::make_shared<RunFlags>();
    CLI::App* sub = app.add_subcommand("run", "Run a model (.onnx float, .espdl emulated) on samples from a .npy");
    sub->add_option("model", f->model, "Model: .onnx (float reference) or .espdl (bit-exact emulation)")->required();
    sub->add_option("--input", f->input, "Samples .npy: one model input, or N stacked on a leading axis")->required();
    sub->add_option("--output", f->output, "Write the outputs to this .npy (stacked like the input)");
    sub->add_flag("--raw", f->raw, "Integer in/out as stored in the .espdl (no (de)quantization)");
    sub->add_option("--target", f->target, "Chip to emulate for .espdl files without target metadata");
    sub->add_option("--input-shape", f->input_shapes, "Fix a dynamic ONNX input shape, NAME=1,C,H,W");
    sub->add_flag("--json", f->json, "Print one JSON summary on stdout");
    set_manual(sub,
               "Runs a float .onnx model in the reference executor, or an .espdl model in the bit-exact emulator "
               "of the target's integer kernels, on the samples of a .npy file: exactly one model input, or N of "
               "them stacked along a leading axis. Float input to an .espdl model is quantized with the model's "
               "input exponent (and must be in its stored layout, NHWC for images) and the outputs are "
               "dequantized to float; int8/int16 input (or --raw) is taken as the stored integers and the raw "
               "integer outputs are returned. Outputs are stacked like the input; a model with several outputs "
               "writes NAME_0.npy, NAME_1.npy, ... Exit status: 0, or 1 on bad input.");
    sub->footer(
        "Examples:\n"
        "  espq run model.espdl --input x.npy --output y.npy\n"
        "  espq run model.onnx --input x.npy --output y_float.npy\n"
        "  espq run model.espdl --input test_input_int8.npy --raw --output y_int8.npy");
    return {sub, [f]() { return run_run(*f); }};
}

}  // namespace espq::cli
