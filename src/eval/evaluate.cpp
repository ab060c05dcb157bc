#include "espq/evaluate.hpp"

#include <chrono>
#include <cmath>
#include <limits>
#include <mutex>

#include "espq/error.hpp"
#include "espq/parallel.hpp"

namespace espq {

namespace {

int64_t argmax(const Tensor& t) {
    const float* p = t.data<float>();
    int64_t best = 0;
    for (int64_t i = 1; i < t.numel(); ++i)
        if (p[i] > p[best]) best = i;
    return best;
}

bool in_top5(const Tensor& t, int64_t label) {
    const float* p = t.data<float>();
    if (label < 0 || label >= t.numel()) return false;
    int higher = 0;
    for (int64_t i = 0; i < t.numel(); ++i) higher += p[i] > p[label];
    return higher < 5;
}

double sqnr_db(double signal, double noise) {
    return noise > 0 ? 10.0 * std::log10(signal / noise) : std::numeric_limits<double>::infinity();
}

// What one sample contributes; kept per sample and summed in sample order.
struct SampleScore {
    bool top1 = false, top5 = false;
    std::vector<double> signal, noise;  // per output
    std::vector<bool> agree;            // per output
};

}  // namespace

bool is_class_vector(const Shape& shape) {
    int wide = 0;
    for (size_t i = 1; i < shape.size(); ++i) wide += shape[i] > 1;
    return wide <= 1;
}

EvalResult evaluate(const ModelRunner& model, const ModelRunner* reference, const Dataset& data,
                    const std::optional<std::vector<int64_t>>& labels, const EvalOptions& options) {
    if (!labels && !reference)
        throw UserError(
            "nothing to measure: give --labels (or a folder with one subfolder per class) and/or "
            "--reference FLOAT.onnx");
    if (reference && reference->input().shape != model.input().shape)
        throw UserError(reference->describe() + ": input '" + reference->input().name + "' has shape " +
                        shape_str(reference->input().shape) + ", the model's (in ONNX layout) " +
                        shape_str(model.input().shape) + "; compare a model with the float model it was made from");
    const std::vector<std::string> names = model.output_names();
    const size_t n = data.size();
    std::vector<SampleScore> scores(n);
    std::vector<Shape> output_shapes(names.size());
    std::mutex progress_mutex;
    size_t done = 0;
    const auto t0 = std::chrono::steady_clock::now();
    parallel_for_each(n, options.threads, [&](int, size_t i) {
        const Tensor x = data.sample(i);
        const std::vector<Tensor> ys = model.run(x);
        SampleScore& s = scores[i];
        if (labels) {
            s.top1 = argmax(ys.at(0)) == (*labels)[i];
            s.top5 = in_top5(ys.at(0), (*labels)[i]);
        }
        if (reference) {
            const std::vector<Tensor> rs = reference->run(x);
            if (rs.size() != ys.size())
                throw UserError(reference->describe() + ": has " + std::to_string(rs.size()) +
                                " output(s), the model " + std::to_string(ys.size()) +
                                "; compare a model with the float model it was made from");
            s.signal.assign(ys.size(), 0);
            s.noise.assign(ys.size(), 0);
            s.agree.assign(ys.size(), false);
            for (size_t o = 0; o < ys.size(); ++o) {
                const Tensor& y = ys[o];
                const Tensor& r = rs[o];
                if (r.shape() != y.shape())
                    throw UserError(reference->describe() + ": output " + std::to_string(o) + " has shape " +
                                    shape_str(r.shape()) + ", the model's output '" + names[o] + "' " +
                                    shape_str(y.shape()) +
                                    " (in ONNX layout); compare a model with the float "
                                    "model it was made from");
                for (int64_t k = 0; k < y.numel(); ++k) {
                    const double a = r.data<float>()[k], b = y.data<float>()[k];
                    s.signal[o] += a * a;
                    s.noise[o] += (a - b) * (a - b);
                }
                s.agree[o] = argmax(r) == argmax(y);
            }
        }
        if (i == 0)
            for (size_t o = 0; o < ys.size(); ++o) output_shapes[o] = ys[o].shape();
        if (options.progress) {
            std::lock_guard<std::mutex> lock(progress_mutex);
            options.progress(++done, n);
        }
    });

    EvalResult r;
    r.samples = n;
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double percent = n ? 100.0 / static_cast<double>(n) : 0;
    if (labels) {
        size_t top1 = 0, top5 = 0;
        for (const SampleScore& s : scores) top1 += s.top1, top5 += s.top5;
        r.top1 = percent * static_cast<double>(top1);
        r.top5 = percent * static_cast<double>(top5);
    }
    if (reference) {
        double signal = 0, noise = 0;
        for (size_t o = 0; o < names.size(); ++o) {
            OutputComparison c;
            c.name = names[o];
            c.class_vector = is_class_vector(output_shapes[o]);
            double os = 0, on = 0;
            size_t agree = 0;
            for (const SampleScore& s : scores) os += s.signal[o], on += s.noise[o], agree += s.agree[o];
            c.sqnr_db = sqnr_db(os, on);
            if (c.class_vector) c.top1_agreement = percent * static_cast<double>(agree);
            signal += os;
            noise += on;
            r.outputs.push_back(c);
        }
        r.sqnr_db = sqnr_db(signal, noise);
    }
    return r;
}

}  // namespace espq
