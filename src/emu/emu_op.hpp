// Internal interface of the ESP-DL emulator: the per-operator registry, the prepare context, and the
// arithmetic helpers every kernel shares (docs/esp-dl-arithmetic.md §1, §2).
//
// Each operator lives in src/emu/<op>.cpp and registers a prepare function with ESPQ_REGISTER_EMU_OP. In the
// spirit of TFLite Micro's Prepare/Eval split, prepare runs once per node: it checks attributes, computes the
// output shapes, shifts, de-blocked weights and tables, and returns an EmuKernel. EmuKernel::run is const
// and is called for every sample, possibly from several threads at once (per-thread state lives in the
// KernelScratch it is given). The loops it shares with the float executor (broadcasting, strided copies) are
// in src/exec/.
//
// Targets differ only through TargetPolicy (rounding, bias width, saturating int8 lanes, SIMD kernel
// availability); kernels take the policy at prepare time and never fork their code per target.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "espq/ir.hpp"
#include "espq/kernel.hpp"
#include "espq/node_error.hpp"
#include "espq/target.hpp"
#include "exec/dtype_dispatch.hpp"

// Marks a hot loop function to be compiled twice, for AVX2 and for the baseline, with run-time dispatch
// (GCC on x86-64 with ifunc support); elsewhere a no-op.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define ESPQ_EMU_VECTOR_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define ESPQ_EMU_VECTOR_CLONES
#endif

namespace espq::emu {

// ---------------------------------------------------------------------------------------------------------
// Arithmetic helpers
// ---------------------------------------------------------------------------------------------------------

// Round-half-up shift (ties toward +inf): (a + 2^(k-1)) >> k; k <= 0 is a left shift (caller saturates).
// Shifts beyond 62 behave like 62 (every |a| < 2^61 rounds to 0 either way) so that no shift is undefined.
inline int64_t rhu_shift(int64_t a, int k) {
    if (k > 62) k = 62;
    if (k <= 0) return a * (int64_t(1) << -k);
    return (a + (int64_t(1) << (k - 1))) >> k;
}

// Round-half-to-even shift (P4 SIMD rounding mode and its shift_and_round).
inline int64_t rhe_shift(int64_t a, int k) {
    if (k > 62) k = 62;
    if (k <= 0) return a * (int64_t(1) << -k);
    int64_t q = a >> k;  // floor
    int64_t rem = a - q * (int64_t(1) << k);
    int64_t half = int64_t(1) << (k - 1);
    if (rem > half || (rem == half && (q & 1))) ++q;
    return q;
}

inline int64_t round_shift(int64_t a, int k, Rounding r) {
    return r == Rounding::HalfUp ? rhu_shift(a, k) : rhe_shift(a, k);
}

// dl::tool::round on a float: floor(fl32(v + 0.5f)) on S3/C, round-half-even (fcvt rne) on P4. The result is
// clamped to the int32 range so that saturating it to the output type afterwards is always defined.
inline int32_t fround(float v, Rounding r) {
    float t = (r == Rounding::HalfUp) ? std::floor(v + 0.5f) : std::nearbyint(v);
    if (!(t > -2147483648.0f)) return std::numeric_limits<int32_t>::min();  // also NaN -> min, as (int)NaN
    if (t >= 2147483648.0f) return std::numeric_limits<int32_t>::max();
    return static_cast<int32_t>(t);
}

template <typename T>
inline T saturate(int64_t v) {
    constexpr int64_t lo = std::numeric_limits<T>::min(), hi = std::numeric_limits<T>::max();
    return static_cast<T>(v < lo ? lo : (v > hi ? hi : v));
}

inline int64_t saturate_bits(int64_t v, int bits) {
    const int64_t hi = (int64_t(1) << (bits - 1)) - 1, lo = -(int64_t(1) << (bits - 1));
    return v < lo ? lo : (v > hi ? hi : v);
}

// Keeps the low `bits` bits of v and sign-extends them (a bias loaded into a QACC lane / 40-bit word).
inline int64_t wrap_bits(int64_t v, int bits) {
    if (bits >= 64) return v;
    const uint64_t mask = (uint64_t(1) << bits) - 1;
    uint64_t u = static_cast<uint64_t>(v) & mask;
    if (u >> (bits - 1)) u |= ~mask;
    return static_cast<int64_t>(u);
}

// 2^e as a float (DL_SCALE / DL_RESCALE): exact for every exponent a float can represent.
inline float pow2f(int e) { return std::ldexp(1.0f, e); }

// quantize<T>(x, inv_scale) = clip_T(fround(x * inv_scale)) (docs/esp-dl-arithmetic.md §2.3).
template <typename T>
inline T quantize_float(float x, float inv_scale, Rounding r) {
    return saturate<T>(fround(x * inv_scale, r));
}

// ---------------------------------------------------------------------------------------------------------
// Kernel interface
// ---------------------------------------------------------------------------------------------------------

// An emulated operator's prepared kernel (espq/kernel.hpp, shared with the float executor).
using EmuKernel = Kernel;

// What prepare sees: the node, the graph, the target policy, and the run-time shapes of every value computed so
// far (the .espdl ValueInfo shapes of inserted Transposes are sometimes stale, so shapes are recomputed).
class PrepareContext {
public:
    PrepareContext(const Graph& graph, const Node& node, const TargetPolicy& policy, std::vector<Shape>& shapes)
        : graph_(graph), node_(node), policy_(policy), shapes_(shapes) {}

