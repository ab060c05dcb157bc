// The multiply-accumulate engine shared by Conv (regular), Gemm and MatMul: a prepared filter plus the
// requantization of each output channel, following docs/esp-dl-arithmetic.md §6.1/§6.3 and the target policy.
//
// int8 on ESP32-S3: output channels 0..N0-1 (N0 = 16*floor(N/16), or every channel when the op has no ACCX
// tail) accumulate in 20-bit QACC lanes that saturate after every MAC, in (ky, kx, c) order, starting from the
// bias' low 20 bits; the tail channels accumulate exactly (40-bit ACCX) from the full bias. Other targets
// accumulate exactly (C: int32 with wrap-around). Then y = sat(round_shift(acc, s)), then ReLU.
//
// Fast path: the product sums are computed with pairwise int16 multiply-adds into int32 (any order is exact
// while nothing saturates). For saturating lanes the engine proves, block by block of 16 taps, that no prefix
// of the chip's sequential sum can leave the 20-bit range: before block j it checks
// |S_j| + 128 * sum_{k in block j} |w_kn| <= 2^19 - 1 (S_j = exact prefix sum so far, bias included). Any
// (position, channel) tile that cannot be proven safe is recomputed with the sequential saturating loop, so
// the result is always the chip's.
#pragma once

#include <cstdint>
#include <vector>

#include "espq/target.hpp"

namespace espq::emu {

struct MacRequant {
    std::vector<int> shift;  // per output channel: s = e_out - e_w[n] - e_in (>= 0)
    bool relu = false;
    Rounding rounding = Rounding::HalfUp;
};

// y[c] = ReLU?(sat_T(round_shift(acc[c], shift[c0 + c]))) for channels c0 .. c0 + n - 1 of one output pixel.
template <typename T>
void requantize_row(const MacRequant& rq, const int64_t* acc, T* y, int64_t n, int64_t c0 = 0);

// The same on int32 sums: v = acc[c] + post[c] (wrapping, as an int32 accumulator does), then rounding,
// saturation and ReLU. Callers use it when acc + post + 2^(shift-1) provably fits in int32.
void requantize_row32(const MacRequant& rq, const int32_t* acc, const int32_t* post, int8_t* y, int64_t n,
                      int64_t c0 = 0);

// int8 x int8 engine. Rows of the input matrix are int16 im2col rows of length k_padded() in (ky, kx, c) order,
// zero padded.
class MacEngineS8 {
public:
    // `w` is the plain filter [N][K] (K in (ky, kx, c) order), `bias` the stored bias values (empty = none).
    // The leading channels that fill whole SIMD lane groups (policy.int8_lane_channels at a time) use the
    // target's lanes; with saturating lanes (S3) they saturate after every MAC.
    MacEngineS8(int n, int k, const std::vector<int8_t>& w, const std::vector<int64_t>& bias,
                const TargetPolicy& policy, MacRequant requant);

    int n() const { return n_; }
    int k() const { return k_; }
    int k_padded() const { return kp_; }
    // Rows are processed in groups of 4: the caller's row buffer must hold round_up(rows, 4) rows.
    static int64_t padded_rows(int64_t rows) { return (rows + 3) / 4 * 4; }

    // x: padded_rows(rows) rows of k_padded() int16 values; y: rows x N int8 outputs with row stride ldy.
    // `acc` scratch must hold padded_rows(rows) * n_padded() int32.
    void run(const int16_t* x, int64_t rows, int8_t* y, int64_t ldy, int32_t* acc) const;
    int n_padded() const { return np_; }

    // The raw accumulators (rows x n_padded(), bias included for lane channels) through the fast path where
    // it is proven safe, or the sequential saturating loop everywhere when force_slow. Returns the number of
    // 4x16 tiles that had to be recomputed sequentially (tests use it to see which path ran).
    int64_t accumulate(const int16_t* x, int64_t rows, int32_t* acc, bool force_slow) const;

private:
    void fast_tile(const int16_t* x, int32_t* acc, int n0, bool& violated) const;
    void slow_tile(const int16_t* x, int rows, int32_t* acc, int n0) const;

    int n_, k_, kp_, np_, nb_;
    std::vector<int16_t> wpair_;    // [kp/2][np][2]
    std::vector<int32_t> init_;     // [np] accumulator start (20-bit bias for lanes, 0 otherwise)
    std::vector<int64_t> post_;     // [np] bias added after accumulation (exact channels)
    std::vector<int32_t> post32_;   // post_ as int32 (used when fits32_)
    bool fits32_ = false;           // every acc + post + rounding half fits in int32 (or wraps on purpose: C)
    std::vector<int32_t> hi_, lo_;  // [np] lane limits (wide for exact channels)
    std::vector<int32_t> dmax_;     // [nb][np] 128 * sum |w| over each 16-tap block (0 for exact channels)
    std::vector<uint8_t> lane_;     // [np] 1 = saturating 20-bit lane
    bool need_checks_ = false;      // some lane channel can saturate in the worst case
    bool wrap32_ = false;           // C target: int32 accumulator wraps
    MacRequant rq_;
};

// int16 x int16 engine: exact 64-bit accumulation. Channels 0..lanes-1 sit in 40-bit lanes on S3/P4, which
// saturate at +-2^39 (modelled by a sequential fallback for channels whose worst case reaches it); on S3 their
// bias is also repacked to its low 40 bits. The N mod 8 tail (ACCX) keeps the full bias. x rows: k int16.
class MacEngineS16 {
public:
    MacEngineS16(int n, int k, const std::vector<int16_t>& w, const std::vector<int64_t>& bias,
                 const TargetPolicy& policy, MacRequant requant);
    int n() const { return n_; }
    int k() const { return k_; }
    // acc scratch: n int64.
    void run(const int16_t* x, int64_t rows, int16_t* y, int64_t ldy, int64_t* acc) const;

private:
    int n_, k_;
    std::vector<int16_t> wt_;     // [k][n]
    std::vector<int64_t> bias_;   // [n] as loaded (lanes: low 40 bits on S3)
    std::vector<uint8_t> seq_;    // [n] 1 = may reach the 40-bit limit: sequential saturating loop
    int acc_bits_ = 64;
    MacRequant rq_;
};

}  // namespace espq::emu
