// Multiply-accumulate engine for Conv/Gemm/MatMul (see mac_engine.hpp for the arithmetic and the proof that
// the fast path equals the chip's sequential saturating sum).
#include "emu/mac_engine.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "emu/emu_op.hpp"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define ESPQ_EMU_X86 1
#include <immintrin.h>
#endif

namespace espq::emu {

namespace {
// Channels that fill whole lane groups of `lane_channels` (the rest is the kernels' tail); 0 without SIMD.
int lane_group_channels(int n, int lane_channels) { return lane_channels > 0 ? n / lane_channels * lane_channels : 0; }
}  // namespace

namespace {

constexpr int kBlock = 16;        // taps per safety-check block
constexpr int kRowTile = 4;       // positions per micro-tile
constexpr int kColTile = 16;      // output channels per micro-tile
constexpr int32_t kLaneHi = (1 << 19) - 1;
constexpr int32_t kLaneLo = -(1 << 19);
constexpr int32_t kWideHi = 1 << 30;  // "never saturates" limits for exact channels (|sum| < 2^30 for K < 65536)
constexpr int32_t kWideLo = -(1 << 30);

struct TileArgs {
    const int16_t* x;       // kRowTile rows, stride ldx
    int64_t ldx;
    const int16_t* w;       // pair layout [kp/2][np][2]
    int np, n0, nb;
    const int32_t* init;    // + n0
    const int32_t* dmax;    // [nb][np]
    const int32_t* hi;
    const int32_t* lo;
    bool check;
    int32_t* acc;           // kRowTile rows, stride np
};

// Portable micro-kernel: the same arithmetic as the AVX2 one.
bool tile_generic(const TileArgs& a) {
    int32_t acc[kRowTile][kColTile];
    for (int r = 0; r < kRowTile; ++r)
        for (int c = 0; c < kColTile; ++c) acc[r][c] = a.init[a.n0 + c];
    bool violated = false;
    for (int j = 0; j < a.nb; ++j) {
        if (a.check) {
            const int32_t* d = a.dmax + static_cast<int64_t>(j) * a.np + a.n0;
            for (int r = 0; r < kRowTile; ++r)
                for (int c = 0; c < kColTile; ++c) {
                    int32_t v = acc[r][c];
                    violated |= (v + d[c] > a.hi[a.n0 + c]) | (v - d[c] < a.lo[a.n0 + c]);
                }
        }
        for (int q = j * (kBlock / 2); q < (j + 1) * (kBlock / 2); ++q) {
            const int16_t* wq = a.w + (static_cast<int64_t>(q) * a.np + a.n0) * 2;
            for (int r = 0; r < kRowTile; ++r) {
                const int32_t x0 = a.x[r * a.ldx + 2 * q], x1 = a.x[r * a.ldx + 2 * q + 1];
                for (int c = 0; c < kColTile; ++c) acc[r][c] += x0 * wq[2 * c] + x1 * wq[2 * c + 1];
            }
        }
    }
    for (int r = 0; r < kRowTile; ++r) std::memcpy(a.acc + r * a.np, acc[r], sizeof(acc[r]));
    return violated;
}

#ifdef ESPQ_EMU_X86
__attribute__((target("avx2"))) bool tile_avx2(const TileArgs& a) {
    __m256i acc[kRowTile][2];
    const __m256i init0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.init + a.n0));
    const __m256i init1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.init + a.n0 + 8));
    for (int r = 0; r < kRowTile; ++r) {
        acc[r][0] = init0;
        acc[r][1] = init1;
    }
    __m256i viol = _mm256_setzero_si256();
    const __m256i hi0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.hi + a.n0));
    const __m256i hi1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.hi + a.n0 + 8));
    const __m256i lo0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.lo + a.n0));
    const __m256i lo1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.lo + a.n0 + 8));
    for (int j = 0; j < a.nb; ++j) {
        if (a.check) {
            const int32_t* d = a.dmax + static_cast<int64_t>(j) * a.np + a.n0;
            const __m256i d0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(d));
            const __m256i d1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(d + 8));
            for (int r = 0; r < kRowTile; ++r) {
                viol = _mm256_or_si256(viol, _mm256_cmpgt_epi32(_mm256_add_epi32(acc[r][0], d0), hi0));
                viol = _mm256_or_si256(viol, _mm256_cmpgt_epi32(lo0, _mm256_sub_epi32(acc[r][0], d0)));
                viol = _mm256_or_si256(viol, _mm256_cmpgt_epi32(_mm256_add_epi32(acc[r][1], d1), hi1));
                viol = _mm256_or_si256(viol, _mm256_cmpgt_epi32(lo1, _mm256_sub_epi32(acc[r][1], d1)));
            }
        }
        for (int q = j * (kBlock / 2); q < (j + 1) * (kBlock / 2); ++q) {
            const int16_t* wq = a.w + (static_cast<int64_t>(q) * a.np + a.n0) * 2;
            const __m256i w0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wq));
            const __m256i w1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wq + 16));
            for (int r = 0; r < kRowTile; ++r) {
                int32_t pair;
                std::memcpy(&pair, a.x + r * a.ldx + 2 * q, sizeof(pair));
                const __m256i xp = _mm256_set1_epi32(pair);
                acc[r][0] = _mm256_add_epi32(acc[r][0], _mm256_madd_epi16(xp, w0));
                acc[r][1] = _mm256_add_epi32(acc[r][1], _mm256_madd_epi16(xp, w1));
            }
        }
    }
    for (int r = 0; r < kRowTile; ++r) {
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(a.acc + r * a.np), acc[r][0]);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(a.acc + r * a.np + 8), acc[r][1]);
    }
    return !_mm256_testz_si256(viol, viol);
}

