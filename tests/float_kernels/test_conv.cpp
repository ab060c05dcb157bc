// Conv float kernel against a naive loop written straight from the ONNX definition, over a matrix of options.
#include <gtest/gtest.h>

#include "kernel_harness.hpp"
#include "spatial_reference.hpp"

using namespace espq;
using namespace espq::test;

namespace {

using Dims = std::vector<int64_t>;

// y[n, m, oy, ox] = b[m] + sum_{c in group(m), ky, kx} x[n, c, oy*s - pad + ky*d, ...] * w[m, c', ky, kx]
// with zero outside the input. 1-D convolutions are handled as 2-D with a unit H axis.
Tensor naive_conv(const Tensor& x_in, const Tensor& w_in, const Tensor* b, int64_t group, Dims strides, Dims dil,
                  Dims pad_begin, Dims pad_end) {
    Tensor x = x_in, w = w_in;
    const LiftTo2d lift(x);
    lift.tensors({&x, &w});
    lift.dims({&strides, &dil}, 1);
    lift.dims({&pad_begin, &pad_end}, 0);
    const int64_t N = x.dim(0), C = x.dim(1), H = x.dim(2), W = x.dim(3);
    const int64_t M = w.dim(0), Cg = w.dim(1), KH = w.dim(2), KW = w.dim(3);
    const int64_t OH = (H + pad_begin[0] + pad_end[0] - ((KH - 1) * dil[0] + 1)) / strides[0] + 1;
    const int64_t OW = (W + pad_begin[1] + pad_end[1] - ((KW - 1) * dil[1] + 1)) / strides[1] + 1;
    const int64_t Mg = M / group;
    Tensor y(DType::Float32, {N, M, OH, OW});
    const float* xp = x.data<float>();
    const float* wp = w.data<float>();
    float* yp = y.data<float>();
    for (int64_t n = 0; n < N; ++n)
        for (int64_t m = 0; m < M; ++m)
            for (int64_t oy = 0; oy < OH; ++oy)
                for (int64_t ox = 0; ox < OW; ++ox) {
                    double acc = b ? b->data<float>()[m] : 0.0;
                    const int64_t g = m / Mg;
                    for (int64_t cg = 0; cg < Cg; ++cg)
                        for (int64_t ky = 0; ky < KH; ++ky)
                            for (int64_t kx = 0; kx < KW; ++kx) {
                                const int64_t iy = oy * strides[0] - pad_begin[0] + ky * dil[0];
                                const int64_t ix = ox * strides[1] - pad_begin[1] + kx * dil[1];
                                if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                                const int64_t c = g * Cg + cg;
                                acc += double(xp[((n * C + c) * H + iy) * W + ix]) *
                                       wp[((m * Cg + cg) * KH + ky) * KW + kx];
                            }
                    yp[((n * M + m) * OH + oy) * OW + ox] = static_cast<float>(acc);
                }
    lift.restore(y);
    return y;
}

struct ConvCase {
    Dims x_shape;  // N, C, spatial...
    int64_t out_channels;
    Dims kernel;
    int64_t group;
    Dims strides, dilations, pad_begin, pad_end;
    bool bias;
};

void check_conv(const ConvCase& c, uint32_t seed, bool constant_weights = true) {
    const int64_t C = c.x_shape[1];
    Dims w_shape{c.out_channels, C / c.group};
    w_shape.insert(w_shape.end(), c.kernel.begin(), c.kernel.end());
    Tensor x = random_tensor(c.x_shape, seed);
    Tensor w = random_tensor(w_shape, seed + 1);
    Tensor b = random_tensor({c.out_channels}, seed + 2);
    Dims pads = c.pad_begin;
    pads.insert(pads.end(), c.pad_end.begin(), c.pad_end.end());
    NodeSpec spec{"Conv",
                  {runtime(x), constant_weights ? constant(w) : runtime(w)},
                  {{"group", c.group}, {"strides", c.strides}, {"dilations", c.dilations}, {"pads", pads}}};
    if (c.bias) spec.inputs.push_back(constant(b));
    Tensor expected = naive_conv(x, w, c.bias ? &b : nullptr, c.group, c.strides, c.dilations, c.pad_begin, c.pad_end);
    auto y = run_node(spec);
    ASSERT_EQ(y.size(), 1u);
    EXPECT_TRUE(tensors_close(y[0], expected))
        << "x " << shape_str(c.x_shape) << " M=" << c.out_channels << " k=" << shape_str(c.kernel)
        << " group=" << c.group << " strides=" << shape_str(c.strides) << " dil=" << shape_str(c.dilations)
        << " pads=" << shape_str(pads) << " bias=" << c.bias;
}

TEST(Conv, TwoDimensionalOptionMatrix) {
    uint32_t seed = 1;
    int cases = 0;
    for (int64_t group : {1, 2, 4})
        for (Dims kernel : {Dims{1, 1}, Dims{3, 3}, Dims{2, 3}})
            for (Dims strides : {Dims{1, 1}, Dims{2, 2}, Dims{1, 3}})
                for (Dims dil : {Dims{1, 1}, Dims{2, 1}})
                    for (Dims pads : {Dims{0, 0, 0, 0}, Dims{1, 1, 1, 1}, Dims{0, 2, 1, 0}}) {
                        ConvCase c{{2, 4, 9, 10}, 8, kernel, group, strides, dil, {pads[0], pads[1]},
                                   {pads[2], pads[3]}, (seed % 2) == 0};
                        SCOPED_TRACE(seed);
                        check_conv(c, seed++);
                        ++cases;
                    }
    EXPECT_EQ(cases, 162);
}

TEST(Conv, DepthwiseOptionMatrix) {
    // group == C_in == C_out takes the direct depthwise path; multiplier 2 (M = 2C) takes the grouped GEMM path.
    uint32_t seed = 100;
    for (int64_t multiplier : {1, 2})
        for (Dims kernel : {Dims{3, 3}, Dims{5, 5}, Dims{1, 1}, Dims{3, 2}})
            for (Dims strides : {Dims{1, 1}, Dims{2, 2}, Dims{2, 1}, Dims{1, 3}})
                for (Dims dil : {Dims{1, 1}, Dims{2, 2}})
                    for (Dims pads : {Dims{0, 0, 0, 0}, Dims{1, 1, 1, 1}, Dims{2, 0, 1, 2}}) {
                        ConvCase c{{1, 6, 11, 12}, 6 * multiplier, kernel, 6, strides, dil, {pads[0], pads[1]},
                                   {pads[2], pads[3]}, (seed % 3) != 0};
                        SCOPED_TRACE(seed);
                        check_conv(c, seed++);
                    }
}

TEST(Conv, OneDimensionalOptionMatrix) {
    uint32_t seed = 500;
    for (int64_t group : {1, 3})
        for (int64_t out_channels : {3, 6})
            for (int64_t k : {1, 3, 4})
                for (int64_t s : {1, 2})
                    for (int64_t d : {1, 3})
                        for (Dims pads : {Dims{0, 0}, Dims{2, 1}}) {
                            ConvCase c{{2, 3, 17}, out_channels, {k}, group, {s}, {d}, {pads[0]}, {pads[1]},
                                       (seed % 2) == 1};
                            SCOPED_TRACE(seed);
                            check_conv(c, seed++);
                        }
}

TEST(Conv, LargePlaneSpansSeveralIm2colTiles) {
    // 96x96 with 16 channels: the im2col path works through the output plane in several tiles.
    check_conv({{1, 16, 96, 96}, 16, {3, 3}, 1, {1, 1}, {1, 1}, {1, 1}, {1, 1}, true}, 900);
    check_conv({{1, 8, 48, 40}, 12, {3, 3}, 1, {2, 2}, {1, 1}, {0, 1}, {1, 0}, false}, 901);
    // Pointwise (1x1, stride 1) on a large plane, and a batched depthwise.
    check_conv({{2, 16, 24, 24}, 32, {1, 1}, 1, {1, 1}, {1, 1}, {0, 0}, {0, 0}, true}, 902);
    check_conv({{3, 32, 24, 24}, 32, {3, 3}, 32, {2, 2}, {1, 1}, {1, 1}, {1, 1}, true}, 903);
}

TEST(Conv, WeightsFedAtRunTime) {
    check_conv({{1, 4, 7, 7}, 4, {3, 3}, 1, {1, 1}, {1, 1}, {1, 1}, {1, 1}, true}, 950, /*constant_weights=*/false);
    check_conv({{1, 4, 7, 7}, 4, {3, 3}, 4, {1, 1}, {1, 1}, {1, 1}, {1, 1}, false}, 951, false);
}

// auto_pad: the expected pads are computed here from the ONNX formulas and fed to the naive loop.
TEST(Conv, AutoPadModes) {
    uint32_t seed = 1000;
    for (const char* mode : {"SAME_UPPER", "SAME_LOWER", "VALID"})
        for (int64_t s : {1, 2, 3})
            for (int64_t k : {2, 3})
                for (int64_t d : {1, 2}) {
                    SCOPED_TRACE(std::string(mode) + " s=" + std::to_string(s) + " k=" + std::to_string(k));
                    const Dims in{8, 7};
                    Tensor x = random_tensor({1, 2, in[0], in[1]}, seed);
                    Tensor w = random_tensor({3, 2, k, k}, seed + 1);
                    Dims pb(2, 0), pe(2, 0);
                    Dims out(2);
                    for (int i = 0; i < 2; ++i) {
                        const int64_t span = (k - 1) * d + 1;
                        if (std::string(mode) == "VALID") {
                            out[i] = (in[i] - span) / s + 1;
                            continue;
                        }
                        out[i] = (in[i] + s - 1) / s;
                        const int64_t total = std::max<int64_t>(0, (out[i] - 1) * s + span - in[i]);
                        pb[i] = std::string(mode) == "SAME_UPPER" ? total / 2 : total - total / 2;
                        pe[i] = total - pb[i];
                    }
                    NodeSpec spec{"Conv", {runtime(x), constant(w)},
                                  {{"auto_pad", mode}, {"strides", Dims{s, s}}, {"dilations", Dims{d, d}}}};
                    auto g = infer_node(spec);
                    EXPECT_EQ(g.output(0).shape, (Shape{1, 3, out[0], out[1]}));
                    EXPECT_TRUE(tensors_close(g.run()[0], naive_conv(x, w, nullptr, 1, {s, s}, {d, d}, pb, pe)));
                    seed += 2;
                }
}

TEST(Conv, DefaultsAreUnitStridesNoPadding) {
    // Hand-computed: 1x1x3x3 input 1..9, 2x2 kernel of ones, no attributes -> 2x2 window sums.
    Tensor x = Tensor::from<float>({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
    Tensor w = Tensor::from<float>({1, 1, 2, 2}, {1, 1, 1, 1});
    auto g = infer_node({"Conv", {runtime(x), constant(w)}, {}});
    EXPECT_EQ(g.output(0).dtype, DType::Float32);
    EXPECT_EQ(g.output(0).shape, (Shape{1, 1, 2, 2}));
    EXPECT_EQ(g.run()[0].to_vector<float>(), (std::vector<float>{12, 16, 24, 28}));
}

TEST(Conv, ShapeInference) {
    Tensor x = random_tensor({1, 16, 96, 96}, 1);
    auto out_shape = [&](Dims w_shape, Attributes attrs) {
        return infer_node({"Conv", {runtime(x), constant(random_tensor(w_shape, 2))}, attrs}).output(0).shape;
    };
    EXPECT_EQ(out_shape({32, 16, 3, 3}, {{"pads", Dims{1, 1, 1, 1}}, {"strides", Dims{2, 2}}}),
              (Shape{1, 32, 48, 48}));
    EXPECT_EQ(out_shape({16, 1, 3, 3}, {{"group", 16}}), (Shape{1, 16, 94, 94}));
    EXPECT_EQ(out_shape({8, 16, 1, 1}, {}), (Shape{1, 8, 96, 96}));
    EXPECT_EQ(out_shape({8, 16, 3, 3}, {{"dilations", Dims{2, 2}}}), (Shape{1, 8, 92, 92}));
    EXPECT_EQ(out_shape({8, 16, 3, 3}, {{"auto_pad", "SAME_UPPER"}, {"strides", Dims{2, 2}}}), (Shape{1, 8, 48, 48}));
    EXPECT_EQ(out_shape({8, 16, 3, 3}, {{"auto_pad", "VALID"}, {"strides", Dims{2, 2}}}), (Shape{1, 8, 47, 47}));
}

TEST(Conv, BadAttributesAreReportedClearly) {
    Tensor x = random_tensor({1, 4, 8, 8}, 1);
    auto err = [&](Dims w_shape, Attributes attrs, bool with_bias = false, int64_t bias_size = 4) {
        NodeSpec spec{"Conv", {runtime(x), constant(random_tensor(w_shape, 2))}, attrs};
        if (with_bias) spec.inputs.push_back(constant(random_tensor({bias_size}, 3)));
        return infer_error(spec);
    };
    EXPECT_EQ(err({4, 4, 3, 3}, {}), "");
    EXPECT_TRUE(message_contains(err({4, 4, 3, 3}, {{"group", 3}}), "group=3 must divide"));
    EXPECT_TRUE(message_contains(err({4, 4, 3, 3}, {{"group", 2}}), "dimension 1 must be C/group = 2"));
    EXPECT_TRUE(message_contains(err({4, 4, 3, 3}, {{"strides", Dims{1}}}), "attribute 'strides' has 1 values"));
    EXPECT_TRUE(message_contains(err({4, 4, 3, 3}, {{"strides", Dims{0, 1}}}), "'strides' value 0 is out of range"));
    EXPECT_TRUE(message_contains(err({4, 4, 3, 3}, {{"pads", Dims{1, 1, -1, 1}}}), "negative"));
    EXPECT_TRUE(message_contains(err({4, 4, 3, 3}, {{"auto_pad", "SAME"}}), "auto_pad='SAME' is not one of"));
    EXPECT_TRUE(message_contains(err({4, 4, 3, 3}, {{"kernel_shape", Dims{5, 5}}}), "does not match"));
    EXPECT_TRUE(message_contains(err({4, 4, 9, 9}, {}), "larger than the padded input"));
    EXPECT_TRUE(message_contains(err({4, 4, 3, 3}, {}, true, 5), "bias B has shape 5"));
    // The message names the node and the operator.
    EXPECT_EQ(err({4, 4, 3, 3}, {{"group", 3}}).rfind("node 'under_test' (Conv): ", 0), 0u);
    // 3-D convolution and non-float inputs are rejected, not miscomputed.
    Tensor x3 = random_tensor({1, 2, 4, 4, 4}, 4);
    EXPECT_TRUE(message_contains(infer_error({"Conv", {runtime(x3), constant(random_tensor({2, 2, 1, 1, 1}, 5))}, {}}), "expected rank 3..4"));
    Tensor xi(DType::Int8, {1, 4, 8, 8});
    EXPECT_TRUE(message_contains(infer_error({"Conv", {runtime(xi), constant(random_tensor({4, 4, 3, 3}, 5))}, {}}), "is INT8"));
}

}  // namespace
