// Add/Sub (raw saturating integers, exponents ignored), Mul (SIMD integer vs float C path by output_d0) and
// ESP-DL's element-wise shape merge (docs/esp-dl-arithmetic.md §5, §6.4, §6.5).
#include <cmath>

#include "emu/emu_op.hpp"
#include "emu_harness.hpp"

namespace espq::test {
namespace {

template <typename T>
Tensor run_binary(const std::string& op, const Tensor& a, const Tensor& b, int ea, int eb, int eo,
                  Target t = Target::ESP32S3) {
    EmuGraph eg;
    const DType dt = dtype_of<T>();
    int ia = eg.input("a", dt, a.shape(), ea);
    int ib = eg.input("b", dt, b.shape(), eb);
    int out = eg.value("y", dt, eo);
    eg.node(op, {ia, ib}, {out});
    eg.output(out);
    return eg.run({a, b}, t).at(0);
}

TEST(EmuElementwise, AddSubSaturateOnRawIntegersWithBroadcast) {
    Tensor a = Tensor::from<int8_t>({1, 2, 3}, {100, -100, 5, 127, -128, 0});
    Tensor b = Tensor::from<int8_t>({3}, {50, -50, 7});
    // Exponents are ignored: the raw values are added even though they differ.
    Tensor y = run_binary<int8_t>("Add", a, b, -3, -5, -1);
    EXPECT_EQ(y.to_vector<int8_t>(), (std::vector<int8_t>{127, -128, 12, 127, -128, 7}));
    Tensor d = run_binary<int8_t>("Sub", a, b, 0, 0, 0);
    EXPECT_EQ(d.to_vector<int8_t>(), (std::vector<int8_t>{50, -50, -2, 77, -78, -7}));
    Tensor a16 = Tensor::from<int16_t>({2, 1}, {32000, -32000});
    Tensor b16 = Tensor::from<int16_t>({1, 2}, {1000, -1000});
    EXPECT_EQ(run_binary<int16_t>("Add", a16, b16, 0, 0, 0).to_vector<int16_t>(),
              (std::vector<int16_t>{32767, 31000, -31000, -32768}));
}

TEST(EmuElementwise, MergeFollowsEspDl) {
    // [1,32,32,32] * [1,1,1,32] -> merged [1024, 32]: output_d0 = 32, vector x vector rows.
    auto m = emu::merge_elemwise_shapes({1, 32, 32, 32}, {1, 32, 32, 32}, {1, 1, 1, 32});
    EXPECT_EQ(m.dims, 2);
    EXPECT_EQ(m.output_d0, 32);
    EXPECT_EQ(m.input1_d0, 32);
    // [1,8,8,96] * [1,8,8,1] -> input1 is a per-row scalar: d0 = 96, input1_d0 = 1.
    m = emu::merge_elemwise_shapes({1, 8, 8, 96}, {1, 8, 8, 96}, {1, 8, 8, 1});
    EXPECT_EQ(m.output_d0, 96);
    EXPECT_EQ(m.input1_d0, 1);
    // Equal shapes merge into one dimension.
    m = emu::merge_elemwise_shapes({1, 24, 32}, {1, 24, 32}, {1, 24, 32});
    EXPECT_EQ(m.dims, 1);
    EXPECT_EQ(m.output_d0, 768);
    // [2,3,4,5,6] with alternating broadcasts needs 5 merged dims.
    m = emu::merge_elemwise_shapes({2, 3, 4, 5, 6}, {2, 1, 4, 1, 6}, {1, 3, 1, 5, 1});
    EXPECT_EQ(m.dims, 5);
}

// int16 Mul where the float C path and the exact SIMD product differ: |a*b| > 2^24 is rounded to float32 before
// the scale, which can move it across a rounding boundary (docs/esp-dl-arithmetic.md §6.5).
TEST(EmuElementwise, MulPicksSimdOrFloatPathByOutputD0) {
    auto reference_simd = [](int64_t p, int k) { return ref_sat(ref_rhu(p, k), -32768, 32767); };
    auto reference_c = [](int64_t p, int k) {
        const float r = std::ldexp(1.0f, -k);
        return ref_sat(static_cast<int64_t>(std::floor(static_cast<float>(p) * r + 0.5f)), -32768, 32767);
    };
    // Search a product just below a rounding tie that float32 rounds onto the tie (k = 10, p in [2^24, 2^25)).
    int16_t a0 = 0, b0 = 0;
    const int k = 10;
    for (int a = 1024; a < 32768 && a0 == 0; ++a)
        for (int b = (1 << 24) / a + 1; b < 32768 && int64_t(a) * b < (1 << 25); ++b)
            if (reference_simd(int64_t(a) * b, k) != reference_c(int64_t(a) * b, k)) {
                a0 = static_cast<int16_t>(a);
                b0 = static_cast<int16_t>(b);
                break;
            }
    ASSERT_NE(a0, 0) << "no distinguishing operands found";
    const int64_t p = int64_t(a0) * b0;
    // 8 elements on the inner axis -> SIMD (int16 needs output_d0 >= 8); 7 -> C path.
    for (int len : {8, 7}) {
        Tensor a = Tensor::from<int16_t>({1, len}, std::vector<int16_t>(len, a0));
        Tensor b = Tensor::from<int16_t>({1, len}, std::vector<int16_t>(len, b0));
        Tensor y = run_binary<int16_t>("Mul", a, b, 0, 0, k);
        const int64_t want = len == 8 ? reference_simd(p, k) : reference_c(p, k);
        for (int16_t v : y.to_vector<int16_t>()) EXPECT_EQ(v, want) << "len " << len;
        // The C target never has SIMD.
        Tensor yc = run_binary<int16_t>("Mul", a, b, 0, 0, k, Target::C);
        for (int16_t v : yc.to_vector<int16_t>()) EXPECT_EQ(v, reference_c(p, k));
    }
}

TEST(EmuElementwise, MulInt8RoundingAndNegativeShift) {
    // int8 SIMD: a*b = -45 with k = 1 -> RHU(-22.5) = -22 (ties up); P4 half-even: -22.
    Tensor a = Tensor::from<int8_t>({16}, std::vector<int8_t>(16, -9));
    Tensor b = Tensor::from<int8_t>({16}, std::vector<int8_t>(16, 5));
    EXPECT_EQ(run_binary<int8_t>("Mul", a, b, -3, -4, -6).to_vector<int8_t>()[0], -22);
    Tensor b7 = Tensor::from<int8_t>({16}, std::vector<int8_t>(16, 7));  // -63 / 2 = -31.5
    EXPECT_EQ(run_binary<int8_t>("Mul", a, b7, -3, -4, -6).to_vector<int8_t>()[0], -31);
    EXPECT_EQ(run_binary<int8_t>("Mul", a, b7, -3, -4, -6, Target::ESP32P4).to_vector<int8_t>()[0], -32);
    // Vector x per-row scalar on the C path (output_d0 = 3 < 16): y = fround(a * fl32(b * r)).
    Tensor v = Tensor::from<int8_t>({1, 2, 3}, {10, -10, 3, 100, -128, 1});
    Tensor s = Tensor::from<int8_t>({1, 2, 1}, {3, -2});
    Tensor y = run_binary<int8_t>("Mul", v, s, -2, -2, -3);  // r = 2^-1
    EXPECT_EQ(y.to_vector<int8_t>(), (std::vector<int8_t>{15, -15, 5, -100, 127, -1}));
    // SIMD with k < 0 is refused; the C path accepts it (k = -1 -> y = 2ab).
    EXPECT_TRUE(message_has([&] { run_binary<int8_t>("Mul", a, b, 0, 0, -1); }, "negative"));
    Tensor small = Tensor::from<int8_t>({2}, {3, -4});
    EXPECT_EQ(run_binary<int8_t>("Mul", small, small, 0, 0, -1).to_vector<int8_t>(), (std::vector<int8_t>{18, 32}));
}

}  // namespace
}  // namespace espq::test
