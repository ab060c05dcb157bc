// Weight layouts: both directions against position formulas written independently here, round trips, the same
// Gemm layer exported for c / esp32p4 / esp32s3, and real Conv files whose embedded test vectors are reproduced
// (within 1 LSB) by a naive integer convolution over the de-blocked weights.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "espdl/layout.hpp"
#include "espq/espdl.hpp"
#include "support.hpp"

namespace espq::espdl {
namespace {

using test::data_path;

Tensor iota_tensor(const Shape& shape) {
    std::vector<int32_t> v(static_cast<size_t>(shape_numel(shape)));
    std::iota(v.begin(), v.end(), 1000);
    return Tensor::from<int32_t>(shape, v);
}

// Position in the stored array of ONNX element W[n][c][kh][kw] (docs/espdl-file-format.md §4.2), spelled out per case.
int64_t stored_position(int64_t n, int64_t c, int64_t kh, int64_t kw, int64_t N, int64_t C, int64_t KH, int64_t KW,
                        int64_t A, bool depthwise) {
    const int64_t Na = A ? N / A * A : 0;
    if (n < Na) {
        const int64_t b = n / A, l = n % A;
        if (depthwise) return ((b * KH + kh) * KW + kw) * A + l;
        return (((b * KH + kh) * KW + kw) * C + c) * A + l;
    }
    const int64_t base = Na * KH * KW * C;
    if (depthwise) return base + (kh * KW + kw) * (N - Na) + (n - Na);
    return base + (((n - Na) * KH + kh) * KW + kw) * C + c;
}

struct ConvCase {
    int64_t n, c, kh, kw;
    int block;
    bool depthwise, one_d;
};

TEST(EspdlLayout, ConvFiltersMatchTheIndexFormulaBothWays) {
    const ConvCase cases[] = {
        {16, 3, 3, 3, 16, false, false}, {55, 33, 3, 3, 8, false, false}, {17, 5, 2, 3, 16, false, false},
        {1, 4, 1, 1, 16, false, false},  {32, 7, 3, 3, 0, false, false},  {30, 1, 7, 7, 16, true, false},
        {13, 1, 3, 2, 8, true, false},   {48, 1, 3, 3, 16, true, false},  {20, 1, 3, 3, 0, true, false},
        {24, 16, 1, 3, 16, false, true}, {9, 1, 1, 5, 8, true, true},     {7, 3, 1, 4, 0, false, true},
    };
    for (const ConvCase& k : cases) {
        SCOPED_TRACE(std::to_string(k.n) + "x" + std::to_string(k.c) + "x" + std::to_string(k.kh) + "x" +
                     std::to_string(k.kw) + " A=" + std::to_string(k.block) + (k.depthwise ? " dw" : "") +
                     (k.one_d ? " 1d" : ""));
        const Shape onnx_shape = k.one_d ? Shape{k.n, k.c, k.kw} : Shape{k.n, k.c, k.kh, k.kw};
        const Tensor w = iota_tensor(onnx_shape);
        const WeightKind kind = k.depthwise ? WeightKind::DepthwiseConv : WeightKind::Conv;
        const Tensor stored = to_blocked(w, kind, k.block);
        const int64_t a = k.depthwise ? k.n : k.c, b = k.depthwise ? 1 : k.n;
        EXPECT_EQ(stored.shape(), k.one_d ? (Shape{k.kw, a, b}) : (Shape{k.kh, k.kw, a, b}));
        const int32_t* s = stored.data<int32_t>();
        const int32_t* p = w.data<int32_t>();
        for (int64_t n = 0; n < k.n; ++n)
            for (int64_t c = 0; c < k.c; ++c)
                for (int64_t y = 0; y < k.kh; ++y)
                    for (int64_t x = 0; x < k.kw; ++x) {
                        const int64_t onnx_index = ((n * k.c + c) * k.kh + y) * k.kw + x;
                        ASSERT_EQ(s[stored_position(n, c, y, x, k.n, k.c, k.kh, k.kw, k.block, k.depthwise)],
                                  p[onnx_index]);
                    }
        const Tensor back = from_blocked(stored, kind, k.block);
        EXPECT_EQ(back.shape(), onnx_shape);
        EXPECT_EQ(back.to_vector<int32_t>(), w.to_vector<int32_t>());
    }
}

TEST(EspdlLayout, GemmAndMatMulMatchTheIndexFormulaBothWays) {
    for (const auto& [K, N, A] : std::vector<std::tuple<int64_t, int64_t, int>>{
             {16, 16, 16}, {64, 32, 16}, {31, 32, 16}, {7, 20, 8}, {5, 3, 16}, {12, 9, 0}}) {
        SCOPED_TRACE("K=" + std::to_string(K) + " N=" + std::to_string(N) + " A=" + std::to_string(A));
        const Tensor kn = iota_tensor({K, N});
        const Tensor stored = to_blocked(kn, WeightKind::Gemm, A);
        EXPECT_EQ(stored.shape(), (Shape{1, 1, K, N}));
        const int64_t Na = A ? N / A * A : 0;
        for (int64_t k = 0; k < K; ++k)
            for (int64_t n = 0; n < N; ++n) {
                // 1x1 filter [N][K]: blocks of A output channels with k-major lanes, then the tail n-major.
                const int64_t pos = n < Na ? (n / A * K + k) * A + n % A : Na * K + (n - Na) * K + k;
                ASSERT_EQ(stored.data<int32_t>()[pos], kn.data<int32_t>()[k * N + n]);
            }
        EXPECT_EQ(from_blocked(stored, WeightKind::Gemm, A).to_vector<int32_t>(), kn.to_vector<int32_t>());

        // A constant MatMul input [2, 3, K, N] is six such matrices back to back; dims are unchanged.
        const Tensor batch = iota_tensor({2, 3, K, N});
        const Tensor mstored = to_blocked(batch, WeightKind::MatMul, A);
        EXPECT_EQ(mstored.shape(), batch.shape());
        for (int64_t m = 0; m < 6; ++m) {
            std::vector<int32_t> one(batch.data<int32_t>() + m * K * N, batch.data<int32_t>() + (m + 1) * K * N);
            const Tensor one_stored = to_blocked(Tensor::from<int32_t>({K, N}, one), WeightKind::Gemm, A);
            ASSERT_EQ(0, std::memcmp(mstored.data<int32_t>() + m * K * N, one_stored.raw(), one_stored.nbytes()));
        }
        EXPECT_EQ(from_blocked(mstored, WeightKind::MatMul, A).to_vector<int32_t>(), batch.to_vector<int32_t>());
    }
}

TEST(EspdlLayout, CTargetGemmIsNMajor) {
    // [K][N] = [[1,2,3],[4,5,6]] -> [N][K] = 1,4,2,5,3,6.
    const Tensor kn = Tensor::from<int8_t>({2, 3}, {1, 2, 3, 4, 5, 6});
    EXPECT_EQ(to_blocked(kn, WeightKind::Gemm, 0).to_vector<int8_t>(), (std::vector<int8_t>{1, 4, 2, 5, 3, 6}));
}

TEST(EspdlLayout, TagsAreWrittenAndParsedInEverySpelling) {
    EXPECT_EQ(layout_tag(WeightKind::Conv, 2, 64, 16), "(N/16)HWC16");
    EXPECT_EQ(layout_tag(WeightKind::Gemm, 2, 1, 16), "(N/16)HWC16_UNALIGNED");
    EXPECT_EQ(layout_tag(WeightKind::DepthwiseConv, 2, 30, 8), "(N/8)HWC8_UNALIGNED");
    EXPECT_EQ(layout_tag(WeightKind::Conv, 1, 32, 16), "(N/16)WC16");
    EXPECT_EQ(layout_tag(WeightKind::Conv, 2, 30, 0), "NHWC");
    EXPECT_EQ(layout_tag(WeightKind::DepthwiseConv, 2, 30, 0), "HWCN");
    EXPECT_EQ(layout_tag(WeightKind::Conv, 1, 30, 0), "NWC");
    EXPECT_EQ(layout_tag(WeightKind::DepthwiseConv, 1, 30, 0), "WCN");
    EXPECT_EQ(layout_doc_string("NHWC"), "layout ==> NHWC");

    struct Expect {
        const char* text;
        bool known;
        int block;
        bool unaligned, one_d, dw;
    };
    const Expect table[] = {
        {"layout ==> (N/16)HWC16", true, 16, false, false, false},
        {"layout ==> (N/16)HWC16_UNALIGNED", true, 16, true, false, false},
        {"layout ==> N16HWC16_UNALIGNED", true, 16, true, false, false},
        {"N8HWC8", true, 8, false, false, false},
        {"layout ==> (N/8)WC8", true, 8, false, true, false},
        {"layout ==> NHWC", true, 0, false, false, false},
        {"layout ==> HWCN", true, 0, false, false, true},
        {"layout ==> WCN", true, 0, false, true, true},
        {"layout ==> UNK", false, 0, false, false, false},
        {"", false, 0, false, false, false},
        {"layout ==> (N/16)HWC8", false, 0, false, false, false},
        {"layout ==> N16HWC", false, 0, false, false, false},
    };
    for (const Expect& e : table) {
        SCOPED_TRACE(e.text);
        const LayoutInfo info = parse_layout(e.text);
        EXPECT_EQ(info.known, e.known);
        if (!e.known) continue;
        EXPECT_EQ(info.block, e.block);
        EXPECT_EQ(info.unaligned, e.unaligned);
        EXPECT_EQ(info.one_d, e.one_d);
        EXPECT_EQ(info.depthwise_plain, e.dw);
    }
}

const Value& weight_of(const EspdlModel& m) { return m.graph.value(m.graph.nodes.at(0).inputs.at(1)); }

TEST(EspdlLayout, SameGemmLayerExportedForEveryTargetDeblocksIdentically) {
    // docs/espdl-file-format.md §4.5: one layer exported for c, esp32p4 and esp32s3. K=16,N=16 (one full block) and
    // K=64,N=32.
    for (const auto& [c_file, p4_file, s3_file] : std::vector<std::tuple<std::string, std::string, std::string>>{
             {"c/Gemm__linear_ishap_1_16_kshap_16_16_relu_s8__7fbcd94a.espdl",
              "esp32p4/Gemm__linear_ishap_1_16_kshap_16_16_relu_s8__8387671c.espdl",
              "esp32s3/Gemm__linear_ishap_1_16_kshap_16_16_relu_s8__16ab10a4.espdl"},
             {"c/Gemm__linear_ishap_1_64_kshap_32_64_relu_s8__41f137ee.espdl",
              "esp32p4/Gemm__linear_ishap_1_64_kshap_32_64_relu_s8__384f4fcc.espdl",
              "esp32s3/Gemm__linear_ishap_1_64_kshap_32_64_relu_s8__4f596fea.espdl"}}) {
        SCOPED_TRACE(s3_file);
        const EspdlModel c = read_espdl(data_path("oracle/" + c_file));
        const EspdlModel p4 = read_espdl(data_path("oracle/" + p4_file));
        const EspdlModel s3 = read_espdl(data_path("oracle/" + s3_file));
        // Same layer: identical test input and exponents in all three.
        ASSERT_EQ(c.test_inputs[0].tensor.to_vector<int8_t>(), s3.test_inputs[0].tensor.to_vector<int8_t>());
        ASSERT_EQ(weight_of(c).exponents, weight_of(s3).exponents);
        EXPECT_EQ(parse_layout(weight_of(c).doc_string).block, 0);
        EXPECT_EQ(parse_layout(weight_of(s3).doc_string).block, 16);
        const auto plain_c = from_blocked(*weight_of(c).constant, WeightKind::Gemm, 0).to_vector<int8_t>();
        const auto plain_p4 = from_blocked(*weight_of(p4).constant, WeightKind::Gemm, 16).to_vector<int8_t>();
        const auto plain_s3 = from_blocked(*weight_of(s3).constant, WeightKind::Gemm, 16).to_vector<int8_t>();
        EXPECT_EQ(plain_c, plain_s3);
        EXPECT_EQ(plain_p4, plain_s3);
        // And the exporter direction reproduces the stored bytes.
        const Tensor kn = from_blocked(*weight_of(s3).constant, WeightKind::Gemm, 16);
        EXPECT_EQ(to_blocked(kn, WeightKind::Gemm, 16).to_vector<int8_t>(), weight_of(s3).constant->to_vector<int8_t>());
        EXPECT_EQ(to_blocked(kn, WeightKind::Gemm, 0).to_vector<int8_t>(), weight_of(c).constant->to_vector<int8_t>());
    }
}

// Naive NHWC convolution of the file's test input with de-blocked weights, requantized in double precision;
// returns the largest difference to the file's test output in LSB.
int64_t max_lsb_error_of_naive_conv(const EspdlModel& m, int block) {
    const Graph& g = m.graph;
    const Node& node = g.nodes.at(0);
    const bool depthwise = node.attr_int("group", 1) > 1;
    const Value& wv = g.value(node.inputs.at(1));
    const Tensor w = from_blocked(*wv.constant, depthwise ? WeightKind::DepthwiseConv : WeightKind::Conv, block)
                         .cast(DType::Int32);  // OIHW
    const int64_t N = w.dim(0), C = w.dim(1), KH = w.dim(2), KW = w.dim(3);
    std::vector<int64_t> bias(N, 0);
    int64_t e_bias = 0;
    if (node.num_inputs() > 2) {
        const Value& bv = g.value(node.inputs[2]);
        bias = bv.constant->as_int64s();
        e_bias = bv.exponents.at(0);
    }
    const NamedTensor& tin = m.test_inputs.at(0);
    const NamedTensor& tout = m.test_outputs.at(0);
    const Tensor x = tin.tensor.cast(DType::Int32);
    const Tensor y = tout.tensor.cast(DType::Int32);
    const int64_t H = x.dim(1), W = x.dim(2), CI = x.dim(3), OH = y.dim(1), OW = y.dim(2);
    const auto strides = node.attr_ints("strides", {1, 1});
    const auto pads = node.attr_ints("pads", {0, 0, 0, 0});
    const auto dil = node.attr_ints("dilations", {1, 1});
    const bool relu = node.attr_string("activation", "Linear") == "Relu";
    const int64_t e_in = tin.exponents.at(0), e_w = wv.exponents.at(0), e_out = tout.exponents.at(0);
    const double qmax = tout.tensor.dtype() == DType::Int8 ? 127 : 32767, qmin = -qmax - 1;
    int64_t worst = 0;
    for (int64_t oy = 0; oy < OH; ++oy)
        for (int64_t ox = 0; ox < OW; ++ox)
            for (int64_t n = 0; n < N; ++n) {
                int64_t acc = 0;
                for (int64_t ky = 0; ky < KH; ++ky)
                    for (int64_t kx = 0; kx < KW; ++kx) {
                        const int64_t iy = oy * strides[0] - pads[0] + ky * dil[0];
                        const int64_t ix = ox * strides[1] - pads[1] + kx * dil[1];
                        if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                        for (int64_t c = 0; c < C; ++c) {
                            const int64_t ci = depthwise ? n : c;
                            acc += static_cast<int64_t>(x.data<int32_t>()[(iy * W + ix) * CI + ci]) *
                                   w.data<int32_t>()[((n * C + c) * KH + ky) * KW + kx];
                        }
                    }
                double real = std::ldexp(static_cast<double>(acc), static_cast<int>(e_in + e_w)) +
                              std::ldexp(static_cast<double>(bias[n]), static_cast<int>(e_bias));
                if (relu) real = std::max(real, 0.0);
                const double q = std::min(qmax, std::max(qmin, std::round(std::ldexp(real, static_cast<int>(-e_out)))));
                const int64_t got = y.data<int32_t>()[(oy * OW + ox) * N + n];
                worst = std::max(worst, static_cast<int64_t>(std::llabs(static_cast<int64_t>(q) - got)));
            }
    return worst;
}

TEST(EspdlLayout, RealConvFiltersWithRemainderChannelsReproduceTheirTestVectors) {
    // Regular conv with N = 55 = 6 blocks of 8 + 7 remainder channels (int16), and a depthwise conv with
    // N = 30 = 16 + 14 (int8, esp-dl blob 7a4bb367): wrong remainder order would break the tail channels.
    for (const std::string rel : {"oracle/esp32s3/Conv__conv2d_ishap_1_33_19_29_kshap_55_33_3_3_s16__b2c61f68.espdl",
                                  "espdl/depthwise_conv2d_ishap_1_30_20_20_kshap_30_1_7_7_relu_s8.esp32s3.espdl",
                                  "oracle/esp32s3/Conv__conv2d_ishap_1_3_224_224_kshap_16_3_3_3_s8__95d0362b.espdl"}) {
        SCOPED_TRACE(rel);
        const EspdlModel m = read_espdl(data_path(rel));
        const LayoutInfo layout = parse_layout(weight_of(m).doc_string);
        ASSERT_TRUE(layout.known);
        EXPECT_LE(max_lsb_error_of_naive_conv(m, layout.block), 1);
        // Negative control: the same data read as a plain (C-target) layout does not reproduce the outputs.
        EXPECT_GT(max_lsb_error_of_naive_conv(m, 0), 4);
    }
}

}  // namespace
}  // namespace espq::espdl
