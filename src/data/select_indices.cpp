#include <algorithm>
#include <random>
#include <unordered_map>

#include "espq/dataset.hpp"

namespace espq {
namespace {

// Uniform in [0, n) by rejection: std::uniform_int_distribution is implementation-defined, this is not.
uint64_t uniform_below(std::mt19937_64& gen, uint64_t n) {
    const uint64_t reject_below = (0 - n) % n;  // 2^64 mod n: the values that would bias r % n
    while (true) {
        const uint64_t r = gen();
        if (r >= reject_below) return r % n;
    }
}

}  // namespace

std::vector<size_t> select_indices(size_t total, size_t count, uint64_t seed) {
    std::vector<size_t> out;
    if (count == 0 || count >= total) {
        out.resize(total);
        for (size_t i = 0; i < total; ++i) out[i] = i;
        return out;
    }
    // Partial Fisher-Yates over a virtual 0..total-1 array; only swapped positions are stored.
    std::mt19937_64 gen(seed);
    std::unordered_map<size_t, size_t> swapped;
    auto at = [&](size_t k) {
        auto it = swapped.find(k);
        return it == swapped.end() ? k : it->second;
    };
    out.reserve(count);
    for (size_t i = 0; i < count; ++i) {
        const size_t j = i + static_cast<size_t>(uniform_below(gen, total - i));
        const size_t vi = at(i), vj = at(j);
        swapped[j] = vi;
        swapped[i] = vj;
        out.push_back(vj);
    }
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace espq
