// Conv emulation against a naive reference of the chip's recipe (docs/esp-dl-arithmetic.md §6.1, §6.2): bias, taps in
// (ky, kx, c) order, 20-bit lanes saturating after every MAC, exact ACCX tail channels, RHU, sat8, ReLU.
#include <thread>

#include "emu/mac_engine.hpp"
#include "emu_harness.hpp"

namespace espq::test {
namespace {

using emu::MacEngineS8;
using emu::MacRequant;

struct ConvCase {
    int h = 6, w = 6, c = 16, n = 32, kh = 3, kw = 3;
    int stride = 1, dil = 1, pt = 1, pl = 1, pb = 1, pr = 1;
    bool depthwise = false, relu = false, one_d = false;
    int e_in = -5, e_w = -6, e_out = -4;
};

// A 1x1 conv on a single pixel: c input channels, n outputs, exponents (e_in, e_w, e_out).
ConvCase pixel_case(int c, int n, int e_in, int e_w, int e_out) {
    ConvCase k;
    k.h = k.w = k.kh = k.kw = 1;
    k.pt = k.pl = k.pb = k.pr = 0;
    k.c = c;
    k.n = n;
    k.e_in = e_in;
    k.e_w = e_w;
    k.e_out = e_out;
    return k;
}

// Naive chip reference. lane(n): does output channel n use a saturating 20-bit lane (S3)?
template <typename T>
std::vector<T> reference_conv(const ConvCase& k, const std::vector<T>& x, const std::vector<int>& w /*[n][kh][kw][c']*/,
                              const std::vector<int64_t>& bias, const std::function<bool(int)>& lane, bool half_even,
                              int lane_bits) {
    const int cpg = k.depthwise ? 1 : k.c;
    const int oh = (k.h + k.pt + k.pb - k.dil * (k.kh - 1) - 1) / k.stride + 1;
    const int ow = (k.w + k.pl + k.pr - k.dil * (k.kw - 1) - 1) / k.stride + 1;
    const int s = k.e_out - k.e_w - k.e_in;
    const int64_t lo = -(int64_t(1) << (lane_bits - 1)), hi = (int64_t(1) << (lane_bits - 1)) - 1;
    std::vector<T> y;
    for (int oy = 0; oy < oh; ++oy)
        for (int ox = 0; ox < ow; ++ox)
            for (int n = 0; n < k.n; ++n) {
                const bool sat = lane(n);
                int64_t acc = bias.empty() ? 0 : bias[n];
                if (sat) acc = ((acc & ((int64_t(1) << lane_bits) - 1)) ^ (int64_t(1) << (lane_bits - 1))) - (int64_t(1) << (lane_bits - 1));
                for (int ky = 0; ky < k.kh; ++ky)
                    for (int kx = 0; kx < k.kw; ++kx) {
                        const int iy = oy * k.stride - k.pt + ky * k.dil, ix = ox * k.stride - k.pl + kx * k.dil;
                        if (iy < 0 || iy >= k.h || ix < 0 || ix >= k.w) continue;
                        for (int c = 0; c < cpg; ++c) {
                            const int ch = k.depthwise ? n : c;
                            acc += int64_t(x[(iy * k.w + ix) * k.c + ch]) * w[((n * k.kh + ky) * k.kw + kx) * cpg + c];
                            if (sat) acc = ref_sat(acc, lo, hi);
                        }
                    }
                int64_t q;
                if (!half_even) {
                    q = ref_rhu(acc, s);
                } else {
                    const double v = static_cast<double>(acc) / static_cast<double>(int64_t(1) << s);
                    q = static_cast<int64_t>(std::nearbyint(v));
                }
                q = ref_sat(q, std::numeric_limits<T>::min(), std::numeric_limits<T>::max());
                if (k.relu && q < 0) q = 0;
                y.push_back(static_cast<T>(q));
            }
    return y;
}

template <typename T>
Tensor run_conv(const ConvCase& k, const std::vector<T>& x, const std::vector<int>& w, const std::vector<int64_t>& bias,
                Target target, std::string layout = "") {
    EmuGraph eg;
    const DType dt = dtype_of<T>();
    Shape xs = k.one_d ? Shape{1, k.w, k.c} : Shape{1, k.h, k.w, k.c};
    int in = eg.input("x", dt, xs, k.e_in);
    const int cpg = k.depthwise ? 1 : k.c;
    const bool simd = target != Target::C;
    const int a = simd ? (sizeof(T) == 1 ? 16 : 8) : 0;
    std::vector<T> plain(w.begin(), w.end());
    std::vector<T> stored = block_filter(plain, k.n, k.kh, k.kw, cpg, a, k.depthwise);
    Shape ws = k.depthwise ? (k.one_d ? Shape{k.kw, k.n, 1} : Shape{k.kh, k.kw, k.n, 1})
                           : (k.one_d ? Shape{k.kw, k.c, k.n} : Shape{k.kh, k.kw, k.c, k.n});
    if (layout.empty()) layout = simd ? (sizeof(T) == 1 ? "(N/16)HWC16" : "(N/8)HWC8") : (k.depthwise ? "HWCN" : "NHWC");
    int wid = eg.constant("w", Tensor::from<T>(ws, stored), {k.e_w}, "layout ==> " + layout);
    std::vector<int> ins{in, wid};
    if (!bias.empty()) {
        if (sizeof(T) == 1) {
            std::vector<int32_t> b(bias.begin(), bias.end());
            ins.push_back(eg.constant("b", Tensor::from<int32_t>({k.n}, b), {k.e_in + k.e_w}, "layout ==> UNK"));
        } else {
            ins.push_back(eg.constant("b", Tensor::from<int64_t>({k.n}, bias), {k.e_in + k.e_w}, "layout ==> UNK"));
        }
    }
    int out = eg.value("y", dt, k.e_out);
    Attributes at;
    at["activation"] = std::string(k.relu ? "Relu" : "Linear");
    at["group"] = int64_t(k.depthwise ? k.c : 1);
    if (k.one_d) {
        at["strides"] = Attribute::Ints{k.stride};
        at["dilations"] = Attribute::Ints{k.dil};
        at["pads"] = Attribute::Ints{k.pl, k.pr};
    } else {
        at["strides"] = Attribute::Ints{k.stride, k.stride};
        at["dilations"] = Attribute::Ints{k.dil, k.dil};
        at["pads"] = Attribute::Ints{k.pt, k.pl, k.pb, k.pr};
    }
    eg.node("Conv", ins, {out}, at);
    eg.output(out);
    return eg.run({Tensor::from<T>(xs, x)}, target).at(0);
}

TEST(EmuConv, RandomInt8MatchesChipReferenceOnEveryTarget) {
    ConvCase k;
    k.relu = true;
    auto x = random_values<int8_t>(k.h * k.w * k.c, -128, 127, 1);
    auto w = random_values<int>(k.n * k.kh * k.kw * k.c, -128, 127, 2);
    auto b = random_values<int64_t>(k.n, -200000, 200000, 3);
    k.e_out = -4;  // s = 7
    auto lanes = [](int) { return true; };
    auto got = run_conv<int8_t>(k, x, w, b, Target::ESP32S3);
    EXPECT_EQ(got.to_vector<int8_t>(), reference_conv<int8_t>(k, x, w, b, lanes, false, 20));
    auto exact = [](int) { return false; };
    EXPECT_EQ(run_conv<int8_t>(k, x, w, b, Target::C).to_vector<int8_t>(),
              reference_conv<int8_t>(k, x, w, b, exact, false, 20));
    EXPECT_EQ(run_conv<int8_t>(k, x, w, b, Target::ESP32P4).to_vector<int8_t>(),
              reference_conv<int8_t>(k, x, w, b, exact, true, 20));
}

TEST(EmuConv, StridedDilatedAsymmetricPadsAndTailChannels) {
    ConvCase k;
    k.h = 9;
    k.w = 7;
    k.c = 5;
    k.n = 21;  // 16 lanes + 5 ACCX tail channels
    k.stride = 2;
    k.dil = 2;
    k.pt = 2;
    k.pl = 0;
    k.pb = 1;
    k.pr = 3;
    auto x = random_values<int8_t>(k.h * k.w * k.c, -128, 127, 4);
    auto w = random_values<int>(k.n * k.kh * k.kw * k.c, -128, 127, 5);
    auto b = random_values<int64_t>(k.n, -300000, 300000, 6);
    k.e_out = -3;
    auto got = run_conv<int8_t>(k, x, w, b, Target::ESP32S3);
    auto lanes = [](int n) { return n < 16; };
    EXPECT_EQ(got.to_vector<int8_t>(), reference_conv<int8_t>(k, x, w, b, lanes, false, 20));
    EXPECT_EQ(got.shape(), (Shape{1, 4, 3, 21}));  // (9+3-4-1)/2+1, (7+3-4-1)/2+1
}

// One 1x1 conv where the sequential 20-bit sum saturates mid-way: 40 taps of +127*127 push the lane past
// 2^19 - 1, then 24 taps of -127*127 bring it down. Exact: 16 * 16129 = 258064 -> RHU_12 = 63.
// Lane: 524287 - 24 * 16129 = 137191 -> RHU_12 = 33. Channel 16 is the exact ACCX tail of a 17-channel conv.
TEST(EmuConv, LaneSaturatesMidSumWhileTailChannelIsExact) {
    ConvCase k = pixel_case(64, 17, -7, -7, -2);  // s = 12
    std::vector<int8_t> x(64, 127);
    std::vector<int> w;
    for (int n = 0; n < k.n; ++n)
        for (int c = 0; c < 64; ++c) w.push_back(c < 40 ? 127 : -127);
    auto got = run_conv<int8_t>(k, x, w, {}, Target::ESP32S3).to_vector<int8_t>();
    for (int n = 0; n < 16; ++n) EXPECT_EQ(got[n], 33) << "lane channel " << n;
    EXPECT_EQ(got[16], 63) << "tail channel";
    // The same filter on C targets (exact int32) and P4 (exact) gives 63 everywhere.
    for (Target t : {Target::C, Target::ESP32P4})
        for (int8_t v : run_conv<int8_t>(k, x, w, {}, t).to_vector<int8_t>()) EXPECT_EQ(v, 63);
    // With 32 channels the aligned kernel puts every channel in a lane.
    k.n = 32;
    w.clear();
    for (int n = 0; n < k.n; ++n)
        for (int c = 0; c < 64; ++c) w.push_back(c < 40 ? 127 : -127);
    for (int8_t v : run_conv<int8_t>(k, x, w, {}, Target::ESP32S3).to_vector<int8_t>()) EXPECT_EQ(v, 33);
}

// The bias enters a lane as its low 20 bits, sign-extended (no saturation); the ACCX tail keeps it whole.
TEST(EmuConv, BiasWrapsTo20BitsInLanesOnly) {
    ConvCase k = pixel_case(1, 17, 0, 0, 12);
    std::vector<int8_t> x{0};
    std::vector<int> w(17, 0);
    std::vector<int64_t> b(17, (1 << 19) + 4096 * 3);  // 536576: lane sees -524288 + 12288 = -512000
    auto got = run_conv<int8_t>(k, x, w, b, Target::ESP32S3).to_vector<int8_t>();
    EXPECT_EQ(got[0], -125);  // RHU_12(-512000) = floor(-124.5) = -125
    EXPECT_EQ(got[16], 127);  // 536576 / 4096 = 131 -> sat8
    EXPECT_EQ(run_conv<int8_t>(k, x, w, b, Target::ESP32P4).to_vector<int8_t>()[0], 127);
    // int16: S3 repacks the lane channels' bias to its low 40 bits; the N mod 8 tail keeps it (2^39 + 5).
    ConvCase k16 = pixel_case(1, 9, 0, 0, 30);
    std::vector<int64_t> b16(9, (int64_t(1) << 39) + 5);
    auto y16 = run_conv<int16_t>(k16, std::vector<int16_t>{0}, std::vector<int>(9, 0), b16, Target::ESP32S3).to_vector<int16_t>();
    EXPECT_EQ(y16[0], -512);  // RHU_30(-2^39 + 5)
    EXPECT_EQ(y16[8], 512);
    EXPECT_EQ(run_conv<int16_t>(k16, std::vector<int16_t>{0}, std::vector<int>(9, 0), b16, Target::ESP32P4).to_vector<int16_t>()[0],
              512);
}

// RHU ties toward +inf on S3 and C (-2.5 -> -2, 2.5 -> 3); P4 rounds half to even (2.5 -> 2, -2.5 -> -2, 3.5 -> 4).
TEST(EmuConv, RoundingTiesPerTarget) {
    ConvCase k = pixel_case(1, 4, 0, 0, 1);
    std::vector<int8_t> x{1};
    std::vector<int> w{5, -5, 7, -7};  // acc / 2 = 2.5, -2.5, 3.5, -3.5
    EXPECT_EQ(run_conv<int8_t>(k, x, w, {}, Target::ESP32S3).to_vector<int8_t>(), (std::vector<int8_t>{3, -2, 4, -3}));
    EXPECT_EQ(run_conv<int8_t>(k, x, w, {}, Target::C).to_vector<int8_t>(), (std::vector<int8_t>{3, -2, 4, -3}));
    EXPECT_EQ(run_conv<int8_t>(k, x, w, {}, Target::ESP32P4).to_vector<int8_t>(), (std::vector<int8_t>{2, -2, 4, -4}));
}

TEST(EmuConv, DepthwiseSaturatesEveryChannelIncludingRemainder) {
    ConvCase k;
    k.depthwise = true;
    k.h = k.w = 7;
    k.kh = k.kw = 7;
    k.pt = k.pl = k.pb = k.pr = 0;
    k.c = k.n = 18;  // 16 + 2 remainder channels: all use lanes on S3
    k.e_in = -7;
    k.e_w = -7;
    k.e_out = -2;
    std::vector<int8_t> x(7 * 7 * 18, 127);
    std::vector<int> w;
    for (int n = 0; n < 18; ++n)
        for (int t = 0; t < 49; ++t) w.push_back(t < 35 ? 127 : -127);
    // Lane: 35 taps saturate at 524287, minus 14 * 16129 = 298481 -> 73; exact 21 * 16129 = 338709 -> 83.
    for (int8_t v : run_conv<int8_t>(k, x, w, {}, Target::ESP32S3).to_vector<int8_t>()) EXPECT_EQ(v, 73);
    for (int8_t v : run_conv<int8_t>(k, x, w, {}, Target::C).to_vector<int8_t>()) EXPECT_EQ(v, 83);
    // Random depthwise 5x5 with padding against the reference.
    ConvCase r;
    r.depthwise = true;
    r.c = r.n = 30;
    r.h = r.w = 8;
    r.kh = r.kw = 5;
    r.pt = r.pl = r.pb = r.pr = 2;
    r.relu = true;
    auto rx = random_values<int8_t>(8 * 8 * 30, -128, 127, 7);
    auto rw = random_values<int>(30 * 25, -128, 127, 8);
    auto rb = random_values<int64_t>(30, -100000, 100000, 9);
    auto lanes = [](int) { return true; };
    EXPECT_EQ(run_conv<int8_t>(r, rx, rw, rb, Target::ESP32S3).to_vector<int8_t>(),
              reference_conv<int8_t>(r, rx, rw, rb, lanes, false, 20));
}

TEST(EmuConv, Int16ExactAccumulation) {
    ConvCase k;
    k.c = 11;
    k.n = 13;  // 8 + 5 tail (N8HWC8_UNALIGNED)
    k.e_in = -13;
    k.e_w = -14;
    k.e_out = -12;  // s = 15
    auto x = random_values<int16_t>(k.h * k.w * k.c, -32768, 32767, 10);
    auto w = random_values<int>(k.n * 9 * k.c, -32768, 32767, 11);
    std::vector<int64_t> b;
    for (int v : random_values<int>(k.n, -(1 << 30), 1 << 30, 12)) b.push_back(int64_t(v) * 32);  // up to 2^35
    auto exact = [](int) { return false; };
    EXPECT_EQ(run_conv<int16_t>(k, x, w, b, Target::ESP32S3).to_vector<int16_t>(),
              reference_conv<int16_t>(k, x, w, b, exact, false, 40));
    EXPECT_EQ(run_conv<int16_t>(k, x, w, b, Target::ESP32P4).to_vector<int16_t>(),
              reference_conv<int16_t>(k, x, w, b, exact, true, 40));
    k.depthwise = true;
    k.n = k.c;
    auto wd = random_values<int>(k.n * 9, -32768, 32767, 13);
    b.resize(k.n);
    EXPECT_EQ(run_conv<int16_t>(k, x, wd, b, Target::C).to_vector<int16_t>(),
              reference_conv<int16_t>(k, x, wd, b, exact, false, 40));
}

TEST(EmuConv, OneDimensionalNwc) {
    ConvCase k;
    k.one_d = true;
    k.h = 1;
    k.kh = 1;
    k.pt = k.pb = 0;
    k.w = 24;
    k.kw = 3;
    k.dil = 2;
    k.pl = 4;
    k.pr = 0;
    k.c = 32;
    k.n = 16;
    auto x = random_values<int8_t>(24 * 32, -128, 127, 14);
    auto w = random_values<int>(16 * 3 * 32, -128, 127, 15);
    auto b = random_values<int64_t>(16, -1000, 1000, 16);
    k.e_out = -2;
    auto lanes = [](int) { return true; };
    Tensor got = run_conv<int8_t>(k, x, w, b, Target::ESP32S3, "(N/16)WC16");
    EXPECT_EQ(got.shape(), (Shape{1, 24, 16}));
    EXPECT_EQ(got.to_vector<int8_t>(), reference_conv<int8_t>(k, x, w, b, lanes, false, 20));
}

TEST(EmuConv, RejectsNegativeShiftGroupedConvAndForeignLayout) {
    ConvCase k;
    k.e_out = -12;  // s = -1
    auto x = random_values<int8_t>(k.h * k.w * k.c, -5, 5, 17);
    auto w = random_values<int>(k.n * 9 * k.c, -5, 5, 18);
    EXPECT_TRUE(message_has([&] { run_conv<int8_t>(k, x, w, {}, Target::ESP32S3); }, "is negative"));
    k.e_out = -4;
    EXPECT_TRUE(message_has([&] { run_conv<int8_t>(k, x, w, {}, Target::ESP32S3, "NHWC"); }, "--target"));
    EXPECT_TRUE(message_has([&] { run_conv<int8_t>(k, x, w, {}, Target::C, "(N/16)HWC16"); }, "--target"));
    // group = 2 on 16 channels: a true grouped conv, which the chip would run as depthwise.
    EmuGraph eg;
    int in = eg.input("x", DType::Int8, {1, 4, 4, 16}, 0);
    int wid = eg.constant("w", Tensor(DType::Int8, {1, 1, 8, 16}), {0}, "layout ==> (N/16)HWC16");
    int out = eg.value("y", DType::Int8, 0);
    eg.node("Conv", {in, wid}, {out}, {{"group", int64_t(2)}});
    eg.output(out);
    EXPECT_THROW(Emulator(eg.g, Target::ESP32S3), UnsupportedError);
}

// The fast path (pairwise int32 sums with a per-block proof that no prefix leaves the 20-bit range) and the
// sequential saturating loop give the same accumulators; the fast path really runs on benign data and hands
// the tiles that can saturate to the slow loop.
TEST(EmuConv, FastAndSlowAccumulationAgree) {
    const int n = 40, k = 200;
    std::vector<int64_t> bias = random_values<int64_t>(n, -50000, 50000, 19);
    MacRequant rq{std::vector<int>(n, 8), false, Rounding::HalfUp};
    const TargetPolicy& s3 = target_policy(Target::ESP32S3);
    for (int trial = 0; trial < 2; ++trial) {
        // trial 0: small values, saturation impossible; trial 1: mostly positive products, lanes saturate.
        const int lim = trial == 0 ? 12 : 127, low = trial == 0 ? -12 : -20;
        auto w = random_values<int8_t>(static_cast<size_t>(n) * k, low, lim, 20 + trial);
        MacEngineS8 e(n, k, w, bias, s3, rq);  // channels 0..31 fill two lane groups
        const int64_t rows = 37, padded = MacEngineS8::padded_rows(rows);
        std::vector<int16_t> x(padded * e.k_padded(), 0);
        auto xv = random_values<int16_t>(rows * k, low, lim, 30 + trial);
        for (int64_t r = 0; r < rows; ++r)
            for (int t = 0; t < k; ++t) x[r * e.k_padded() + t] = xv[r * k + t];
        std::vector<int32_t> fast(padded * e.n_padded()), slow(padded * e.n_padded());
        const int64_t fallbacks = e.accumulate(x.data(), rows, fast.data(), false);
        e.accumulate(x.data(), rows, slow.data(), true);
        for (int64_t r = 0; r < rows; ++r)
            for (int c = 0; c < n; ++c) ASSERT_EQ(fast[r * e.n_padded() + c], slow[r * e.n_padded() + c]) << r << "," << c;
        if (trial == 0) EXPECT_EQ(fallbacks, 0);
        else EXPECT_GT(fallbacks, 0);
        // Independent check of the slow loop on row 0: sequential saturation in tap order, exact tail.
        int saturated = 0;
        for (int c = 0; c < n; ++c) {
            int64_t a = c < 32 ? ref_wrap20(bias[c]) : 0, exact = a;
            for (int t = 0; t < k; ++t) {
                a += int64_t(xv[t]) * w[static_cast<size_t>(c) * k + t];
                exact += int64_t(xv[t]) * w[static_cast<size_t>(c) * k + t];
                if (c < 32) a = ref_sat(a, -(1 << 19), (1 << 19) - 1);
            }
            EXPECT_EQ(slow[c], a) << "channel " << c;
            saturated += a != exact;
        }
        EXPECT_EQ(saturated > 0, trial == 1);
    }
}

// P4 accepts per-channel weight exponents (one shift per output channel); S3 has no per-channel kernels.
TEST(EmuConv, PerChannelExponentsOnP4Only) {
    EmuGraph eg;
    int in = eg.input("x", DType::Int8, {1, 1, 1, 2}, 0);
    std::vector<int8_t> w{10, 10, 10, 10};  // 2 output channels x 2 inputs, plain per channel
    int wid = eg.constant("w", Tensor::from<int8_t>({1, 1, 2, 2}, block_filter(w, 2, 1, 1, 2, 16, false)), {0, -1},
                          "layout ==> (N/16)HWC16_UNALIGNED");
    int out = eg.value("y", DType::Int8, 2);
    eg.node("Conv", {in, wid}, {out});
    eg.output(out);
    // acc = 10*3 + 10*3 = 60 on both channels; shifts 2 and 3: 15, 7.5 -> 8 (P4: half to even -> 8).
    auto y = eg.run({Tensor::from<int8_t>({1, 1, 1, 2}, {3, 3})}, Target::ESP32P4).at(0).to_vector<int8_t>();
    EXPECT_EQ(y, (std::vector<int8_t>{15, 8}));
    EXPECT_TRUE(message_has([&] { eg.run({Tensor::from<int8_t>({1, 1, 1, 2}, {3, 3})}, Target::ESP32S3); },
                            "per-channel"));
}

// One prepared emulator runs samples on several threads at once (run() is const).
TEST(EmuConv, ConcurrentRunsGiveTheSameResults) {
    ConvCase k;
    auto w = random_values<int>(k.n * 9 * k.c, -128, 127, 60);
    EmuGraph eg;
    int in = eg.input("x", DType::Int8, {1, k.h, k.w, k.c}, k.e_in);
    std::vector<int8_t> w8(w.begin(), w.end());
    int wid = eg.constant("w", Tensor::from<int8_t>({3, 3, k.c, k.n}, block_filter(w8, k.n, 3, 3, k.c, 16, false)),
                          {k.e_w}, "layout ==> (N/16)HWC16");
    int out = eg.value("y", DType::Int8, -3);
    eg.node("Conv", {in, wid}, {out}, {{"pads", Attribute::Ints{1, 1, 1, 1}}});
    eg.output(out);
    Emulator emu(eg.g, Target::ESP32S3);
    std::vector<Tensor> xs, want;
    for (uint32_t i = 0; i < 8; ++i) {
        xs.push_back(Tensor::from<int8_t>({1, k.h, k.w, k.c}, random_values<int8_t>(k.h * k.w * k.c, -128, 127, 70 + i)));
        want.push_back(emu.run({xs.back()}).at(0));
    }
    std::vector<std::thread> threads;
    std::vector<int> ok(4, 1);
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            for (int rep = 0; rep < 20; ++rep)
                for (size_t i = 0; i < xs.size(); ++i)
                    if (emu.run({xs[i]}).at(0).to_vector<int8_t>() != want[i].to_vector<int8_t>()) ok[t] = 0;
        });
    for (auto& th : threads) th.join();
    EXPECT_EQ(ok, std::vector<int>(4, 1));
}

