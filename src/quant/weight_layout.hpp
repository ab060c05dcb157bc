// Exporter side of the ESP-DL weight layouts (docs/spec espdl-format §4.2): plain filters -> stored order.
#pragma once

#include <string>
#include <vector>

#include "espq/tensor.hpp"
#include "espq/target.hpp"

namespace espq::quant {

// Block size A: 16 for int8, 8 for int16 on PIE targets (S3, P4); 0 (plain layouts) on C targets.
int weight_block_size(Target t, int bits);

// Conv filter in ONNX order [N][C][KH][KW] (or [N][C][KW] for 1-D; depthwise: C == 1) of already quantized
// integers -> stored tensor with ESP-DL dims ([KH,KW,C,N], depthwise [KH,KW,N,1], 1-D [KW,C,N] / [KW,N,1]).
// Sets `layout_tag` to the doc-string tag, e.g. "(N/16)HWC16" or "(N/16)HWC16_UNALIGNED".
Tensor block_conv_filter(const Tensor& onnx_filter, bool depthwise, Target t, int bits, std::string& layout_tag);
// Gemm weight as [K][N] (already transposed if transB) -> stored [1,1,K,N] blocked like a 1x1 conv.
Tensor block_gemm_weight(const Tensor& kn, Target t, int bits, std::string& layout_tag);

}  // namespace espq::quant
