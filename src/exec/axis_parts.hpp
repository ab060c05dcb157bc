// The data movement of Concat and Split (raw elements of any dtype, in the float executor and the emulator):
// seen as [outer, extent along the axis, inner], the whole tensor is, per outer index, the parts' contiguous
// blocks of extent_i * inner elements one after the other.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "espq/tensor.hpp"

namespace espq::exec {

class AxisParts {
public:
    AxisParts() = default;
    // `whole`: the shape of the joined tensor; extents[i]: part i's size along `axis` (they add up to whole[axis]).
    AxisParts(const Shape& whole, int axis, const std::vector<int64_t>& extents, size_t elem_size);

    // whole = Concat(parts) along the axis.
    void concat(const std::vector<const Tensor*>& parts, Tensor& whole) const;
    // parts = Split(whole) along the axis.
    void split(const Tensor& whole, const std::vector<Tensor*>& parts) const;

private:
    int64_t outer_ = 0;
    std::vector<size_t> block_bytes_;  // bytes of part i per outer index
};

}  // namespace espq::exec
