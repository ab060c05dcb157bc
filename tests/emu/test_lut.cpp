// LUT module (int8 table[x + 128], int16 nearest neighbour with per-target ties) and the float paths of
// activations without a table (docs/esp-dl-arithmetic.md §4.4, §6.9).
#include <cmath>

#include "emu_harness.hpp"

namespace espq::test {
namespace {

template <typename T>
Tensor run_unary(const std::string& op, const Tensor& x, int ei, int eo, Target t = Target::ESP32S3,
                 const Tensor* table = nullptr, Attributes attrs = {}, std::vector<int> extra = {}) {
    EmuGraph eg;
    const DType dt = dtype_of<T>();
    int in = eg.input("x", dt, x.shape(), ei);
    if (table) {
        eg.constant("tab", *table, {eo});
        attrs["lut"] = std::string("tab");
    }
    std::vector<int> ins{in};
    ins.insert(ins.end(), extra.begin(), extra.end());
    int out = eg.value("y", dt, eo);
    eg.node(op, ins, {out}, attrs);
    eg.output(out);
    return eg.run({x}, t).at(0);
}

TEST(EmuLut, Int8TableIsIndexedByXPlus128) {
    std::vector<int8_t> tab(256);
    for (int i = 0; i < 256; ++i) tab[i] = static_cast<int8_t>(127 - i);  // table[x + 128] = -1 - x
    Tensor table = Tensor::from<int8_t>({256}, tab);
    Tensor x = Tensor::from<int8_t>({5}, {-128, -1, 0, 1, 127});
    for (const char* op : {"Sigmoid", "Swish", "LUT", "Clip", "PRelu"}) {
        Tensor y = run_unary<int8_t>(op, x, -4, -7, Target::ESP32S3, &table);
        EXPECT_EQ(y.to_vector<int8_t>(), (std::vector<int8_t>{127, 0, -1, -2, -128})) << op;
    }
    // A table whose exponent differs from the output exponent is rejected (ESP-DL asserts it).
    EmuGraph eg;
    int in = eg.input("x", DType::Int8, {4}, 0);
    eg.constant("tab", table, {-3});
    int out = eg.value("y", DType::Int8, -7);
    eg.node("Sigmoid", {in}, {out}, {{"lut", std::string("tab")}});
    eg.output(out);
    EXPECT_THROW(Emulator(eg.g, Target::ESP32S3), UserError);
}

TEST(EmuLut, Int16NearestNeighbourTiesPerTarget) {
    // step 256: 257 entries, table[i] = i. x = -32768 + 128 lies exactly between entries 0 and 1.
    std::vector<int16_t> tab(257);
    for (int i = 0; i < 257; ++i) tab[i] = static_cast<int16_t>(i);
    Tensor table = Tensor::from<int16_t>({257}, tab);
    Tensor x = Tensor::from<int16_t>({6}, {-32768, -32768 + 127, -32768 + 128, -32768 + 384, 0, 32767});
    auto s3 = run_unary<int16_t>("Gelu", x, -10, -10, Target::ESP32S3, &table).to_vector<int16_t>();
    EXPECT_EQ(s3, (std::vector<int16_t>{0, 0, 1, 2, 128, 256}));  // ties up: 0.5 -> 1, 1.5 -> 2
    auto p4 = run_unary<int16_t>("LUT", x, -10, -10, Target::ESP32P4, &table).to_vector<int16_t>();
    EXPECT_EQ(p4, (std::vector<int16_t>{0, 0, 0, 2, 128, 256}));  // ties to the even index
    // int16 Sigmoid ignores a table: float path instead.
    auto sig = run_unary<int16_t>("Sigmoid", Tensor::from<int16_t>({1}, {0}), -10, -15, Target::ESP32S3, &table);
    EXPECT_EQ(sig.to_vector<int16_t>()[0], 16384);  // 0.5 * 2^15
}

// Reference for the float formulas, written from the ESP-DL module sources independently of the emulator.
float ref_sigmoid(float v) { return static_cast<float>(1.0 / (1.0 + static_cast<double>(std::exp(-v)))); }
int64_t ref_round(float v) { return static_cast<int64_t>(std::floor(v + 0.5f)); }

TEST(EmuLut, Int16ActivationsComputeInFloat) {
    std::vector<int16_t> xs;
    for (int v = -32768; v < 32768; v += 97) xs.push_back(static_cast<int16_t>(v));
    Tensor x = Tensor::from<int16_t>({static_cast<int64_t>(xs.size())}, xs);
    const int ei = -12, eo = -14;
    const float si = std::ldexp(1.0f, ei), so = std::ldexp(1.0f, -eo);
    auto check = [&](const std::string& op, const std::function<float(float)>& f, Attributes attrs = {}) {
        auto y = run_unary<int16_t>(op, x, ei, eo, Target::ESP32S3, nullptr, attrs).to_vector<int16_t>();
        for (size_t i = 0; i < xs.size(); ++i) {
            const float v = static_cast<float>(xs[i]) * si;
            ASSERT_EQ(y[i], ref_sat(ref_round(f(v) * so), -32768, 32767)) << op << " x=" << xs[i];
        }
    };
    check("Sigmoid", ref_sigmoid);
    check("Tanh", [](float v) { return 2 * ref_sigmoid(2 * v) - 1; });
    check("Swish", [](float v) { return ref_sigmoid(v) * v; });
    check("HardSigmoid", [](float v) { return std::max(0.0f, std::min(1.0f, 0.25f * v + 0.5f)); },
          {{"alpha", 0.25f}, {"beta", 0.5f}});
    check("HardSwish", [](float v) {
        return static_cast<float>(std::max(0.0, std::min(1.0, 0.166667 * v + 0.5)) * v);
    });
    check("Exp", [](float v) { return std::exp(v); });
    // LeakyRelu: negative side is (v * s_out) * alpha.
    auto y = run_unary<int16_t>("LeakyRelu", x, ei, eo, Target::ESP32S3, nullptr, {{"alpha", 0.1f}}).to_vector<int16_t>();
    for (size_t i = 0; i < xs.size(); ++i) {
        const float v = static_cast<float>(xs[i]) * si;
        const int64_t want = v >= 0 ? ref_round(v * so) : ref_round(v * so * 0.1f);
        ASSERT_EQ(y[i], ref_sat(want, -32768, 32767));
    }
    // Relu with equal exponents is an integer max; P4 rounds half to even in the float paths.
    auto r = run_unary<int16_t>("Relu", Tensor::from<int16_t>({3}, {-5, 0, 7}), -3, -3).to_vector<int16_t>();
    EXPECT_EQ(r, (std::vector<int16_t>{0, 0, 7}));
    auto r2 = run_unary<int16_t>("Relu", Tensor::from<int16_t>({3}, {5, 7, -9}), -3, -2, Target::ESP32P4);
    EXPECT_EQ(r2.to_vector<int16_t>(), (std::vector<int16_t>{2, 4, 0}));  // 2.5 -> 2, 3.5 -> 4
}

TEST(EmuLut, ClipWithoutTableClampsThenRescales) {
    EmuGraph eg;
    int in = eg.input("x", DType::Int8, {5}, -4);
    int lo = eg.constant("lo", Tensor::from<int8_t>({}, {-10}));
    int hi = eg.constant("hi", Tensor::from<int8_t>({}, {90}));
    int out = eg.value("y", DType::Int8, -3);
    eg.node("Clip", {in, lo, hi}, {out});
    eg.output(out);
    auto y = eg.run({Tensor::from<int8_t>({5}, {-128, -11, 3, 89, 127})}).at(0).to_vector<int8_t>();
    // t * 2^-1 rounded half up: -10 -> -5, 3 -> 1.5 -> 2, 89 -> 44.5 -> 45, 90 -> 45.
    EXPECT_EQ(y, (std::vector<int8_t>{-5, -5, 2, 45, 45}));
}

}  // namespace
}  // namespace espq::test
