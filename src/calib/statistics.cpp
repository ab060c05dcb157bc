// Two-pass activation statistics over the calibration set (ranges, then |x| histograms).
#include <Eigen/Core>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <mutex>

#include "espq/calibration.hpp"
#include "espq/float_executor.hpp"
#include "espq/parallel.hpp"

namespace espq {

namespace {

// Runs `per_sample(worker, sample)` for every sample on the library's thread pool, reporting progress after
// each sample. Results must be combined in an order-independent way by the caller.
template <typename F>
void parallel_over_samples(size_t count, int threads, const std::function<void(int, size_t, size_t)>& progress,
                           int pass, F per_sample) {
    std::atomic<size_t> done{0};
    std::mutex progress_mutex;
    parallel_for_each(count, threads, [&](int worker, size_t i) {
        per_sample(worker, i);
        const size_t d = ++done;
        if (progress) {
            std::lock_guard<std::mutex> lock(progress_mutex);
            progress(pass, d, count);
        }
    });
}

// Extends [lo, hi] by p[0..n) and tells whether every value is finite (Eigen's reductions are vectorised).
bool update_range(const float* p, int64_t n, float& lo, float& hi) {
    if (n == 0) return true;
    const Eigen::Map<const Eigen::ArrayXf> a(p, n);
    if (!a.allFinite()) return false;
    lo = std::min(lo, a.minCoeff());
    hi = std::max(hi, a.maxCoeff());
    return true;
}

}  // namespace

std::vector<TensorStats> collect_statistics(const Graph& graph, const SampleSource& samples,
                                            const CalibrationOptions& options) {
    if (samples.count == 0) throw UserError("the calibration set is empty; give at least one sample");
    const FloatExecutor executor(graph);
    const size_t nv = graph.values.size();
    std::vector<bool> tracked(nv, false);
    for (int v : graph.inputs) tracked[v] = graph.value(v).dtype == DType::Float32;
    for (const auto& n : graph.nodes)
        for (int o : n.outputs) tracked[o] = graph.value(o).dtype == DType::Float32;

    const int threads = resolve_threads(options.threads, samples.count);

    // Pass 1: ranges. Also rejects NaN/Inf activations early, naming the sample and tensor.
    struct Range {
        double min = INFINITY, max = -INFINITY;
        int64_t count = 0;
    };
    std::vector<std::vector<Range>> ranges(threads, std::vector<Range>(nv));
    parallel_over_samples(samples.count, threads, options.progress, 1, [&](int t, size_t i) {
        auto& r = ranges[t];
        executor.run(samples.get(i), [&](int v, const Tensor& x) {
            if (!tracked[v]) return;
            float lo = static_cast<float>(r[v].min), hi = static_cast<float>(r[v].max);
            const bool finite = update_range(x.data<float>(), x.numel(), lo, hi);
            if (!finite)
                throw UserError("calibration sample " + std::to_string(i) + ": tensor '" + graph.value(v).name +
                                "' contains NaN or Inf; check the sample data and its preprocessing");
            r[v].min = lo;
            r[v].max = hi;
            r[v].count += x.numel();
        });
    });
    std::vector<TensorStats> stats(nv);
    for (size_t v = 0; v < nv; ++v) {
        if (!tracked[v]) continue;
        Range m;
        for (int t = 0; t < threads; ++t) {
            m.min = std::min(m.min, ranges[t][v].min);
            m.max = std::max(m.max, ranges[t][v].max);
            m.count += ranges[t][v].count;
        }
        stats[v].min = m.min;
        stats[v].max = m.max;
        stats[v].absmax = std::max(std::fabs(m.min), std::fabs(m.max));
        stats[v].count = m.count;
    }

    // Pass 2: histograms of |x| over [0, absmax]; integer counts make the merge order-independent.
    const int bins = options.histogram_bins;
    std::vector<std::vector<std::vector<int64_t>>> hists(threads, std::vector<std::vector<int64_t>>(nv));
    std::vector<std::vector<uint32_t>> partial(threads);
    std::vector<Eigen::ArrayXi> bin_index(threads);
    parallel_over_samples(samples.count, threads, options.progress, 2, [&](int t, size_t i) {
        auto& h = hists[t];
        executor.run(samples.get(i), [&](int v, const Tensor& x) {
            if (!tracked[v] || stats[v].absmax <= 0) return;
            if (h[v].empty()) h[v].assign(static_cast<size_t>(bins), 0);
            const double scale = bins / stats[v].absmax;
            const float* p = x.data<float>();
            const int64_t n = x.numel();
            // Bin indices are computed vectorised first; four interleaved partial histograms then keep runs of
            // equal bins (zeros after a ReLU) from serialising every increment on the previous one.
            Eigen::ArrayXi& idx = bin_index[t];
            idx.resize(n);
            const Eigen::Map<const Eigen::ArrayXf> a(p, n);
            idx = (a.abs() * static_cast<float>(scale)).cast<int>().min(bins - 1);
            std::vector<uint32_t>& part = partial[t];
            part.assign(4 * static_cast<size_t>(bins), 0);
            int64_t k = 0;
            for (; k + 4 <= n; k += 4)
                for (int j = 0; j < 4; ++j) ++part[j * bins + idx[k + j]];
            for (; k < n; ++k) ++part[idx[k]];
            int64_t* hv = h[v].data();
            for (int b = 0; b < bins; ++b) hv[b] += part[b] + part[bins + b] + part[2 * bins + b] + part[3 * bins + b];
        });
    });
    for (size_t v = 0; v < nv; ++v) {
        if (!tracked[v]) continue;
        stats[v].hist.assign(static_cast<size_t>(bins), 0.0);
        if (stats[v].absmax <= 0) {
            stats[v].hist[0] = static_cast<double>(stats[v].count);
            continue;
        }
        for (int t = 0; t < threads; ++t)
            if (!hists[t][v].empty())
                for (int b = 0; b < bins; ++b) stats[v].hist[b] += static_cast<double>(hists[t][v][b]);
    }
    return stats;
}

}  // namespace espq
