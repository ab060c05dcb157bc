#include "float_kernels/strided_copy.hpp"

#include <cstring>

#include "espq/error.hpp"
#include "float_kernels/op_helpers.hpp"

namespace espq::kernels {

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
        switch (elem_size_) {
            case 1:
                copy_run<uint8_t>(s, d, inner_, inner_src_stride_);
                break;
            case 2:
                copy_run<uint16_t>(s, d, inner_, inner_src_stride_);
                break;
            case 4:
                copy_run<uint32_t>(s, d, inner_, inner_src_stride_);
                break;
            case 8:
                copy_run<uint64_t>(s, d, inner_, inner_src_stride_);
                break;
            default:
                for (int64_t i = 0; i < inner_; ++i)
                    std::memcpy(d + i * es, s + i * inner_src_stride_ * es, elem_size_);
        }
    });
}

std::unique_ptr<FloatKernel> make_strided_copy_kernel(StridedCopy copy, const Shape& in_shape, const Node& node) {
    return make_kernel([copy = std::move(copy), in_shape, node](const std::vector<const Tensor*>& in,
                                                                const std::vector<Tensor*>& out, Scratch&) {
        expect_shape(*in[0], in_shape, node);
        copy.run(in[0]->raw(), out[0]->raw());
    });
}

}  // namespace espq::kernels