    const Graph& graph() const { return graph_; }
    const Node& node() const { return node_; }
    const TargetPolicy& policy() const { return policy_; }
    Rounding rounding() const { return policy_.rounding; }

    int num_inputs() const { return node_.num_inputs(); }
    int num_outputs() const { return static_cast<int>(node_.outputs.size()); }
    bool has_input(int i) const { return node_.input(i) >= 0; }
    const Value& in_value(int i) const;   // error if omitted
    const Value& out_value(int i) const;
    const Shape& in_shape(int i) const;
    DType in_dtype(int i) const { return in_value(i).dtype; }
    DType out_dtype(int i) const { return out_value(i).dtype; }
    int in_exponent(int i) const;   // the per-tensor exponent (error if missing or per-channel)
    int out_exponent(int i) const;
    const Tensor* constant(int i) const;  // nullptr when input i is not a constant
    const Tensor& require_constant(int i, const std::string& what) const;
    void set_out_shape(int i, Shape shape);

    // Named tensor held as a graph constant (LUT tables are referenced by name from the `lut` attribute).
    const Value* find_constant(const std::string& name) const;

    // UserError "node 'X' (Op): <what>".
    [[noreturn]] void error(const std::string& what) const;
    // UnsupportedError "node 'X' (Op): not emulated yet for <target>: <what>".
    [[noreturn]] void unsupported(const std::string& what) const;
    void check(bool ok, const std::string& what) const {
        if (!ok) error(what);
    }
    // Requires input i / output i to have one of the given dtypes.
    void require_dtype(DType got, std::initializer_list<DType> allowed, const std::string& which) const;

private:
    int exponent_of(const Value& v, const std::string& which) const;
    const Graph& graph_;
    const Node& node_;
    const TargetPolicy& policy_;
    std::vector<Shape>& shapes_;
};

using EmuPrepareFn = std::unique_ptr<EmuKernel> (*)(PrepareContext&);

bool register_emu_op(const char* op_type, EmuPrepareFn fn);
EmuPrepareFn find_emu_op(const std::string& op_type);
std::vector<std::string> emu_op_types();  // sorted

#define ESPQ_EMU_CONCAT_INNER(a, b) a##b
#define ESPQ_EMU_CONCAT(a, b) ESPQ_EMU_CONCAT_INNER(a, b)
#define ESPQ_REGISTER_EMU_OP(op_type, fn) \
    static const bool ESPQ_EMU_CONCAT(espq_emu_op_registered_, __LINE__) = ::espq::emu::register_emu_op(op_type, fn)

// Returns f(T{}) with T the C++ type of an activation dtype (int8, int16 or float).
template <typename F>
decltype(auto) dispatch_activation(DType t, F&& f) {
    return exec::dispatch_dtype<DType::Int8, DType::Int16, DType::Float32>(t, std::forward<F>(f));
}

// Normalises an axis in [-rank, rank) to [0, rank); error otherwise.
int normalize_axis(const PrepareContext& ctx, int64_t axis, int rank, const char* what = "axis");

// ---------------------------------------------------------------------------------------------------------
// Element-wise broadcasting (Add, Sub, Mul, PRelu, ...)
// ---------------------------------------------------------------------------------------------------------

// ESP-DL's element-wise argument merge (get_elemwise_operation_args): both inputs are right-aligned to the
// output rank, then adjacent dimensions with the same broadcast pattern are merged. The chip runs at most 4
// merged dimensions; its innermost output extent `output_d0` selects SIMD vs C kernels (docs/esp-dl-arithmetic.md §5).
struct ElemwiseMerge {
    int dims = 0;            // merged rank (<= 4 is what the chip supports)
    int64_t output_d0 = 0;   // innermost merged output extent
    int64_t input0_d0 = 0;   // innermost merged extent of each input (1 = broadcast scalar per row)
    int64_t input1_d0 = 0;
};
ElemwiseMerge merge_elemwise_shapes(const Shape& out, const Shape& a, const Shape& b);

// Multidirectional (ONNX/numpy) broadcast shape; error through ctx if incompatible.
Shape broadcast_shape(const PrepareContext& ctx, const Shape& a, const Shape& b);

// Output shape of a broadcasting element-wise op (Add, Sub, Mul): errors when the shapes do not broadcast or
// need more than the 4 merged dimensions ESP-DL's element-wise kernels support.
ElemwiseMerge elementwise_shape(PrepareContext& ctx, Shape& out);

}  // namespace espq::emu
