#include "exec/axis_parts.hpp"

#include <cstring>

#include "espq/error.hpp"

namespace espq::exec {

AxisParts::AxisParts(const Shape& whole, int axis, const std::vector<int64_t>& extents, size_t elem_size) {
    invariant(axis >= 0 && axis < static_cast<int>(whole.size()), "AxisParts: axis out of range");
    int64_t inner = 1, total = 0;
    outer_ = 1;
    for (int d = 0; d < axis; ++d) outer_ *= whole[d];
    for (size_t d = static_cast<size_t>(axis) + 1; d < whole.size(); ++d) inner *= whole[d];
    for (int64_t e : extents) {
        block_bytes_.push_back(static_cast<size_t>(e * inner) * elem_size);
        total += e;
    }
    invariant(total == whole[axis], "AxisParts: the part extents do not add up to the axis");
}

// Both directions walk the whole tensor in memory order (outer index, then part), so that it is read or
// written sequentially; empty parts are skipped (their data pointer may be null).
void AxisParts::concat(const std::vector<const Tensor*>& parts, Tensor& whole) const {
    uint8_t* dst = whole.raw();
    for (int64_t o = 0; o < outer_; ++o)
        for (size_t i = 0; i < block_bytes_.size(); ++i) {
            const size_t n = block_bytes_[i];
            if (n) std::memcpy(dst, parts[i]->raw() + static_cast<size_t>(o) * n, n);
            dst += n;
        }
}

void AxisParts::split(const Tensor& whole, const std::vector<Tensor*>& parts) const {
    const uint8_t* src = whole.raw();
    for (int64_t o = 0; o < outer_; ++o)
        for (size_t i = 0; i < block_bytes_.size(); ++i) {
            const size_t n = block_bytes_[i];
            if (n) std::memcpy(parts[i]->raw() + static_cast<size_t>(o) * n, src, n);
            src += n;
        }
}

}  // namespace espq::exec
