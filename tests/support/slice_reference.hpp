// Reference for the Slice tests of both executors and of exec::slice_range.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

namespace espq::test {

// The indices ONNX's Slice picks along one axis, enumerated. This is Python's slice(start, stop, step) except
// that a negative-step start below -dim clamps to 0 (ONNX, and ONNX Runtime) where Python gives nothing.
inline std::vector<int64_t> onnx_slice_indices(int64_t dim, int64_t start, int64_t stop, int64_t step) {
    if (dim == 0) return {};  // (and the clamps below would have an empty range)
    if (start < 0) start += dim;
    if (stop < 0) stop += dim;
    if (step > 0) {
        start = std::clamp<int64_t>(start, 0, dim);
        stop = std::clamp<int64_t>(stop, 0, dim);
    } else {
        start = std::clamp<int64_t>(start, 0, dim - 1);
        stop = std::clamp<int64_t>(stop, -1, dim - 1);
    }
    std::vector<int64_t> out;
    for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) {
        out.push_back(i);
        if (step > 0 ? i > std::numeric_limits<int64_t>::max() - step : i < std::numeric_limits<int64_t>::min() - step)
            break;  // the next index would overflow: it is out of range anyway
    }
    return out;
}

}  // namespace espq::test
