#include "onnx/tensor_proto.hpp"

#include <cmath>
#include <cstring>

namespace espq::onnx_import {

namespace {

float half_to_float(uint16_t h) {
    const uint32_t sign = (h >> 15) & 1, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
    float v;
    if (exp == 0) v = std::ldexp(static_cast<float>(mant), -24);
    else if (exp == 31) v = mant ? NAN : INFINITY;
    else v = std::ldexp(static_cast<float>(mant | 0x400), static_cast<int>(exp) - 25);
    return sign ? -v : v;
}

template <typename T, typename Src>
void copy_typed(Tensor& out, const Src& src, const std::string& where) {
    if (static_cast<int64_t>(src.size()) != out.numel())
        throw UserError(where + ": holds " + std::to_string(src.size()) + " values but its dims " +
                        shape_str(out.shape()) + " need " + std::to_string(out.numel()) +
                        "; the model file is inconsistent, re-export it");
    T* dst = out.data<T>();
    for (int64_t i = 0; i < out.numel(); ++i) dst[i] = static_cast<T>(src[static_cast<int>(i)]);
}

}  // namespace

DType dtype_from_onnx(int32_t onnx_type, const std::string& where) {
    switch (onnx_type) {
        case onnx::TensorProto::FLOAT: return DType::Float32;
        case onnx::TensorProto::UINT8: return DType::UInt8;
        case onnx::TensorProto::INT8: return DType::Int8;
        case onnx::TensorProto::UINT16: return DType::UInt16;
        case onnx::TensorProto::INT16: return DType::Int16;
        case onnx::TensorProto::INT32: return DType::Int32;
        case onnx::TensorProto::INT64: return DType::Int64;
        case onnx::TensorProto::BOOL: return DType::Bool;
        case onnx::TensorProto::FLOAT16: return DType::Float16;
        case onnx::TensorProto::DOUBLE: return DType::Float64;
        case onnx::TensorProto::UINT32: return DType::UInt32;
        case onnx::TensorProto::UINT64: return DType::UInt64;
        default:
            throw UnsupportedError(where + ": data type " + std::to_string(onnx_type) +
                                   " is not supported (espq handles float, float16, double and integer tensors)");
    }
}

Tensor tensor_from_proto(const onnx::TensorProto& t, const std::string& where) {
    if (t.data_location() == onnx::TensorProto::EXTERNAL || t.external_data_size() > 0)
        throw UnsupportedError(where + ": stored as ONNX external data, which espq does not read; save the model "
                               "with all tensors inside the .onnx file (onnx.save(model, path, "
                               "save_as_external_data=False))");
    Shape shape;
    for (int64_t d : t.dims()) {
        if (d < 0) throw UserError(where + ": negative dimension " + std::to_string(d) + " in its dims");
        shape.push_back(d);
    }
    const DType dt = dtype_from_onnx(t.data_type(), where);
    const int64_t n = shape_numel(shape);
    if (n > (int64_t{1} << 31)) throw UserError(where + ": " + std::to_string(n) + " elements is too large");

    if (dt == DType::Float16 || dt == DType::Float64) {
        Tensor out(DType::Float32, shape);
        float* dst = out.data<float>();
        if (t.has_raw_data()) {
            const std::string& raw = t.raw_data();
            const size_t es = dt == DType::Float16 ? 2 : 8;
            if (raw.size() != static_cast<size_t>(n) * es)
                throw UserError(where + ": raw_data has " + std::to_string(raw.size()) + " bytes, dims " +
                                shape_str(shape) + " need " + std::to_string(n * es));
            for (int64_t i = 0; i < n; ++i) {
                if (dt == DType::Float16) {
                    uint16_t h;
                    std::memcpy(&h, raw.data() + i * 2, 2);
                    dst[i] = half_to_float(h);
                } else {
                    double d;
                    std::memcpy(&d, raw.data() + i * 8, 8);
                    dst[i] = static_cast<float>(d);
                }
            }
        } else if (dt == DType::Float16) {
            if (t.int32_data_size() != n) throw UserError(where + ": float16 data count does not match its dims");
            for (int64_t i = 0; i < n; ++i) dst[i] = half_to_float(static_cast<uint16_t>(t.int32_data(i)));
        } else {
            copy_typed<float>(out, t.double_data(), where);
        }
        return out;
    }

    Tensor out(dt, shape);
    if (t.has_raw_data()) {
        const std::string& raw = t.raw_data();
        if (raw.size() != out.nbytes())
            throw UserError(where + ": raw_data has " + std::to_string(raw.size()) + " bytes but dims " +
                            shape_str(shape) + " of " + dtype_name(dt) + " need " + std::to_string(out.nbytes()) +
                            "; the model file is truncated or inconsistent");
        if (!raw.empty()) std::memcpy(out.raw(), raw.data(), raw.size());
        return out;
    }
    switch (dt) {
        case DType::Float32: copy_typed<float>(out, t.float_data(), where); break;
        case DType::Int8: copy_typed<int8_t>(out, t.int32_data(), where); break;
        case DType::UInt8: copy_typed<uint8_t>(out, t.int32_data(), where); break;
        case DType::Int16: copy_typed<int16_t>(out, t.int32_data(), where); break;
        case DType::UInt16: copy_typed<uint16_t>(out, t.int32_data(), where); break;
        case DType::Int32: copy_typed<int32_t>(out, t.int32_data(), where); break;
        case DType::Bool: copy_typed<bool>(out, t.int32_data(), where); break;
        case DType::Int64: copy_typed<int64_t>(out, t.int64_data(), where); break;
        case DType::UInt32: copy_typed<uint32_t>(out, t.uint64_data(), where); break;
        case DType::UInt64: copy_typed<uint64_t>(out, t.uint64_data(), where); break;
        default: throw InternalError("tensor_from_proto: unhandled dtype");
    }
    return out;
}

Attribute attribute_from_proto(const onnx::AttributeProto& a, const std::string& where) {
    const std::string w = where + " attribute '" + a.name() + "'";
    switch (a.type()) {
        case onnx::AttributeProto::FLOAT: return Attribute(a.f());
        case onnx::AttributeProto::INT: return Attribute(static_cast<int64_t>(a.i()));
        case onnx::AttributeProto::STRING: return Attribute(a.s());
        case onnx::AttributeProto::TENSOR: return Attribute(tensor_from_proto(a.t(), w));
        case onnx::AttributeProto::FLOATS: return Attribute(Attribute::Floats(a.floats().begin(), a.floats().end()));
        case onnx::AttributeProto::INTS: return Attribute(Attribute::Ints(a.ints().begin(), a.ints().end()));
        case onnx::AttributeProto::STRINGS:
            return Attribute(Attribute::Strings(a.strings().begin(), a.strings().end()));
        default:
            break;
    }
    // Old exporters sometimes leave `type` unset; infer it from the populated field.
    if (a.type() == onnx::AttributeProto::UNDEFINED) {
        if (a.ints_size()) return Attribute(Attribute::Ints(a.ints().begin(), a.ints().end()));
        if (a.floats_size()) return Attribute(Attribute::Floats(a.floats().begin(), a.floats().end()));
        if (a.has_i()) return Attribute(static_cast<int64_t>(a.i()));
        if (a.has_f()) return Attribute(a.f());
        if (a.has_s()) return Attribute(a.s());
        if (a.has_t()) return Attribute(tensor_from_proto(a.t(), w));
    }
    throw UnsupportedError(w + ": attribute type " + std::to_string(a.type()) +
                           " (graphs / sparse tensors / type protos) is not supported");
}

}  // namespace espq::onnx_import