bool cpu_has_avx2() {
    static const bool has = [] {
        if (std::getenv("ESPQ_EMU_NO_SIMD")) return false;
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") != 0;
    }();
    return has;
}
#endif

// acc[c] += x * w[c] with exact int32 products (|x * w| <= 2^30) widened to int64.
ESPQ_EMU_VECTOR_CLONES void axpy_s16(int64_t* acc, int32_t x, const int16_t* w, int n) {
    for (int c = 0; c < n; ++c) acc[c] += static_cast<int64_t>(x * static_cast<int32_t>(w[c]));
}

bool run_tile(const TileArgs& a) {
#ifdef ESPQ_EMU_X86
    if (cpu_has_avx2()) return tile_avx2(a);
#endif
    return tile_generic(a);
}

}  // namespace

template <typename T>
void requantize_row(const MacRequant& rq, const int64_t* acc, T* y, int64_t n, int64_t c0) {
    constexpr int64_t lo = std::numeric_limits<T>::min(), hi = std::numeric_limits<T>::max();
    const int64_t floor_value = rq.relu ? 0 : lo;
    const int* shift = rq.shift.data() + c0;
    if (rq.rounding == Rounding::HalfUp) {
        for (int64_t c = 0; c < n; ++c) {
            const int s = shift[c];
            int64_t v = s > 0 ? (acc[c] + (int64_t(1) << (s - 1))) >> s : acc[c];
            v = v < floor_value ? floor_value : (v > hi ? hi : v);
            y[c] = static_cast<T>(v);
        }
    } else {
        for (int64_t c = 0; c < n; ++c) {
            int64_t v = rhe_shift(acc[c], shift[c]);
            v = v < floor_value ? floor_value : (v > hi ? hi : v);
            y[c] = static_cast<T>(v);
        }
    }
}
template void requantize_row<int8_t>(const MacRequant&, const int64_t*, int8_t*, int64_t, int64_t);
template void requantize_row<int16_t>(const MacRequant&, const int64_t*, int16_t*, int64_t, int64_t);

