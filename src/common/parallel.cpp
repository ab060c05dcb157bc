#include "espq/parallel.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "espq/error.hpp"

namespace espq {

int resolve_threads(int requested, size_t work) {
    const int cores = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
    const int t = requested > 0 ? requested : cores;
    return static_cast<int>(std::min<size_t>(static_cast<size_t>(t), std::max<size_t>(1, work)));
}

void parallel_for_each(size_t count, int threads, const std::function<void(int worker, size_t i)>& body) {
    if (count == 0) return;
    threads = resolve_threads(threads, count);
    if (threads == 1) {
        for (size_t i = 0; i < count; ++i) body(0, i);
        return;
    }
    tbb::task_arena arena(threads);
    arena.execute([&] {
        // Grain 1: samples are few and expensive, so each is its own task (dynamic load balancing).
        tbb::parallel_for(tbb::blocked_range<size_t>(0, count, 1), [&](const tbb::blocked_range<size_t>& r) {
            const int worker = tbb::this_task_arena::current_thread_index();
            if (worker < 0 || worker >= threads) throw InternalError("parallel_for_each: worker outside the arena");
            for (size_t i = r.begin(); i != r.end(); ++i) body(worker, i);
        });
    });
}

double items_per_second(size_t count, int threads, const std::function<void(size_t i)>& body) {
    const auto t0 = std::chrono::steady_clock::now();
    parallel_for_each(count, threads, [&](int, size_t i) { body(i); });
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return static_cast<double>(count) / std::max(seconds, 1e-9);
}

}  // namespace espq
