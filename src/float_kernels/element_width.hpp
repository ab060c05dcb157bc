// For data-movement kernels (DepthToSpace, SpaceToDepth, Pad) that copy elements without looking at them:
// calls f(T{}) with an unsigned integer type exactly as wide as one element of `dtype`, so one templated loop
// serves every fixed-width dtype.
#pragma once

#include <string>
#include <utility>

#include "espq/error.hpp"
#include "espq/tensor.hpp"
#include "exec/dtype_dispatch.hpp"

namespace espq::float_kernels {

inline bool has_element_width(DType t) {
    return exec::is_word_width(dtype_size(t));
}

template <typename F>
void visit_element_width(DType t, F&& f) {
    if (!has_element_width(t))
        throw InternalError(std::string("data-movement kernel reached with dtype ") + dtype_name(t));
    exec::dispatch_word_width(dtype_size(t), std::forward<F>(f));
}

}  // namespace espq::float_kernels
