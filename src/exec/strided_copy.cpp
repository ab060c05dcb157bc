#include "exec/strided_copy.hpp"

#include <algorithm>
#include <cstring>
#include <limits>

#include "espq/error.hpp"
#include "exec/dtype_dispatch.hpp"

namespace espq::exec {

namespace {
template <typename T>
void copy_run(const uint8_t* src, uint8_t* dst, int64_t n, int64_t stride) {
    // Tensor buffers are malloc-aligned and offsets are whole elements, so the typed access is aligned.
    const T* s = reinterpret_cast<const T*>(src);
    T* d = reinterpret_cast<T*>(dst);
    for (int64_t i = 0; i < n; ++i) d[i] = s[i * stride];
}
}  // namespace

StridedCopy::StridedCopy(const Shape& dims, const std::vector<int64_t>& src_strides, int64_t offset, size_t elem_size)
    : offset_(offset), elem_size_(elem_size), numel_(shape_numel(dims)) {
    outer_ = merge_loops(dims, src_strides, contiguous_strides(dims));
    if (!outer_.empty()) {
        inner_ = outer_.back().count;
        inner_src_stride_ = outer_.back().stride0;
        invariant(outer_.back().stride1 == 1, "StridedCopy: innermost destination stride is not 1");
        outer_.pop_back();
    }
}

void StridedCopy::run(const uint8_t* src, uint8_t* dst) const {
    if (numel_ == 0) return;
    const int64_t es = static_cast<int64_t>(elem_size_);
    const uint8_t* base = src + offset_ * es;
    for_each_offset(outer_.data(), outer_.size(), [&](int64_t s_off, int64_t d_off) {
        const uint8_t* s = base + s_off * es;
        uint8_t* d = dst + d_off * es;
        if (inner_src_stride_ == 1) {
            std::memcpy(d, s, static_cast<size_t>(inner_ * es));
            return;
        }
        if (!is_word_width(elem_size_)) {
            for (int64_t i = 0; i < inner_; ++i) std::memcpy(d + i * es, s + i * inner_src_stride_ * es, elem_size_);
            return;
        }
        dispatch_word_width(elem_size_, [&](auto word) { copy_run<decltype(word)>(s, d, inner_, inner_src_stride_); });
    });
}

StridedCopy transpose_copy(const Shape& in, const std::vector<int64_t>& perm, size_t elem_size) {
    invariant(perm.size() == in.size(), "transpose_copy: perm length differs from the rank");
    const std::vector<int64_t> in_strides = contiguous_strides(in);
    Shape out;
    std::vector<int64_t> strides;
    for (int64_t p : perm) {
        out.push_back(in.at(static_cast<size_t>(p)));
        strides.push_back(in_strides[static_cast<size_t>(p)]);
    }
    return StridedCopy(out, strides, 0, elem_size);
}

SliceRange slice_range(int64_t dim, int64_t start, int64_t end, int64_t step) {
    invariant(step != 0, "slice_range: step 0");
    if (start < 0) start += dim;
    if (end < 0) end += dim;
    int64_t span;
    if (step > 0) {
        start = std::clamp<int64_t>(start, 0, dim);
        end = std::clamp<int64_t>(end, 0, dim);
        span = end - start;
    } else {
        start = std::clamp<int64_t>(start, 0, std::max<int64_t>(dim - 1, 0));
        end = std::clamp<int64_t>(end, -1, dim - 1);
        span = start - end;
    }
    // |step| without overflowing on INT64_MIN; count = ceil(span / |step|).
    const int64_t magnitude =
        step > 0 ? step : (step == std::numeric_limits<int64_t>::min() ? std::numeric_limits<int64_t>::max() : -step);
    SliceRange r;
    r.count = (span <= 0 || dim == 0) ? 0 : 1 + (span - 1) / magnitude;
    r.start = r.count > 0 ? start : 0;
    r.step = r.count > 1 ? step : 1;
    return r;
}

StridedCopy slice_copy(const Shape& in, const std::vector<SliceRange>& ranges, size_t elem_size) {
    invariant(ranges.size() == in.size(), "slice_copy: one range per dimension expected");
    const std::vector<int64_t> in_strides = contiguous_strides(in);
    Shape out(in.size());
    std::vector<int64_t> strides(in.size());
    int64_t offset = 0;
    for (size_t k = 0; k < in.size(); ++k) {
        out[k] = ranges[k].count;
        offset += ranges[k].start * in_strides[k];
        strides[k] = ranges[k].step * in_strides[k];
    }
    return StridedCopy(out, strides, offset, elem_size);
}

}  // namespace espq::exec
