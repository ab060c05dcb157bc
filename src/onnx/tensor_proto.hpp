// Conversion of ONNX TensorProto / AttributeProto into espq tensors and attributes.
#pragma once

#include <onnx/onnx_pb.h>

#include <string>

#include "espq/ir.hpp"

namespace espq::onnx_import {

// `where` names the tensor in error messages ("initializer 'conv1.weight' in model.onnx").
// FLOAT16 and DOUBLE data are widened/narrowed to float32: espq computes in float32 throughout.
Tensor tensor_from_proto(const onnx::TensorProto& t, const std::string& where);
Attribute attribute_from_proto(const onnx::AttributeProto& a, const std::string& where);
DType dtype_from_onnx(int32_t onnx_type, const std::string& where);

}  // namespace espq::onnx_import
