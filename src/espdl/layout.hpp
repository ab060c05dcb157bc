// Stored layouts of Conv / Gemm / MatMul weights in .espdl files (docs/espdl-file-format.md §4.2,
// docs/esp-dl-arithmetic.md §4.2) and the "layout ==> <tag>" doc strings that name them.
//
// Notation: N output channels, C input channels (per group), A = block size (16 for int8, 8 for int16 on the
// SIMD targets esp32s3 / esp32p4; 0 for the plain layouts of the C targets), Na = A * floor(N / A).
//   Conv (group 1)   ONNX [N][C][KH][KW]   stored dims [KH,KW,C,N]; data: for block b < N/A, kh, kw, c, lane l:
//                                          W[bA+l][c][kh][kw]; then channels Na..N-1 plain: for n, kh, kw, c.
//   Depthwise        ONNX [N][1][KH][KW]   stored dims [KH,KW,N,1]; data: for b, kh, kw, l; then for kh, kw, n.
//   Conv1d / dw 1-D  ONNX [N][C][KW]       stored dims [KW,C,N] / [KW,N,1]; as above without kh.
//   Gemm             [K][N] (transB = 0)   stored dims [1,1,K,N]; data as the 1x1 conv filter [N][K][1][1].
//   MatMul (const B) [..., C, N]           stored dims unchanged; each trailing [C][N] matrix as a Gemm weight.
// With A = 0 every channel is in the "remainder", which gives exactly the C targets' layouts: NHWC (n-major)
// for Conv and Gemm ([N][K]), HWCN (kh, kw, n) for depthwise, NWC / WCN for 1-D.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "espq/tensor.hpp"

namespace espq::espdl {

enum class WeightKind { Conv, DepthwiseConv, Gemm, MatMul };

// ONNX-order weight -> stored weight (dims and element order as in the file). `block` is A (0 = plain).
Tensor to_blocked(const Tensor& onnx_order, WeightKind kind, int block);
// Stored weight -> ONNX order (Conv: OIHW / OIW, Gemm: [K][N], MatMul: [..., C, N]). Exact inverse of to_blocked.
Tensor from_blocked(const Tensor& stored, WeightKind kind, int block);

// For each stored element, the index of the same element in the ONNX-order array (stored[i] = onnx[order[i]]).
// Conv-like filters only; `kh` is 1 for 1-D convs; depthwise filters have c == 1.
std::vector<int64_t> filter_storage_order(int64_t n, int64_t kh, int64_t kw, int64_t c, int block, bool depthwise);

// The tag ESP-PPQ writes: "(N/16)HWC16", "(N/8)WC8", with "_UNALIGNED" when N % A != 0; for C targets "NHWC",
// "HWCN" (depthwise), "NWC", "WCN" (depthwise 1-D). `spatial_rank` is 2 for 2-D convs, Gemm and MatMul, 1 for 1-D.
std::string layout_tag(WeightKind kind, int spatial_rank, int64_t n, int block);
std::string layout_doc_string(const std::string& tag);  // "layout ==> <tag>"

// What a doc string / tag says about the stored order. Accepts both spellings, "(N/16)HWC16" and the older
// "N16HWC16", with or without "layout ==> " and "_UNALIGNED".
struct LayoutInfo {
    bool known = false;      // false for "UNK", empty or unrecognised tags
    int block = 0;           // A; 0 for the plain C-target layouts
    bool unaligned = false;  // "_UNALIGNED" suffix
    bool one_d = false;      // WC / NWC / WCN forms
    bool depthwise_plain = false;  // HWCN / WCN
};
LayoutInfo parse_layout(const std::string& doc_string_or_tag);

}  // namespace espq::espdl
