// The dtype sets of the float executor's kernels, dispatched through exec::dispatch_dtype. `infer` rejects
// other dtypes first; reaching one in a kernel is a bug.
#pragma once

#include <utility>

#include "espq/tensor.hpp"
#include "exec/dtype_dispatch.hpp"

namespace espq::float_kernels {

// The dtypes of the arithmetic kernels (float math and the int64/int32 shape arithmetic).
inline bool is_arith_dtype(DType t) {
    return t == DType::Float32 || t == DType::Float64 || t == DType::Int32 || t == DType::Int64;
}

template <typename F>
void dispatch_arith(DType t, F&& f) {
    exec::dispatch_dtype<DType::Float32, DType::Float64, DType::Int32, DType::Int64>(t, std::forward<F>(f));
}

// Every dtype with a C++ value type (Float16 and String have none).
inline bool is_numeric_dtype(DType t) {
    return is_arith_dtype(t) || t == DType::Int8 || t == DType::UInt8 || t == DType::Int16 || t == DType::UInt16 ||
           t == DType::UInt32 || t == DType::UInt64 || t == DType::Bool;
}

template <typename F>
void dispatch_numeric(DType t, F&& f) {
    using D = DType;
    exec::dispatch_dtype<D::Float32, D::Float64, D::Int32, D::Int64, D::Int8, D::UInt8, D::Int16, D::UInt16, D::UInt32,
                         D::UInt64, D::Bool>(t, std::forward<F>(f));
}

}  // namespace espq::float_kernels