namespace {
ESPQ_EMU_VECTOR_CLONES void requant32_half_up(const int32_t* acc, const int32_t* post, const int* shift, int32_t lo,
                                             int8_t* y, int64_t n) {
    for (int64_t c = 0; c < n; ++c) {
        const int32_t s = shift[c];
        int32_t v = static_cast<int32_t>(static_cast<uint32_t>(acc[c]) + static_cast<uint32_t>(post[c]));
        v = (v + ((1 << s) >> 1)) >> s;
        v = v < lo ? lo : (v > 127 ? 127 : v);
        y[c] = static_cast<int8_t>(v);
    }
}
ESPQ_EMU_VECTOR_CLONES void requant32_half_even(const int32_t* acc, const int32_t* post, const int* shift, int32_t lo,
                                               int8_t* y, int64_t n) {
    for (int64_t c = 0; c < n; ++c) {
        const int32_t s = shift[c];
        const int32_t v = static_cast<int32_t>(static_cast<uint32_t>(acc[c]) + static_cast<uint32_t>(post[c]));
        int32_t q = v >> s;
        const int32_t rem = v - static_cast<int32_t>(static_cast<uint32_t>(q) << s), half = (1 << s) >> 1;
        q += (s > 0) & ((rem > half) | ((rem == half) & q));
        q = q < lo ? lo : (q > 127 ? 127 : q);
        y[c] = static_cast<int8_t>(q);
    }
}
}  // namespace

void requantize_row32(const MacRequant& rq, const int32_t* acc, const int32_t* post, int8_t* y, int64_t n, int64_t c0) {
    const int32_t lo = rq.relu ? 0 : -128;
    if (rq.rounding == Rounding::HalfUp) requant32_half_up(acc, post, rq.shift.data() + c0, lo, y, n);
    else requant32_half_even(acc, post, rq.shift.data() + c0, lo, y, n);
}

// ---------------------------------------------------------------------------------------------------------

MacEngineS8::MacEngineS8(int n, int k, const std::vector<int8_t>& w, const std::vector<int64_t>& bias,
                         const TargetPolicy& policy, MacRequant requant)
    : n_(n), k_(k), rq_(std::move(requant)) {
    invariant(static_cast<int64_t>(w.size()) == static_cast<int64_t>(n) * k, "MacEngineS8: filter size");
    invariant(bias.empty() || static_cast<int>(bias.size()) == n, "MacEngineS8: bias size");
    invariant(static_cast<int>(rq_.shift.size()) == n, "MacEngineS8: shift count");
    kp_ = std::max(kBlock, (k + kBlock - 1) / kBlock * kBlock);
    np_ = (n + kColTile - 1) / kColTile * kColTile;
    nb_ = kp_ / kBlock;
    wrap32_ = policy.int8_accumulator_wraps;
    const int lanes = lane_group_channels(n, policy.int8_lane_channels);
    wpair_.assign(static_cast<size_t>(kp_) * np_, 0);
    for (int c = 0; c < n; ++c)
        for (int t = 0; t < k; ++t)
            wpair_[(static_cast<size_t>(t / 2) * np_ + c) * 2 + t % 2] = w[static_cast<size_t>(c) * k + t];
    init_.assign(np_, 0);
    post_.assign(np_, 0);
    hi_.assign(np_, kWideHi);
    lo_.assign(np_, kWideLo);
    lane_.assign(np_, 0);
    dmax_.assign(static_cast<size_t>(nb_) * np_, 0);
    const bool saturating = policy.int8_accumulator_saturates;
    for (int c = 0; c < n; ++c) {
        const int64_t b = bias.empty() ? 0 : bias[c];
        if (saturating && c < lanes) {
            lane_[c] = 1;
            init_[c] = static_cast<int32_t>(policy.bias_repacked_into_lanes ? wrap_bits(b, policy.int8_accumulator_bits) : b);
            hi_[c] = kLaneHi;
            lo_[c] = kLaneLo;
            int64_t worst = std::abs(static_cast<int64_t>(init_[c]));
            for (int j = 0; j < nb_; ++j) {
                int64_t s = 0;
                for (int t = j * kBlock; t < std::min(k, (j + 1) * kBlock); ++t)
                    s += std::abs(static_cast<int>(w[static_cast<size_t>(c) * k + t]));
                dmax_[static_cast<size_t>(j) * np_ + c] = static_cast<int32_t>(128 * s);
                worst += 128 * s;
            }
            if (worst > kLaneHi) need_checks_ = true;
        } else {
            // Exact accumulation; the bias joins at the end (32-bit on P4/C, the full value in the S3 ACCX tail).
            post_[c] = wrap_bits(b, 32);
        }
    }
    // int32 requantization is exact when no sum can leave int32: lanes stay within 20 bits, exact channels within
    // |bias| + 2^14 * K + 2^(shift-1) (then the wrap of a C target's int32 accumulator never triggers either).
    fits32_ = true;
    for (int c = 0; c < n; ++c) {
        const int64_t bound = std::abs(post_[c]) + (int64_t(1) << 20) + int64_t(16384) * k +
                              (rq_.shift[c] > 0 ? int64_t(1) << (rq_.shift[c] - 1) : 0);
        if (bound >= (int64_t(1) << 31)) fits32_ = false;
        if (rq_.shift[c] > 30) fits32_ = false;
    }
    post32_.assign(np_, 0);
    for (int c = 0; c < n; ++c) post32_[c] = static_cast<int32_t>(post_[c]);
}

