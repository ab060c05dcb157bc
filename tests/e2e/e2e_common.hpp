// Helpers for end-to-end tests: quantize a bench model with its calibration set and score the result with
// the emulator against the float logits of ONNX Runtime (tests/data/golden).
#pragma once

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "espq/dataset.hpp"
#include "espq/emulator.hpp"
#include "espq/espdl.hpp"
#include "espq/npy.hpp"
#include "espq/onnx_import.hpp"
#include "espq/pipeline.hpp"
#include "support.hpp"

namespace espq::test {

struct Score {
    double top1 = 0, agreement = 0, sqnr_db = 0;
    int images = 0;
};

inline SampleSource bench_calibration(const Graph& g, const std::string& size) {
    Preprocess p;
    p.scale = 1.0 / 255.0;
    DatasetOptions o;
    o.preprocess = p;
    const Value& in = g.value(g.inputs[0]);
    auto ds = std::make_shared<Dataset>(
        Dataset::open(data_path("bench/fashion" + size + "/calib.npy"), ModelInput{in.name, in.shape}, o));
    return SampleSource{ds->size(), [ds](size_t i) { return std::vector<Tensor>{ds->sample(i)}; }};
}

// ESP-PPQ's mixed-precision choice, read from one of its files (tests/data/ppq): the nodes it dispatched to
// 16 bits (quant_type S16), without the RequantizeLinear nodes it inserted. Names the optimized float graph
// still has go to `node_bits` (espq's equivalent setting); names the optimizer passes merged into a neighbour
// (ESP-PPQ's HardSigmoid of a hard-swish, which espq fuses into HardSwish) go to `merged`.
struct PpqMixedChoice {
    std::map<std::string, int> node_bits;
    std::vector<std::string> merged;
};

inline PpqMixedChoice ppq_mixed_choice(const EspdlModel& ppq, const Graph& optimized) {
    PpqMixedChoice c;
    for (const Node& n : ppq.graph.nodes) {
        if (n.op_type == "RequantizeLinear" || n.attr_string("quant_type", "") != "S16") continue;
        const bool kept = std::any_of(optimized.nodes.begin(), optimized.nodes.end(),
                                      [&](const Node& o) { return o.name == n.name; });
        if (kept) c.node_bits[n.name] = 16;
        else c.merged.push_back(n.name);
    }
    return c;
}

// Emulates the lowered model on the first `count` eval images; compares with ORT's float logits.
inline Score score(const Graph& float_graph, const QuantizeResult& r, const std::string& model, int count) {
    const std::string size = std::to_string(float_graph.value(float_graph.inputs[0]).shape[2]);
    const Tensor images = load_npy(data_path("bench/fashion" + size + "/eval1000.npy"));
    const Tensor labels = load_npy(data_path("bench/fashion" + size + "/eval1000_labels.npy"));
    const Tensor logits = load_npy(data_path("golden/" + model + "/eval1000_logits.npy"));
    const Emulator emu(r.lowered.model.graph, r.plan.target);
    const Shape in_shape = float_graph.value(float_graph.inputs[0]).shape;
    const int64_t pixels = shape_numel(in_shape);
    Score s;
    double sig = 0, noise = 0;
    int correct = 0, agree = 0;
    for (int i = 0; i < count; ++i) {
        Tensor x(DType::Float32, in_shape);
        for (int64_t k = 0; k < pixels; ++k) x.data<float>()[k] = images.data<uint8_t>()[i * pixels + k] / 255.0f;
        const Tensor y = dequantize_output(r.lowered, 0, emu.run({quantize_input(r.lowered, 0, x)})[0]);
        const float* f = logits.data<float>() + i * 10;
        int a = 0, b = 0;
        for (int c = 0; c < 10; ++c) {
            const double q = y.data<float>()[c];
            sig += static_cast<double>(f[c]) * f[c];
            noise += (q - f[c]) * (q - f[c]);
            if (y.data<float>()[c] > y.data<float>()[a]) a = c;
            if (f[c] > f[b]) b = c;
        }
        correct += a == labels.data<int64_t>()[i];
        agree += a == b;
    }
    s.images = count;
    s.top1 = 100.0 * correct / count;
    s.agreement = 100.0 * agree / count;
    s.sqnr_db = 10.0 * std::log10(sig / std::max(noise, 1e-30));
    return s;
}

}  // namespace espq::test
