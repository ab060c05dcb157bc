// MatMul of two activations (docs/esp-dl-arithmetic.md §6.18): the emulator against a naive integer reference
// written from that account, on every target at int8 and int16; then the lowering's run-time blocking of the
// second input (Reshape/Transpose/Slice/Concat in front of the MatMul), through the whole pipeline.
#include <fstream>

#include "emu_harness.hpp"
#include "espq/onnx_import.hpp"
#include "espq/op_probes.hpp"
#include "espq/pipeline.hpp"
#include "espq/target.hpp"
#include "support.hpp"

namespace espq::test {
namespace {

struct Operand {
    Shape shape;
    std::vector<int64_t> v;  // plain row-major values
};

// acc / 2^s rounded with the target's tie rule (§2.1): floor, then up past the half, and at the half up
// (HalfUp) or to the even neighbour (HalfEven).
int64_t naive_round_shift(int64_t acc, int s, Rounding r) {
    if (s == 0) return acc;
    int64_t q = acc >> s;  // floor
    const int64_t rem = acc - q * (int64_t(1) << s), half = int64_t(1) << (s - 1);
    if (rem > half || (rem == half && (r == Rounding::HalfUp || (q & 1)))) ++q;
    return q;
}

// §6.18 read literally: batch dimensions broadcast NumPy-style; each output element sums a[m][c] * b[c][n] in c
// order; where int8 lanes saturate (S3's 20-bit QACC), the channels of full lane groups (n < A*floor(N/A))
// clamp to the accumulator range after every product, the rest (ACCX) are exact; then round by 2^shift,
// saturate to the output width, ReLU.
std::vector<int64_t> naive_matmul(const Operand& a, const Operand& b, int shift, bool relu, int bits,
                                  const TargetPolicy& p, Shape* out_shape) {
    const size_t rank = std::max(a.shape.size(), b.shape.size());
    Shape ab(rank - 2, 1), bb(rank - 2, 1), batch(rank - 2);
    std::copy(a.shape.begin(), a.shape.end() - 2, ab.end() - (a.shape.size() - 2));
    std::copy(b.shape.begin(), b.shape.end() - 2, bb.end() - (b.shape.size() - 2));
    for (size_t d = 0; d < rank - 2; ++d) batch[d] = std::max(ab[d], bb[d]);
    const int64_t m = a.shape[a.shape.size() - 2], c = a.shape.back(), n = b.shape.back();
    *out_shape = batch;
    out_shape->push_back(m);
    out_shape->push_back(n);
    const int lanes = p.lane_channels(bits == 16 ? DType::Int16 : DType::Int8);
    const bool saturating = bits == 8 && p.int8_accumulator_saturates;
    const int64_t lane_hi = (int64_t(1) << (p.int8_accumulator_bits - 1)) - 1, lane_lo = -lane_hi - 1;
    const int64_t lo = bits == 16 ? -32768 : -128, hi = bits == 16 ? 32767 : 127;
    std::vector<int64_t> y;
    const int64_t nbatch = shape_numel(batch);
    for (int64_t i = 0; i < nbatch; ++i) {
        int64_t ia = 0, ib = 0, rem = i;
        std::vector<int64_t> coord(rank - 2);
        for (size_t d = rank - 2; d-- > 0;) {
            coord[d] = rem % batch[d];
            rem /= batch[d];
        }
        for (size_t d = 0; d < rank - 2; ++d) {
            ia = ia * ab[d] + (ab[d] == 1 ? 0 : coord[d]);
            ib = ib * bb[d] + (bb[d] == 1 ? 0 : coord[d]);
        }
        for (int64_t r = 0; r < m; ++r)
            for (int64_t col = 0; col < n; ++col) {
                const bool in_lane = saturating && lanes > 0 && col < n / lanes * lanes;
                int64_t acc = 0;
                for (int64_t k = 0; k < c; ++k) {
                    acc += a.v[(ia * m + r) * c + k] * b.v[(ib * c + k) * n + col];
                    if (in_lane) acc = ref_sat(acc, lane_lo, lane_hi);
                }
                int64_t q = ref_sat(naive_round_shift(acc, shift, p.rounding), lo, hi);
                y.push_back(relu ? std::max<int64_t>(q, 0) : q);
            }
    }
    return y;
}

// b stored as the kernel reads it: each [C][N] slice as a filter W[n][c], blocked by the target's lane count
// (the exporter's order, docs/espdl-file-format.md §4.2; plain [N][C] on C targets).
std::vector<int64_t> stored_filter(const Operand& b, int lanes) {
    if (b.shape.size() == 1) return b.v;  // one output channel: [1][C] in every layout
    const int64_t c = b.shape[b.shape.size() - 2], n = b.shape.back();
    std::vector<int64_t> out;
    for (int64_t s = 0; s < static_cast<int64_t>(b.v.size()) / (c * n); ++s) {
        std::vector<int64_t> w(static_cast<size_t>(c * n));
        for (int64_t k = 0; k < c; ++k)
            for (int64_t j = 0; j < n; ++j) w[j * c + k] = b.v[(s * c + k) * n + j];
        const auto blocked = block_filter(w, static_cast<int>(n), 1, 1, static_cast<int>(c), lanes, false);
        out.insert(out.end(), blocked.begin(), blocked.end());
    }
    return out;
}

Tensor int_tensor(const Shape& shape, const std::vector<int64_t>& v, int bits) {
    Tensor t(bits == 16 ? DType::Int16 : DType::Int8, shape);
    for (size_t i = 0; i < v.size(); ++i) {
        if (bits == 16) t.data<int16_t>()[i] = static_cast<int16_t>(v[i]);
        else t.data<int8_t>()[i] = static_cast<int8_t>(v[i]);
    }
    return t;
}

std::vector<int64_t> int_values(const Tensor& t) {
    std::vector<int64_t> v(static_cast<size_t>(t.numel()));
    for (size_t i = 0; i < v.size(); ++i)
        v[i] = t.dtype() == DType::Int16 ? t.data<int16_t>()[i] : t.data<int8_t>()[i];
    return v;
}

// The emulator's MatMul on a (plain) and b (stored as the kernel reads it), both graph inputs.
std::vector<int64_t> emulate(const Operand& a, const Operand& b, int ea, int eb, int ey, bool relu, int bits,
                             Target t) {
    const DType dt = bits == 16 ? DType::Int16 : DType::Int8;
    EmuGraph eg;
    const int ia = eg.input("a", dt, a.shape, ea), ib = eg.input("b", dt, b.shape, eb);
    const int out = eg.value("y", dt, ey);
    eg.node("MatMul", {ia, ib}, {out}, {{"activation", std::string(relu ? "Relu" : "Linear")}});
    eg.g.nodes.back().attrs["quant_type"] = std::string(bits == 16 ? "S16" : "S8");
    eg.output(out);
    const int lanes = target_policy(t).lane_channels(dt);
    return int_values(eg.run({int_tensor(a.shape, a.v, bits), int_tensor(b.shape, stored_filter(b, lanes), bits)}, t)
                          .at(0));
}

Operand random_operand(const Shape& shape, int bits, uint32_t seed) {
    const int hi = bits == 16 ? 32767 : 127;
    return {shape, random_values<int64_t>(static_cast<size_t>(shape_numel(shape)), -hi - 1, hi, seed)};
}

const Target kTargets[] = {Target::ESP32S3, Target::ESP32P4, Target::C};

TEST(EmuMatMul, TwoActivationsMatchTheNaiveReferenceOnEveryTarget) {
    struct Case {
        Shape a, b;
        bool relu;
    };
    const Case cases[] = {
        {{1, 8, 40, 8}, {1, 8, 8, 40}, false},  // attention Q x K^T, N = 40: two lane groups and a tail of 8
        {{2, 1, 5, 3}, {1, 4, 3, 6}, false},    // both batch dimensions broadcast, N below one lane group
        {{3, 4, 20}, {1, 20, 24}, true},        // 3-D, second batch broadcast, fused Relu
        {{4, 33}, {33, 17}, false},             // 2-D, C and N off the lane multiples
        {{1, 2, 6, 24}, {2, 24, 16}, false},    // 4-D x 3-D
    };
    int checked = 0;
    for (Target t : kTargets)
        for (int bits : {8, 16})
            for (const Case& cs : cases) {
                SCOPED_TRACE(std::string(target_name(t)) + " int" + std::to_string(bits) + " " + shape_str(cs.a) +
                             " x " + shape_str(cs.b));
                const Operand a = random_operand(cs.a, bits, 7 + checked), b = random_operand(cs.b, bits, 91 + checked);
                // Shift 9 (int8) / 17 (int16) keeps most outputs unsaturated; odd sums give ties both ways.
                const int ea = -5, eb = -6, ey = bits == 16 ? 6 : -2;
                Shape ys;
                const auto want = naive_matmul(a, b, ey - ea - eb, cs.relu, bits, target_policy(t), &ys);
                EXPECT_EQ(emulate(a, b, ea, eb, ey, cs.relu, bits, t), want);
                ++checked;
            }
    EXPECT_EQ(checked, 30);
}

TEST(EmuMatMul, AVectorIsOneRowOrOneOutputChannel) {
    // ONNX drops the vector's dimension from the output; the products are those of [1, C] or [C, 1] (§6.18).
    const std::pair<Shape, Shape> shapes[] = {{{2, 3, 5}, {5}}, {{5}, {2, 5, 4}}, {{7}, {7, 3}}};
    int seed = 0;
    for (Target t : kTargets)
        for (const auto& [as, bs] : shapes) {
            SCOPED_TRACE(std::string(target_name(t)) + " " + shape_str(as) + " x " + shape_str(bs));
            const Operand a = random_operand(as, 8, 500 + seed), b = random_operand(bs, 8, 600 + seed++);
            const Shape a2 = as.size() == 1 ? Shape{1, as[0]} : as, b2 = bs.size() == 1 ? Shape{bs[0], 1} : bs;
            Shape ys;
            const auto want = naive_matmul({a2, a.v}, {b2, b.v}, 6, false, 8, target_policy(t), &ys);
            EXPECT_EQ(emulate(a, b, -4, -4, -2, false, 8, t), want);
        }
}

TEST(EmuMatMul, Int8LanesSaturateAfterEveryProductOnlyWhereTheTargetSaysSo) {
    // a = 127 everywhere; b's column n is +127 for the first 40 rows and -127 for the next 40: the exact sum is
    // 0, but a 20-bit lane reaches 2^19 - 1 after 33 products and comes back to 2^19 - 1 - 40 * 16129 = -120873.
    const int64_t c = 80, n = 20;  // one lane group of 16, a tail of 4 in the exact ACCX
    Operand a{{1, c}, std::vector<int64_t>(c, 127)};
    Operand b{{c, n}, {}};
    for (int64_t k = 0; k < c; ++k)
        for (int64_t j = 0; j < n; ++j) b.v.push_back(k < 40 ? 127 : -127);
    for (Target t : kTargets) {
        SCOPED_TRACE(target_name(t));
        Shape ys;
        const auto want = naive_matmul(a, b, 10, false, 8, target_policy(t), &ys);
        const auto got = emulate(a, b, 0, 0, 10, false, 8, t);
        EXPECT_EQ(got, want);
        const int64_t lane_value = target_policy(t).int8_accumulator_saturates ? -118 : 0;  // -120873 / 1024
        EXPECT_EQ(got[0], lane_value);
        EXPECT_EQ(got[15], lane_value);
        EXPECT_EQ(got[16], 0);  // tail channel: exact
    }
}

TEST(EmuMatMul, TiesRoundUpOnS3AndCAndToEvenOnP4) {
    // One product per output (C = 1), shift 1: b / 2 for b = -5, -3, -1, 1, 3, 5.
    const Operand a{{1, 1}, {1}};
    const Operand b{{1, 16}, {-5, -3, -1, 1, 3, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}};
    const std::vector<int64_t> up = {-2, -1, 0, 1, 2, 3}, even = {-2, -2, 0, 0, 2, 2};
    for (Target t : kTargets)
        for (int bits : {8, 16}) {
            SCOPED_TRACE(std::string(target_name(t)) + " int" + std::to_string(bits));
            const auto got = emulate(a, b, 0, 0, 1, false, bits, t);
            Shape ys;
            EXPECT_EQ(got, naive_matmul(a, b, 1, false, bits, target_policy(t), &ys));
            EXPECT_EQ(std::vector<int64_t>(got.begin(), got.begin() + 6),
                      target_policy(t).rounding == Rounding::HalfEven ? even : up);
        }
}

TEST(EmuMatMul, NegativeShiftIsRefused) {
    const Operand a{{2, 16}, std::vector<int64_t>(32, 1)}, b{{16, 16}, std::vector<int64_t>(256, 1)};
    EXPECT_TRUE(message_has([&] { emulate(a, b, -4, -4, -9, false, 8, Target::ESP32S3); }, "is negative"));
}

// A float ONNX model y = MatMul(a, b) of two graph inputs, quantized for `t` at `bits`.
QuantizeResult quantize_two_input_matmul(const Shape& as, const Shape& bs, Target t, int bits,
                                         const std::string& file) {
    ProbeModel m(17);
    m.set_probed_op("MatMul");
    const std::string a = m.input(as), b = m.input(bs);
    m.output(m.node1("MatMul", {a, b}));
    {
        std::ofstream f(file, std::ios::binary);
        EXPECT_TRUE(m.proto().SerializeToOstream(&f));
    }
    const Graph g = load_onnx(file);
    QuantizeOptions o;
    o.plan.target = t;
    o.plan.bits = bits;
    o.calibration.threads = 1;
    o.test_values = false;
    const SampleSource calib{8, [&](size_t i) {
                                 std::vector<Tensor> x;
                                 uint32_t seed = 100 + static_cast<uint32_t>(i) * 2;
                                 for (const Shape& s : {as, bs}) {
                                     Tensor f(DType::Float32, s);
                                     const auto v = random_values<int>(static_cast<size_t>(f.numel()), -1000, 1000, seed++);
                                     for (int64_t k = 0; k < f.numel(); ++k) f.data<float>()[k] = v[k] / 500.f;
                                     x.push_back(std::move(f));
                                 }
                                 return x;
                             }};
    return quantize_model(g, calib, o);
}

TEST(EmuMatMul, LoweredComputedSecondInputIsBlockedAtRunTimeBitExactly) {
    // The lowering inserts the nodes that put b into the filter order of each target (§6.18); the emulator runs
    // them as the chip would. Whatever they do, the MatMul must see b's plain values: compare with the naive
    // reference on the quantized plain inputs. The shapes cover every form of the chain: N a multiple of the
    // lane count (one and several groups), groups plus a remainder, only a remainder, and the C targets' plain
    // transpose.
    const std::pair<Shape, Shape> shapes[] = {
        {{1, 8, 40, 8}, {1, 8, 8, 40}}, {{2, 1, 5, 3}, {1, 4, 3, 6}}, {{3, 4, 20}, {1, 20, 32}},
        {{4, 16}, {16, 16}},            {{1, 2, 6, 24}, {2, 24, 20}}, {{2, 3, 5}, {5}}, {{5}, {2, 5, 20}},
    };
    const std::string dir = temp_dir();
    int checked = 0;
    for (Target t : kTargets)
        for (int bits : {8, 16})
            for (const auto& [as, bs] : shapes) {
                SCOPED_TRACE(std::string(target_name(t)) + " int" + std::to_string(bits) + " " + shape_str(as) +
                             " x " + shape_str(bs));
                const QuantizeResult q =
                    quantize_two_input_matmul(as, bs, t, bits, dir + "/mm" + std::to_string(checked++) + ".onnx");
                const Graph& lg = q.lowered.model.graph;
                ASSERT_EQ(lg.inputs.size(), 2u);
                const int ea = static_cast<int>(lg.value(lg.inputs[0]).exponents.at(0));
                const int eb = static_cast<int>(lg.value(lg.inputs[1]).exponents.at(0));
                const int ey = static_cast<int>(lg.value(lg.outputs[0]).exponents.at(0));
                EXPECT_GE(ey - ea - eb, 0) << "the planner keeps the shift non-negative";
                Operand a = random_operand(as, bits, 300 + checked), b = random_operand(bs, bits, 400 + checked);
                // Values of the calibrated magnitude, so that outputs are not all saturated.
                for (auto* o : {&a, &b})
                    for (int64_t& x : o->v) x /= bits == 16 ? 4 : 2;
                const Emulator emu(lg, t);
                const auto got = int_values(emu.run({int_tensor(as, a.v, bits), int_tensor(bs, b.v, bits)}).at(0));
                const Operand a2{as.size() == 1 ? Shape{1, as[0]} : as, a.v},
                    b2{bs.size() == 1 ? Shape{bs[0], 1} : bs, b.v};
                Shape ys;
                EXPECT_EQ(got, naive_matmul(a2, b2, ey - ea - eb, false, bits, target_policy(t), &ys));
                bool some_nonzero = false;
                for (int64_t v : got) some_nonzero |= v != 0;
                EXPECT_TRUE(some_nonzero);
            }
}

}  // namespace
}  // namespace espq::test