void MacEngineS8::fast_tile(const int16_t* x, int32_t* acc, int n0, bool& violated) const {
    TileArgs a{x, kp_, wpair_.data(), np_, n0, nb_, init_.data(), dmax_.data(), hi_.data(), lo_.data(),
               need_checks_, acc + n0};
    violated = run_tile(a);
}

void MacEngineS8::slow_tile(const int16_t* x, int rows, int32_t* acc, int n0) const {
    // The chip's order: one tap after the other, the lane saturating after every MAC.
    for (int r = 0; r < rows; ++r) {
        const int16_t* xr = x + static_cast<int64_t>(r) * kp_;
        for (int c = n0; c < std::min(n_, n0 + kColTile); ++c) {
            int64_t a = init_[c];
            if (lane_[c]) {
                for (int t = 0; t < k_; ++t) {
                    a += static_cast<int64_t>(xr[t]) * wpair_[(static_cast<size_t>(t / 2) * np_ + c) * 2 + t % 2];
                    a = a < kLaneLo ? kLaneLo : (a > kLaneHi ? kLaneHi : a);
                }
            } else {
                for (int t = 0; t < k_; ++t)
                    a += static_cast<int64_t>(xr[t]) * wpair_[(static_cast<size_t>(t / 2) * np_ + c) * 2 + t % 2];
            }
            acc[static_cast<int64_t>(r) * np_ + c] = static_cast<int32_t>(a);
        }
    }
}

int64_t MacEngineS8::accumulate(const int16_t* x, int64_t rows, int32_t* acc, bool force_slow) const {
    int64_t fallbacks = 0;
    for (int64_t r0 = 0; r0 < rows; r0 += kRowTile) {
        const int16_t* xt = x + r0 * kp_;
        int32_t* at = acc + r0 * np_;
        const int tile_rows = static_cast<int>(std::min<int64_t>(kRowTile, rows - r0));
        for (int n0 = 0; n0 < n_; n0 += kColTile) {
            bool violated = true;
            if (!force_slow) fast_tile(xt, at, n0, violated);
            if (violated) {
                slow_tile(xt, tile_rows, at, n0);
                ++fallbacks;
            }
        }
    }
    return fallbacks;
}

