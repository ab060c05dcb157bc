// For data-movement kernels (DepthToSpace, SpaceToDepth, Pad) that copy elements without looking at them:
// calls f(T{}) with an unsigned integer type exactly as wide as one element of `dtype`, so one templated loop
// serves every fixed-width dtype.
#pragma once

#include <cstdint>
#include <string>

#include "espq/tensor.hpp"

namespace espq::kernels {

inline bool has_element_width(DType t) {
    const size_t w = dtype_size(t);
    return w == 1 || w == 2 || w == 4 || w == 8;
}

template <typename F>
void visit_element_width(DType t, F&& f) {
    switch (dtype_size(t)) {
        case 1: f(uint8_t{}); break;
        case 2: f(uint16_t{}); break;
        case 4: f(uint32_t{}); break;
        case 8: f(uint64_t{}); break;
        default: throw InternalError(std::string("data-movement kernel reached with dtype ") + dtype_name(t));
    }
}

}  // namespace espq::kernels
