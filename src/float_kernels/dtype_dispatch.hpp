// Calls a generic lambda with a value of the C++ type that holds a tensor dtype, so one templated loop
// serves every dtype a kernel accepts. `infer` rejects other dtypes first; reaching the default is a bug.
#pragma once

#include <cstdint>
#include <string>

#include "espq/error.hpp"
#include "espq/tensor.hpp"

namespace espq::kernels {

// The dtypes of the arithmetic kernels (float math and the int64/int32 shape arithmetic).
inline bool is_arith_dtype(DType t) {
    return t == DType::Float32 || t == DType::Float64 || t == DType::Int32 || t == DType::Int64;
}

template <typename F>
void dispatch_arith(DType t, F&& f) {
    switch (t) {
        case DType::Float32:
            f(float{});
            break;
        case DType::Float64:
            f(double{});
            break;
        case DType::Int32:
            f(int32_t{});
            break;
        case DType::Int64:
            f(int64_t{});
            break;
        default:
            throw InternalError(std::string("arithmetic kernel reached with dtype ") + dtype_name(t));
    }
}

// Every dtype with a C++ value type (Float16 and String have none).
inline bool is_numeric_dtype(DType t) {
    return is_arith_dtype(t) || t == DType::Int8 || t == DType::UInt8 || t == DType::Int16 || t == DType::UInt16 ||
           t == DType::UInt32 || t == DType::UInt64 || t == DType::Bool;
}

template <typename F>
void dispatch_numeric(DType t, F&& f) {
    switch (t) {
        case DType::Int8:
            f(int8_t{});
            break;
        case DType::UInt8:
            f(uint8_t{});
            break;
        case DType::Int16:
            f(int16_t{});
            break;
        case DType::UInt16:
            f(uint16_t{});
            break;
        case DType::UInt32:
            f(uint32_t{});
            break;
        case DType::UInt64:
            f(uint64_t{});
            break;
        case DType::Bool:
            f(bool{});
            break;
        default:
            dispatch_arith(t, f);
    }
}

}  // namespace espq::kernels
