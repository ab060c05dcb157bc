// The library's one way to spread work over threads: oneTBB, inside an arena limited to the user's --threads.
//
// Results stay deterministic for any thread count when each item writes its own slot (index i) or when the
// per-worker partial results are merged afterwards in a fixed order with an order-independent operation
// (integer sums, min/max).
#pragma once

#include <cstddef>
#include <functional>

namespace espq {

// Threads to use: `requested` (> 0), else every core; never more than `work` items (at least 1).
int resolve_threads(int requested, size_t work);

// Calls body(worker, i) for every i in [0, count) on at most `threads` threads; `worker` in [0, threads)
// identifies the calling thread for per-worker scratch and partial results (two calls with the same worker
// never run at the same time). The first exception thrown by `body` is rethrown here after the loop stops.
void parallel_for_each(size_t count, int threads, const std::function<void(int worker, size_t i)>& body);

// Items per second of body(i) over [0, count) on `threads` threads (wall time of the whole loop).
double items_per_second(size_t count, int threads, const std::function<void(size_t i)>& body);

}  // namespace espq
