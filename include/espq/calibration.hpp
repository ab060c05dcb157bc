// Calibration: activation statistics over a calibration set, and power-of-two exponent choice.
//
// Statistics are gathered with the float executor in two passes over the data (ranges, then |x| histograms
// over each tensor's range), on several threads; per-thread statistics are merged in a fixed order so the
// result does not depend on scheduling. Exponents are then chosen per tensor by one of the methods below.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "espq/ir.hpp"

namespace espq {

// Auto (the default): start from MSE, then for every tensor where minmax would choose a coarser exponent, keep
// whichever of the two gives the smaller error at the model's outputs, measured by emulating the quantized
// model on calibration samples (src/quant/refine.cpp). Local error alone is a poor guide: clipping an early
// tensor costs more downstream than the rounding noise it saves. 16-bit tensors instead take the minmax exponent
// plus one bit of headroom: their rounding noise is negligible, saturation on unseen data is not.
enum class CalibMethod { MinMax, KL, Percentile, MSE, Auto };
CalibMethod parse_calib_method(const std::string& name);  // "minmax", "kl", "percentile", "mse", "auto"
const char* calib_method_name(CalibMethod m);

// Statistics of one tensor over the whole calibration set.
struct TensorStats {
    double min = 0, max = 0;       // over every element of every sample
    double absmax = 0;             // max(|min|, |max|)
    int64_t count = 0;             // elements seen
    std::vector<double> hist;      // histogram of |x| over [0, absmax], `bins` equal bins
    double bin_width() const { return hist.empty() ? 0 : absmax / static_cast<double>(hist.size()); }
};

struct CalibrationOptions {
    int histogram_bins = 4096;  // ESP-PPQ's int8 KL resolution; also used for MSE and percentile
    int threads = 0;            // 0 = hardware concurrency
    // Called after each sample of each pass with (pass 1 or 2, samples done, total); for progress bars.
    std::function<void(int, size_t, size_t)> progress;
};

// Source of calibration samples: count and the i-th sample (graph inputs, in order). Must be thread-safe.
struct SampleSource {
    size_t count = 0;
    std::function<std::vector<Tensor>(size_t)> get;
};

// Runs the float graph over every sample and returns statistics for every float value that is a graph input
// or a node output (indexed by value id; empty stats for others).
std::vector<TensorStats> collect_statistics(const Graph& graph, const SampleSource& samples,
                                            const CalibrationOptions& options = {});

// Power-of-two exponent e (real = q * 2^e) for a tensor quantized to `bits` (8 or 16) by `method`.
// minmax: smallest e with absmax <= (2^(bits-1) - 0.5) * 2^e (ESP-PPQ's /127.5 rule, ceil of log2).
// kl: ESP-PPQ's KL-divergence threshold (docs/quantization-rules.md §3.3), exponent by round-half-up of log2.
// percentile: minmax of the 99.99th percentile of |x|.
// mse: the exponent minimising the expected squared error (rounding noise + clipping) over the histogram.
int choose_exponent(const TensorStats& stats, int bits, CalibMethod method);

// Expected mean squared quantization error of the histogrammed tensor at exponent e (for mse and reports).
double expected_quant_mse(const TensorStats& stats, int bits, int exponent);

// Exponent rule for constant tensors (weights): minmax over the values (ESP-PPQ's percentile observer equals
// minmax below 10000 elements; espq uses minmax for all sizes so no weight is ever clipped).
int weight_exponent(const Tensor& weights, int bits);
// The same rule per channel: element c is weight_exponent of the slice at index c of axis `axis` (per-channel
// weights: the output-channel axis, 0 for a Conv filter [Cout, Cin, k...], 1 for a Gemm weight [K, N]).
std::vector<int> channel_weight_exponents(const Tensor& weights, int bits, int axis);

}  // namespace espq
