#include "exec/loops.hpp"

#include <algorithm>

#include "espq/error.hpp"

namespace espq::exec {

std::vector<int64_t> contiguous_strides(const Shape& shape) {
    std::vector<int64_t> s(shape.size(), 1);
    for (int i = static_cast<int>(shape.size()) - 2; i >= 0; --i) s[i] = s[i + 1] * shape[i + 1];
    return s;
}

std::vector<Loop> merge_loops(const Shape& dims, const std::vector<int64_t>& strides0,
                              const std::vector<int64_t>& strides1) {
    invariant(dims.size() == strides0.size() && dims.size() == strides1.size(), "merge_loops: rank mismatch");
    std::vector<Loop> inner_first;
    for (size_t k = dims.size(); k-- > 0;) {
        if (dims[k] == 1) continue;
        if (!inner_first.empty()) {
            Loop& g = inner_first.back();
            // Index i (this dim) and j (merged inner group) address i*s + j*g.s; linear in i*g.count + j
            // exactly when s == g.s * g.count for both operands.
            if (strides0[k] == g.stride0 * g.count && strides1[k] == g.stride1 * g.count) {
                g.count *= dims[k];
                continue;
            }
        }
        inner_first.push_back(Loop{dims[k], strides0[k], strides1[k]});
    }
    std::reverse(inner_first.begin(), inner_first.end());
    return inner_first;
}

}  // namespace espq::exec
