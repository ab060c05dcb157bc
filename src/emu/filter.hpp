// Conv/Gemm/MatMul parameters as the emulator needs them: the stored (blocked) filter turned into a plain
// [N][KH][KW][C] filter, the bias, and the per-channel requantization shifts (docs/espdl-file-format.md §4.2-§4.3,
// docs/esp-dl-arithmetic.md §4.2, §6.1, §7).
#pragma once

#include <cstdint>
#include <vector>

#include "emu/emu_op.hpp"
#include "espdl/layout.hpp"
#include "emu/mac_engine.hpp"

namespace espq::emu {

// Block size A of the stored filter: 16 (int8) / 8 (int16) for the PIE targets' "(N/A)HWCA" layouts, 0 for the
// plain layouts of C targets (NHWC / HWCN / NWC / WCN). Taken from the "layout ==> ..." doc string when it
// names one, else from the target; a file made for another target is a UserError.
int filter_block_size(const PrepareContext& ctx, const Value& w);

// Stored order -> plain order (regular: out[n][kh][kw][c]; depthwise, c == 1: out[n][kh][kw]), via the
// exporter's storage order of src/espdl/layout.hpp: the blocked part (for b < N/A, kh, kw, c, lane l), then the
// N mod A tail (all of N when A == 0) output-channel-major for a regular filter, channel-minor for depthwise.
template <typename T>
std::vector<T> deblock_filter(const T* stored, int n, int kh, int kw, int c, int block, bool depthwise) {
    const std::vector<int64_t> order = espdl::filter_storage_order(n, kh, kw, c, block, depthwise);
    std::vector<T> out(order.size());
    for (size_t i = 0; i < order.size(); ++i) {
        // order[i] indexes the ONNX filter [n][c][kh][kw].
        int64_t o = order[i];
        const int64_t x = o % kw, y = (o / kw) % kh, ch = (o / (static_cast<int64_t>(kw) * kh)) % c,
                      on = o / (static_cast<int64_t>(kw) * kh * c);
        out[((on * kh + y) * kw + x) * c + ch] = stored[i];
    }
    return out;
}

// Requantization shifts s_n = e_out - e_w[n] - e_in (one per output channel; per-channel weight exponents only
// where the target supports them). Every shift must be >= 0.
std::vector<int> mac_shifts(const PrepareContext& ctx, const Value& w, int n, int e_in, int e_out);

// The optional bias input (index `input`) as n int64 values, or empty.
std::vector<int64_t> read_bias(const PrepareContext& ctx, int input, int n, DType act);

// The fused activation attribute: "Linear" -> false, "Relu" -> true (LeakyRelu runs as Relu on the chip).
bool fused_relu(const PrepareContext& ctx);

// Int8 rows for MacEngineS8 from a plain [rows][k] int8 matrix (widened to int16, padded).
void widen_rows(const int8_t* src, int64_t rows, int k, int16_t* dst, int kp);

// y[rows][N] = engine(x[rows][K]) for a plain matrix (Gemm, MatMul); uses scratch slots 0 and 1.
void run_matrix(const MacEngineS8& e, const int8_t* x, int64_t rows, int8_t* y, KernelScratch& s);
void run_matrix(const MacEngineS16& e, const int16_t* x, int64_t rows, int16_t* y, KernelScratch& s);

}  // namespace espq::emu
