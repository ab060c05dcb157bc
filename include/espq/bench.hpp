// Speed figures of espq's three engines on one model (`espq bench`): the float reference executor's throughput,
// the whole quantization's wall time, and the emulator's throughput on the quantized model. They measure the
// host, not the chip.
#pragma once

#include <vector>

#include "espq/calibration.hpp"
#include "espq/ir.hpp"
#include "espq/pipeline.hpp"
#include "espq/tensor.hpp"

namespace espq {

struct BenchFigures {
    int threads = 1;
    double float_images_per_second = 0, float_images_per_second_1_thread = 0;
    double quantize_seconds = 0, calibration_seconds = 0;
    size_t calibration_samples = 0;
    double emulator_images_per_second = 0, emulator_images_per_second_1_thread = 0;
};

// `samples` (float, ONNX layout, at least one) are timed through both executors; `options` quantizes the model
// with `calibration` (its calibration threads are set to `threads`). threads: 0 = every core.
BenchFigures benchmark(const Graph& model, const SampleSource& calibration, const std::vector<Tensor>& samples,
                       QuantizeOptions options, int threads);

}  // namespace espq
