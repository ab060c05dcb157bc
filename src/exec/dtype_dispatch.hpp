// Calls a generic lambda with a value of the C++ type that holds a tensor dtype, so that one templated loop
// serves every dtype a kernel accepts: dispatch_dtype<DType::Int8, DType::Int16>(t, [&](auto tag) { ... }).
// Each executor checks dtypes when it prepares a node; reaching a dtype outside the list is an espq bug.
#pragma once

#include <cstdint>
#include <string>
#include <tuple>
#include <utility>

#include "espq/error.hpp"
#include "espq/tensor.hpp"

namespace espq::exec {

// The C++ value type of a dtype, looked up by the ONNX enum value (void for Undefined, String and Float16).
template <DType kType>
using CType = std::tuple_element_t<static_cast<size_t>(kType),
                                   std::tuple<void, float, uint8_t, int8_t, uint16_t, int16_t, int32_t, int64_t, void,
                                              bool, void, double, uint32_t, uint64_t>>;

// Returns f(CType<t>{}), t one of kTypes.
template <DType kFirst, DType... kRest, typename F>
decltype(auto) dispatch_dtype(DType t, F&& f) {
    if (t == kFirst) return f(CType<kFirst>{});
    if constexpr (sizeof...(kRest) > 0) {
        return dispatch_dtype<kRest...>(t, std::forward<F>(f));
    } else {
        throw InternalError(std::string("kernel reached with unexpected dtype ") + dtype_name(t));
    }
}

// For data movement that copies elements without looking at them: whether an element of `bytes` bytes is as wide
// as an unsigned integer type, and f(T{}) with that type (1, 2, 4 or 8 bytes; others are an espq bug).
inline bool is_word_width(size_t bytes) {
    return bytes == 1 || bytes == 2 || bytes == 4 || bytes == 8;
}

template <typename F>
void dispatch_word_width(size_t bytes, F&& f) {
    const DType word = bytes == 1   ? DType::UInt8
                       : bytes == 2 ? DType::UInt16
                       : bytes == 4 ? DType::UInt32
                       : bytes == 8 ? DType::UInt64
                                    : DType::Undefined;
    if (word == DType::Undefined)
        throw InternalError("data movement reached with " + std::to_string(bytes) + "-byte elements");
    dispatch_dtype<DType::UInt8, DType::UInt16, DType::UInt32, DType::UInt64>(word, std::forward<F>(f));
}

}  // namespace espq::exec
