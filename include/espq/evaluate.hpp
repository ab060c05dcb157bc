// Evaluation of a model (float .onnx or emulated .espdl) on a dataset: accuracy against labels, and the distance
// from the float model (output SQNR per output and overall, top-1 agreement on class-vector outputs).
//
// Both models run in the ONNX layout (ModelRunner::use_onnx_layout), so that every output is compared with the
// float model's element by element. Results are the same for any thread count: every sample's sums are kept
// apart and added in sample order.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "espq/dataset.hpp"
#include "espq/model_runner.hpp"

namespace espq {

struct EvalOptions {
    int threads = 0;  // 0 = every core
    // Called after each sample (done of total), from one thread at a time.
    std::function<void(size_t done, size_t total)> progress;
};

struct OutputComparison {
    std::string name;
    double sqnr_db = 0;         // 10*log10(sum f^2 / sum (q - f)^2) over every sample; +inf when q == f
    bool class_vector = false;  // one dimension beyond the batch: top-1 agreement is meaningful
    double top1_agreement = 0;  // percent of samples whose argmax agrees (class vectors only)
};

struct EvalResult {
    size_t samples = 0;
    double seconds = 0;
    std::optional<double> top1, top5;       // percent, with labels (argmax of the first output)
    std::vector<OutputComparison> outputs;  // with a reference, one per output
    double sqnr_db = 0;                     // with a reference: over all outputs together
};

// Samples come from `data` in the ONNX layout of the models' input. `reference` may be nullptr.
EvalResult evaluate(const ModelRunner& model, const ModelRunner* reference, const Dataset& data,
                    const std::optional<std::vector<int64_t>>& labels, const EvalOptions& options);

// True when `shape` has at most one dimension above 1 after the leading batch dimension: a class vector.
bool is_class_vector(const Shape& shape);

}  // namespace espq
