// Dense tensors: a dtype, a shape and a contiguous, C-ordered byte buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "espq/error.hpp"

namespace espq {

// Numbers are ONNX's TensorProto.DataType values, which the .espdl format reuses.
enum class DType : int32_t {
    Undefined = 0,
    Float32 = 1,
    UInt8 = 2,
    Int8 = 3,
    UInt16 = 4,
    Int16 = 5,
    Int32 = 6,
    Int64 = 7,
    String = 8,
    Bool = 9,
    Float16 = 10,
    Float64 = 11,
    UInt32 = 12,
    UInt64 = 13,
};

size_t dtype_size(DType t);          // bytes per element; 0 for Undefined/String
const char* dtype_name(DType t);     // "FLOAT", "INT8", ... (ONNX spelling, as the .info file prints them)
bool dtype_is_integer(DType t);

template <typename T> constexpr DType dtype_of();
template <> constexpr DType dtype_of<float>() { return DType::Float32; }
template <> constexpr DType dtype_of<double>() { return DType::Float64; }
template <> constexpr DType dtype_of<int8_t>() { return DType::Int8; }
template <> constexpr DType dtype_of<uint8_t>() { return DType::UInt8; }
template <> constexpr DType dtype_of<int16_t>() { return DType::Int16; }
template <> constexpr DType dtype_of<uint16_t>() { return DType::UInt16; }
template <> constexpr DType dtype_of<int32_t>() { return DType::Int32; }
template <> constexpr DType dtype_of<uint32_t>() { return DType::UInt32; }
template <> constexpr DType dtype_of<int64_t>() { return DType::Int64; }
template <> constexpr DType dtype_of<uint64_t>() { return DType::UInt64; }
template <> constexpr DType dtype_of<bool>() { return DType::Bool; }

using Shape = std::vector<int64_t>;

int64_t shape_numel(const Shape& s);
std::string shape_str(const Shape& s, const char* sep = "x");  // "1x3x96x96"; "scalar" for rank 0

class Tensor {
public:
    Tensor() = default;
    Tensor(DType dtype, Shape shape);  // zero-filled

    template <typename T>
    static Tensor from(Shape shape, const std::vector<T>& values) {
        Tensor t(dtype_of<T>(), std::move(shape));
        invariant(static_cast<int64_t>(values.size()) == t.numel(), "Tensor::from: value count != shape");
        if (!values.empty()) std::memcpy(t.raw(), values.data(), values.size() * sizeof(T));
        return t;
    }
    template <typename T>
    static Tensor scalar(T v) { return from<T>({}, {v}); }

    DType dtype() const { return dtype_; }
    const Shape& shape() const { return shape_; }
    int64_t dim(int i) const { return shape_.at(i < 0 ? shape_.size() + i : i); }
    int rank() const { return static_cast<int>(shape_.size()); }
    int64_t numel() const { return shape_numel(shape_); }
    size_t nbytes() const { return bytes_.size(); }
    bool empty() const { return dtype_ == DType::Undefined; }

    // Same bytes, new shape (element count must match).
    void reshape(Shape shape);

    uint8_t* raw() { return bytes_.data(); }
    const uint8_t* raw() const { return bytes_.data(); }

    template <typename T>
    T* data() {
        check_type<T>();
        return reinterpret_cast<T*>(bytes_.data());
    }
    template <typename T>
    const T* data() const {
        check_type<T>();
        return reinterpret_cast<const T*>(bytes_.data());
    }
    template <typename T>
    std::vector<T> to_vector() const {
        const T* p = data<T>();
        return std::vector<T>(p, p + numel());
    }

    // Element-wise conversion to another dtype (numeric types only; float->int truncates like a C cast).
    Tensor cast(DType to) const;
    // All values as double / int64 regardless of dtype (for small parameter tensors: shapes, axes, bounds).
    std::vector<double> as_doubles() const;
    std::vector<int64_t> as_int64s() const;

private:
    template <typename T>
    void check_type() const {
        if (dtype_of<std::remove_cv_t<T>>() != dtype_)
            throw InternalError(std::string("tensor holds ") + dtype_name(dtype_) + ", accessed as " +
                                dtype_name(dtype_of<std::remove_cv_t<T>>()));
    }

    DType dtype_ = DType::Undefined;
    Shape shape_;
    // 16-byte aligned storage: std::vector<uint8_t> gives malloc alignment (16 on x86-64 glibc),
    // which is enough for the element types we store.
    std::vector<uint8_t> bytes_;
};

}  // namespace espq
