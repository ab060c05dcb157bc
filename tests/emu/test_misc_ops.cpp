// Quantize/Dequantize/RequantizeLinear (SIMD vs float path), Softmax (int8 exp table without max
// subtraction), Reduce*, Neg, Resize, PRelu, Gemm/MatMul — docs/esp-dl-arithmetic.md §6.3, §6.9-§6.14.
#include <cmath>

#include "emu_harness.hpp"

namespace espq::test {
namespace {

Tensor run1(const std::string& op, const Tensor& x, int ei, DType out_dt, int eo, std::vector<Tensor> consts = {},
            Attributes attrs = {}, Target t = Target::ESP32S3) {
    EmuGraph eg;
    std::vector<int> ins{eg.input("x", x.dtype(), x.shape(), ei)};
    for (size_t i = 0; i < consts.size(); ++i)
        ins.push_back(consts[i].empty() ? kNoValue : eg.constant("c" + std::to_string(i), consts[i]));
    int out = eg.value("y", out_dt, eo);
    eg.node(op, ins, {out}, attrs);
    eg.output(out);
    return eg.run({x}, t).at(0);
}

TEST(EmuMisc, RequantizeSimdAboveFiftyElementsFloatPathBelow) {
    // int8 e-6 -> e-4 (k = 2): SIMD RHU; -6 -> -1.5 -> -1, 6 -> 1.5 -> 2, -10 -> -2.5 -> -2.
    std::vector<int8_t> v(64, 0);
    v[0] = -6;
    v[1] = 6;
    v[2] = -10;
    auto y = run1("RequantizeLinear", Tensor::from<int8_t>({64}, v), -6, DType::Int8, -4).to_vector<int8_t>();
    EXPECT_EQ((std::vector<int8_t>{y[0], y[1], y[2]}), (std::vector<int8_t>{-1, 2, -2}));
    // The float path rounds the same way for these (floor(v + 0.5)).
    auto z = run1("RequantizeLinear", Tensor::from<int8_t>({3}, {-6, 6, -10}), -6, DType::Int8, -4).to_vector<int8_t>();
    EXPECT_EQ(z, (std::vector<int8_t>{-1, 2, -2}));
    // int16 e-13 -> int8 e-5 (k = 8, the mixed-precision bridge), saturating.
    std::vector<int16_t> w(64, 0);
    w[0] = 32767;
    w[1] = -384;  // -1.5 -> -1
    auto q = run1("RequantizeLinear", Tensor::from<int16_t>({64}, w), -13, DType::Int8, -5).to_vector<int8_t>();
    EXPECT_EQ(q[0], 127);
    EXPECT_EQ(q[1], -1);
    // Left shift, int8 -> int8 by 7 on S3: the scale byte 128 reads as -128 (TIE728 quirk); P4 multiplies by 128.
    std::vector<int8_t> one(64, 1);
    EXPECT_EQ(run1("RequantizeLinear", Tensor::from<int8_t>({64}, one), -3, DType::Int8, -10).to_vector<int8_t>()[0], -128);
    EXPECT_EQ(run1("RequantizeLinear", Tensor::from<int8_t>({64}, one), -3, DType::Int8, -10, {}, {}, Target::ESP32P4)
                  .to_vector<int8_t>()[0],
              127);
}

TEST(EmuMisc, QuantizeDequantize) {
    auto q = run1("QuantizeLinear", Tensor::from<float>({4}, {0.3125f, -0.3125f, 100.f, 0.49999997f}), 0, DType::Int8, -3);
    // 2.5 -> 3, -2.5 -> -2, saturate, 3.99999976 -> 4
    EXPECT_EQ(q.to_vector<int8_t>(), (std::vector<int8_t>{3, -2, 127, 4}));
    auto d = run1("DequantizeLinear", Tensor::from<int16_t>({2}, {-3, 5}), -2, DType::Float32, 0);
    EXPECT_EQ(d.to_vector<float>(), (std::vector<float>{-0.75f, 1.25f}));
}

TEST(EmuMisc, SoftmaxInt8UsesExpTableWithoutMaxSubtraction) {
    Tensor x = Tensor::from<int8_t>({1, 2, 3}, {10, 20, -30, 0, 0, 127});
    const int ei = -4;
    auto y = run1("Softmax", x, ei, DType::Float32, 0, {}, {{"axis", int64_t(-1)}}).to_vector<float>();
    auto xs = x.to_vector<int8_t>();
    for (int r = 0; r < 2; ++r) {
        float e[3], sum = 0.f;
        for (int i = 0; i < 3; ++i) {
            e[i] = std::exp(std::ldexp(1.0f, ei) * static_cast<float>(xs[r * 3 + i]));
            sum += e[i];
        }
        for (int i = 0; i < 3; ++i) EXPECT_EQ(y[r * 3 + i], e[i] / sum);
    }
    auto l = run1("LogSoftmax", x, ei, DType::Float32, 0, {}, {{"axis", int64_t(2)}}).to_vector<float>();
    EXPECT_NEAR(std::exp(l[0]) + std::exp(l[1]) + std::exp(l[2]), 1.0, 1e-5);
}

TEST(EmuMisc, ReduceOps) {
    Tensor x = Tensor::from<int8_t>({1, 2, 2, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
    Tensor axes = Tensor::from<int64_t>({2}, {1, 2});
    // ReduceSum over H, W: 22, 26, 30; shift 2 -> 5.5 -> 6, 6.5 -> 7, 7.5 -> 8.
    auto s = run1("ReduceSum", x, -3, DType::Int8, -1, {axes}, {{"keepdims", int64_t(1)}});
    EXPECT_EQ(s.shape(), (Shape{1, 1, 1, 3}));
    EXPECT_EQ(s.to_vector<int8_t>(), (std::vector<int8_t>{6, 7, 8}));
    // ReduceMean: 22 * 2^-3 / 4 * 2^3 = 5.5 -> 6.
    auto m = run1("ReduceMean", x, -3, DType::Int8, -3, {axes}, {{"keepdims", int64_t(0)}});
    EXPECT_EQ(m.shape(), (Shape{1, 3}));
    EXPECT_EQ(m.to_vector<int8_t>(), (std::vector<int8_t>{6, 7, 8}));
    auto mx = run1("ReduceMax", x, -3, DType::Int8, -3, {Tensor::from<int64_t>({1}, {3})}, {{"keepdims", int64_t(0)}});
    EXPECT_EQ(mx.to_vector<int8_t>(), (std::vector<int8_t>{3, 6, 9, 12}));
    auto mn = run1("ReduceMin", x, -3, DType::Int8, -3, {}, {});
    EXPECT_EQ(mn.to_vector<int8_t>(), (std::vector<int8_t>{1}));
    // Reducing axes 1 and 3 of a 4-D tensor with axis 2 kept is {0,1,0,1}: supported; {1,0,0,1} merged is {1,0,1}.
    EXPECT_NO_THROW(run1("ReduceSum", x, 0, DType::Int8, 0, {Tensor::from<int64_t>({2}, {1, 3})}));
}

TEST(EmuMisc, NegResizePrelu) {
    auto n = run1("Neg", Tensor::from<int8_t>({3}, {-128, 5, 127}), -3, DType::Int8, -1);
    EXPECT_EQ(n.to_vector<int8_t>(), (std::vector<int8_t>{127, -5, -127}));  // exponents ignored
    // Nearest 2x upsampling of a 1x2x2x1 image with scales in NCHW order.
    Tensor x = Tensor::from<int8_t>({1, 2, 2, 1}, {1, 2, 3, 4});
    auto r = run1("Resize", x, -2, DType::Int8, -2, {Tensor(), Tensor::from<float>({4}, {1, 1, 2, 2})},
                  {{"mode", std::string("nearest")}});
    EXPECT_EQ(r.shape(), (Shape{1, 4, 4, 1}));
    EXPECT_EQ(r.to_vector<int8_t>(), (std::vector<int8_t>{1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4}));
    // Linear, half-pixel: output x = 1 of a 2 -> 4 resize reads (1.5 * 0.5 - 0.5) = 0.25 between columns 0 and 1.
    Tensor row = Tensor::from<int8_t>({1, 1, 2, 1}, {0, 40});
    auto lr = run1("Resize", row, -2, DType::Int8, -2, {Tensor(), Tensor::from<float>({4}, {1, 1, 1, 2})},
                   {{"mode", std::string("linear")}});
    EXPECT_EQ(lr.to_vector<int8_t>(), (std::vector<int8_t>{0, 10, 30, 40}));
    EXPECT_THROW(run1("Resize", Tensor::from<int16_t>({1, 1, 2, 1}, {0, 1}), 0, DType::Int16, 0,
                      {Tensor(), Tensor::from<float>({4}, {1, 1, 2, 2})}),
                 UnsupportedError);
    // Per-channel PRelu int8 SIMD: e_act = e_out - e_in - e_alpha = -3 + 4 + 2 = 3.
    Tensor slope = Tensor::from<int8_t>({2, 1, 1}, {3, -5});
    EmuGraph eg;
    int in = eg.input("x", DType::Int8, {1, 1, 2, 2}, -4);
    int s = eg.constant("s", slope, {-2});
    int out = eg.value("y", DType::Int8, -3);
    eg.node("PRelu", {in, s}, {out});
    eg.output(out);
    auto p = eg.run({Tensor::from<int8_t>({1, 1, 2, 2}, {-12, -12, 13, 0})}).at(0).to_vector<int8_t>();
    // -12*3 = -36 >> 3 rounded half up = -4.5 -> -4; -12*-5 = 60 -> 7.5 -> 8; 13 >> 1 = 6.5 -> 7; 0.
    EXPECT_EQ(p, (std::vector<int8_t>{-4, 8, 7, 0}));
    // C target: positives pass unchanged, negatives floor.
    auto pc = eg.run({Tensor::from<int8_t>({1, 1, 2, 2}, {-12, -12, 13, 0})}, Target::C).at(0).to_vector<int8_t>();
    EXPECT_EQ(pc, (std::vector<int8_t>{-5, 7, 13, 0}));
}

TEST(EmuMisc, GemmAndMatMulUseBlockedFilters) {
    // Gemm K = 20, N = 18 (16 lanes + 2 tail), M = 3 rows; reference: exact sums (no saturation at these sizes).
    const int k = 20, n = 18, m = 3;
    auto w = random_values<int8_t>(n * k, -128, 127, 40);
    auto x = random_values<int8_t>(m * k, -128, 127, 41);
    std::vector<int32_t> b = random_values<int32_t>(n, -20000, 20000, 42);
    std::vector<int8_t> stored = block_filter(w, n, 1, 1, k, 16, false);
    EmuGraph eg;
    int in = eg.input("x", DType::Int8, {m, k}, -5);
    int wid = eg.constant("w", Tensor::from<int8_t>({1, 1, k, n}, stored), {-6}, "layout ==> (N/16)HWC16_UNALIGNED");
    int bid = eg.constant("b", Tensor::from<int32_t>({n}, b), {-11});
    int out = eg.value("y", DType::Int8, -3);
    eg.node("Gemm", {in, wid, bid}, {out}, {{"activation", std::string("Relu")}});
    eg.output(out);
    auto y = eg.run({Tensor::from<int8_t>({m, k}, x)}).at(0).to_vector<int8_t>();
    for (int r = 0; r < m; ++r)
        for (int c = 0; c < n; ++c) {
            int64_t acc = b[c];
            for (int t = 0; t < k; ++t) acc += int64_t(x[r * k + t]) * w[c * k + t];
            EXPECT_EQ(y[r * n + c], std::max<int64_t>(0, ref_sat(ref_rhu(acc, 8), -128, 127))) << r << "," << c;
        }
    // MatMul [2, m, k] x const [k, n]: same weights for each batch, no bias.
    EmuGraph mg;
    int a = mg.input("a", DType::Int8, {2, m, k}, -5);
    int wc = mg.constant("w", Tensor::from<int8_t>({k, n}, stored), {-6}, "layout ==> (N/16)HWC16_UNALIGNED");
    int mo = mg.value("y", DType::Int8, -3);
    mg.node("MatMul", {a, wc}, {mo});
    mg.output(mo);
    std::vector<int8_t> x2(x);
    x2.insert(x2.end(), x.rbegin(), x.rend());
    Tensor got = mg.run({Tensor::from<int8_t>({2, m, k}, x2)}).at(0);
    EXPECT_EQ(got.shape(), (Shape{2, m, n}));
    auto gv = got.to_vector<int8_t>();
    for (int bt = 0; bt < 2; ++bt)
        for (int r = 0; r < m; ++r)
            for (int c = 0; c < n; ++c) {
                int64_t acc = 0;
                for (int t = 0; t < k; ++t) acc += int64_t(x2[(bt * m + r) * k + t]) * w[c * k + t];
                EXPECT_EQ(gv[(bt * m + r) * n + c], ref_sat(ref_rhu(acc, 8), -128, 127));
            }
}

TEST(EmuMisc, UnknownOperatorsAreUnsupported) {
    EmuGraph eg;
    int in = eg.input("x", DType::Int8, {4}, 0);
    int out = eg.value("y", DType::Int8, 0);
    eg.node("GRU", {in}, {out});
    eg.output(out);
    try {
        Emulator e(eg.g, Target::ESP32S3);
        FAIL() << "no error";
    } catch (const UnsupportedError& e) {
        EXPECT_EQ(std::string(e.what()), "node 'GRU_0' (GRU): not emulated yet for esp32s3");
    }
}

}  // namespace
}  // namespace espq::test
