#include "espq/tensor.hpp"

#include <sstream>

namespace espq {

size_t dtype_size(DType t) {
    switch (t) {
        case DType::Float32: return 4;
        case DType::UInt8: return 1;
        case DType::Int8: return 1;
        case DType::UInt16: return 2;
        case DType::Int16: return 2;
        case DType::Int32: return 4;
        case DType::Int64: return 8;
        case DType::Bool: return 1;
        case DType::Float16: return 2;
        case DType::Float64: return 8;
        case DType::UInt32: return 4;
        case DType::UInt64: return 8;
        default: return 0;
    }
}

const char* dtype_name(DType t) {
    switch (t) {
        case DType::Undefined: return "UNDEFINED";
        case DType::Float32: return "FLOAT";
        case DType::UInt8: return "UINT8";
        case DType::Int8: return "INT8";
        case DType::UInt16: return "UINT16";
        case DType::Int16: return "INT16";
        case DType::Int32: return "INT32";
        case DType::Int64: return "INT64";
        case DType::String: return "STRING";
        case DType::Bool: return "BOOL";
        case DType::Float16: return "FLOAT16";
        case DType::Float64: return "DOUBLE";
        case DType::UInt32: return "UINT32";
        case DType::UInt64: return "UINT64";
    }
    return "UNKNOWN";
}

bool dtype_is_integer(DType t) {
    switch (t) {
        case DType::UInt8: case DType::Int8: case DType::UInt16: case DType::Int16: case DType::Int32:
        case DType::Int64: case DType::UInt32: case DType::UInt64: case DType::Bool:
            return true;
        default:
            return false;
    }
}

int64_t shape_numel(const Shape& s) {
    int64_t n = 1;
    for (int64_t d : s) n *= d;
    return n;
}

std::string shape_str(const Shape& s, const char* sep) {
    if (s.empty()) return "scalar";
    std::ostringstream os;
    for (size_t i = 0; i < s.size(); ++i) os << (i ? sep : "") << s[i];
    return os.str();
}

Tensor::Tensor(DType dtype, Shape shape) : dtype_(dtype), shape_(std::move(shape)) {
    for (int64_t d : shape_)
        if (d < 0) throw InternalError("Tensor: negative dimension in shape " + shape_str(shape_));
    size_t es = dtype_size(dtype);
    if (es == 0) throw InternalError(std::string("Tensor: unsupported dtype ") + dtype_name(dtype));
    bytes_.assign(static_cast<size_t>(shape_numel(shape_)) * es, 0);
}

void Tensor::reshape(Shape shape) {
    if (shape_numel(shape) != numel())
        throw InternalError("Tensor::reshape: " + shape_str(shape_) + " -> " + shape_str(shape));
    shape_ = std::move(shape);
}

namespace {
template <typename F>
void visit_typed(DType t, F&& f) {
    switch (t) {
        case DType::Float32: f(float{}); break;
        case DType::Float64: f(double{}); break;
        case DType::UInt8: f(uint8_t{}); break;
        case DType::Int8: f(int8_t{}); break;
        case DType::UInt16: f(uint16_t{}); break;
        case DType::Int16: f(int16_t{}); break;
        case DType::Int32: f(int32_t{}); break;
        case DType::UInt32: f(uint32_t{}); break;
        case DType::Int64: f(int64_t{}); break;
        case DType::UInt64: f(uint64_t{}); break;
        case DType::Bool: f(bool{}); break;
        default: throw InternalError(std::string("unsupported dtype ") + dtype_name(t));
    }
}
}  // namespace

Tensor Tensor::cast(DType to) const {
    Tensor out(to, shape_);
    const int64_t n = numel();
    visit_typed(dtype_, [&](auto src_tag) {
        using S = decltype(src_tag);
        const S* src = data<S>();
        visit_typed(to, [&](auto dst_tag) {
            using D = decltype(dst_tag);
            D* dst = out.data<D>();
            for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<D>(src[i]);
        });
    });
    return out;
}

std::vector<double> Tensor::as_doubles() const {
    std::vector<double> v(static_cast<size_t>(numel()));
    visit_typed(dtype_, [&](auto tag) {
        using S = decltype(tag);
        const S* src = data<S>();
        for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<double>(src[i]);
    });
    return v;
}

std::vector<int64_t> Tensor::as_int64s() const {
    std::vector<int64_t> v(static_cast<size_t>(numel()));
    visit_typed(dtype_, [&](auto tag) {
        using S = decltype(tag);
        const S* src = data<S>();
        for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<int64_t>(src[i]);
    });
    return v;
}

}  // namespace espq