// The vectorised int32 requantization equals the int64 one (and the reference rounding) wherever it is used.
TEST(EmuConv, Int32RequantizationMatchesInt64) {
    const int n = 203;
    auto acc = random_values<int32_t>(n, -(1 << 22), 1 << 22, 50);
    auto post = random_values<int32_t>(n, -(1 << 26), 1 << 26, 51);
    auto shifts = random_values<int>(n, 0, 20, 52);
    for (int i = 0; i < 8; ++i) acc[i] = (2 * i + 1) << 4, shifts[i] = 5, post[i] = 0;  // exact ties
    for (Rounding r : {Rounding::HalfUp, Rounding::HalfEven})
        for (bool relu : {false, true}) {
            emu::MacRequant rq{shifts, relu, r};
            std::vector<int64_t> total(n);
            for (int c = 0; c < n; ++c) total[c] = int64_t(acc[c]) + post[c];
            std::vector<int8_t> a(n), b(n);
            emu::requantize_row32(rq, acc.data(), post.data(), a.data(), n);
            emu::requantize_row(rq, total.data(), b.data(), n);
            EXPECT_EQ(a, b);
            for (int c = 0; c < 8; ++c) {
                const double v = double(total[c]) / 32;  // x.5
                int64_t want = r == Rounding::HalfUp ? int64_t(std::floor(v + 0.5)) : int64_t(std::nearbyint(v));
                if (relu && want < 0) want = 0;
                EXPECT_EQ(a[c], want) << c;
            }
        }
}

}  // namespace
}  // namespace espq::test