void MacEngineS8::run(const int16_t* x, int64_t rows, int8_t* y, int64_t ldy, int32_t* acc) const {
    accumulate(x, rows, acc, false);
    if (fits32_) {
        for (int64_t r = 0; r < rows; ++r) requantize_row32(rq_, acc + r * np_, post32_.data(), y + r * ldy, n_);
        return;
    }
    int64_t total[kColTile * 64];
    for (int64_t r = 0; r < rows; ++r) {
        const int32_t* ar = acc + r * np_;
        for (int c0 = 0; c0 < n_; c0 += kColTile * 64) {
            const int cn = std::min(n_ - c0, kColTile * 64);
            for (int c = 0; c < cn; ++c) {
                int64_t t = static_cast<int64_t>(ar[c0 + c]) + post_[c0 + c];
                if (wrap32_) t = static_cast<int32_t>(static_cast<uint32_t>(t));
                total[c] = t;
            }
            requantize_row(rq_, total, y + r * ldy + c0, cn, c0);
        }
    }
}

// ---------------------------------------------------------------------------------------------------------

MacEngineS16::MacEngineS16(int n, int k, const std::vector<int16_t>& w, const std::vector<int64_t>& bias,
                           const TargetPolicy& policy, MacRequant requant)
    : n_(n), k_(k), rq_(std::move(requant)) {
    invariant(static_cast<int64_t>(w.size()) == static_cast<int64_t>(n) * k, "MacEngineS16: filter size");
    invariant(bias.empty() || static_cast<int>(bias.size()) == n, "MacEngineS16: bias size");
    acc_bits_ = policy.int16_accumulator_bits;
    const int lanes = lane_group_channels(n, policy.int16_lane_channels);
    wt_.assign(static_cast<size_t>(k) * n, 0);
    for (int c = 0; c < n; ++c)
        for (int t = 0; t < k; ++t) wt_[static_cast<size_t>(t) * n + c] = w[static_cast<size_t>(c) * k + t];
    bias_.assign(n, 0);
    seq_.assign(n, 0);
    for (int c = 0; c < n; ++c) {
        const bool lane = c < lanes && acc_bits_ < 64;
        const bool repacked = lane && policy.bias_repacked_into_lanes;
        bias_[c] = bias.empty() ? 0 : (repacked ? wrap_bits(bias[c], acc_bits_) : bias[c]);
        if (lane) {
            // Worst case of any prefix: |bias| + 32768 * sum |w|; only then can a 40-bit lane saturate.
            long double worst = std::abs(static_cast<long double>(bias_[c]));
            for (int t = 0; t < k; ++t) worst += 32768.0L * std::abs(static_cast<int>(w[static_cast<size_t>(c) * k + t]));
            if (worst >= static_cast<long double>(int64_t(1) << (acc_bits_ - 1)) - 1) seq_[c] = 1;
        }
    }
}

void MacEngineS16::run(const int16_t* x, int64_t rows, int16_t* y, int64_t ldy, int64_t* acc) const {
    for (int64_t r = 0; r < rows; ++r) {
        const int16_t* xr = x + r * k_;
        for (int c = 0; c < n_; ++c) acc[c] = bias_[c];
        for (int t = 0; t < k_; ++t) {
            const int32_t xv = xr[t];
            if (xv == 0) continue;
            axpy_s16(acc, xv, wt_.data() + static_cast<size_t>(t) * n_, n_);
        }
        for (int c = 0; c < n_; ++c) {
            if (seq_[c]) {  // rare: redo this channel with per-MAC saturation of the 40-bit lane
                int64_t a = bias_[c];
                for (int t = 0; t < k_; ++t)
                    a = saturate_bits(a + static_cast<int64_t>(xr[t]) * wt_[static_cast<size_t>(t) * n_ + c],
                                      acc_bits_);
                acc[c] = a;
            }
        }
        requantize_row(rq_, acc, y + r * ldy, n_);
    }
}

}  // namespace espq::emu
