#include "cli/model_runner.hpp"

#include <cmath>

#include "cli/model_file.hpp"
#include "espq/emulator.hpp"
#include "espq/espdl.hpp"
#include "espq/float_executor.hpp"
#include "espq/onnx_import.hpp"

namespace espq::cli {

namespace {

class OnnxRunner : public ModelRunner {
public:
    OnnxRunner(const std::string& path, const std::vector<std::string>& shapes)
        : path_(path), exec_(load_onnx(path, parse_input_shapes(shapes))) {
        if (exec_.graph().inputs.size() != 1)
            throw UnsupportedError(path + ": models with several inputs are not supported by this command");
    }
    ModelInput input() const override {
        const Value& v = exec_.graph().value(exec_.graph().inputs[0]);
        return {v.name, v.shape};
    }
    bool channels_last() const override { return false; }
    std::vector<Tensor> run(const Tensor& x) const override { return exec_.run({x}); }
    std::vector<Tensor> run_raw(const Tensor& x) const override { return run(x); }
    std::string describe() const override { return path_ + " (float reference)"; }

private:
    std::string path_;
    FloatExecutor exec_;
};

class EspdlRunner : public ModelRunner {
public:
    EspdlRunner(const std::string& path, const std::string& target)
        : path_(path), model_(read_espdl(path)), target_(resolve_target(path, target)), emu_(model_.graph, target_) {
        if (model_.graph.inputs.size() != 1)
            throw UnsupportedError(path + ": models with several inputs are not supported by this command");
    }
    ModelInput input() const override {
        const Value& v = model_.graph.value(model_.graph.inputs[0]);
        return {v.name, v.shape};
    }
    bool channels_last() const override { return model_.graph.value(model_.graph.inputs[0]).shape.size() >= 3; }
    std::vector<Tensor> run(const Tensor& x) const override {
        std::vector<Tensor> outs = run_raw(quantize(x));
        for (size_t i = 0; i < outs.size(); ++i) {
            const Value& v = model_.graph.value(model_.graph.outputs[i]);
            Tensor f = outs[i].cast(DType::Float32);
            if (v.dtype != DType::Float32) {
                const float s = std::ldexp(1.0f, static_cast<int>(v.exponents.at(0)));
                for (int64_t k = 0; k < f.numel(); ++k) f.data<float>()[k] *= s;
            }
            outs[i] = std::move(f);
        }
        return outs;
    }
    std::vector<Tensor> run_raw(const Tensor& x) const override { return emu_.run({x}); }
    std::string describe() const override { return path_ + " (emulated " + std::string(target_name(target_)) + ")"; }

private:
    // Float input -> the model's input dtype with its exponent, like the device's quantize(): floor(x*2^-e + 0.5).
    Tensor quantize(const Tensor& x) const {
        const Value& v = model_.graph.value(model_.graph.inputs[0]);
        if (v.dtype == DType::Float32) return x;
        if (x.dtype() == v.dtype) return x;  // already raw integers
        const int e = static_cast<int>(v.exponents.at(0));
        const double lo = v.dtype == DType::Int16 ? -32768 : -128, hi = v.dtype == DType::Int16 ? 32767 : 127;
        Tensor q(v.dtype, x.shape());
        const auto xs = x.as_doubles();
        for (size_t i = 0; i < xs.size(); ++i) {
            const double r = std::min(hi, std::max(lo, std::floor(std::ldexp(xs[i], -e) + 0.5)));
            if (v.dtype == DType::Int16) q.data<int16_t>()[i] = static_cast<int16_t>(r);
            else q.data<int8_t>()[i] = static_cast<int8_t>(r);
        }
        return q;
    }
    static Target resolve_target(const std::string& path, const std::string& requested) {
        if (!requested.empty()) return parse_target(requested);
        const EspdlModel m = read_espdl(path);
        for (const auto& [k, v] : m.graph.metadata)
            if (k == "target") return parse_target(v);
        throw UserError(path + ": the file does not say which chip it is for (no 'target' metadata); pass --target "
                        "esp32s3, esp32p4, esp32s31 or c");
    }

    std::string path_;
    EspdlModel model_;
    Target target_;
    Emulator emu_;
};

}  // namespace

std::unique_ptr<ModelRunner> ModelRunner::open(const std::string& path, const std::string& target,
                                               const std::vector<std::string>& input_shapes) {
    if (detect_model_kind(path) == ModelKind::Espdl) return std::make_unique<EspdlRunner>(path, target);
    return std::make_unique<OnnxRunner>(path, input_shapes);
}

}  // namespace espq::cli
