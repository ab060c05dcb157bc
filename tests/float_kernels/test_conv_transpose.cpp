// ConvTranspose float kernel against a naive scatter loop written from the ONNX definition.
#include <gtest/gtest.h>

#include "kernel_harness.hpp"
#include "spatial_reference.hpp"

using namespace espq;
using namespace espq::test;

namespace {

using Dims = std::vector<int64_t>;

// Every input pixel x[n, c, i] adds x * w[c, m, k] to y[n, g*M/group + m, i*stride + k*dilation - pad_begin];
// the output size is given. 1-D is handled as 2-D with a unit H axis.
Tensor naive_conv_transpose(const Tensor& x_in, const Tensor& w_in, const Tensor* b, int64_t group, Dims strides,
                            Dims dil, Dims pad_begin, Dims out) {
    Tensor x = x_in, w = w_in;
    const LiftTo2d lift(x);
    lift.tensors({&x, &w});
    lift.dims({&strides, &dil, &out}, 1);
    lift.dims({&pad_begin}, 0);
    const int64_t N = x.dim(0), C = x.dim(1), H = x.dim(2), W = x.dim(3);
    const int64_t Mg = w.dim(1), KH = w.dim(2), KW = w.dim(3), M = Mg * group, Cg = C / group;
    const int64_t OH = out[0], OW = out[1];
    std::vector<double> acc(static_cast<size_t>(N * M * OH * OW), 0.0);
    const float* xp = x.data<float>();
    const float* wp = w.data<float>();
    for (int64_t n = 0; n < N; ++n)
        for (int64_t c = 0; c < C; ++c)
            for (int64_t iy = 0; iy < H; ++iy)
                for (int64_t ix = 0; ix < W; ++ix)
                    for (int64_t m = 0; m < Mg; ++m)
                        for (int64_t ky = 0; ky < KH; ++ky)
                            for (int64_t kx = 0; kx < KW; ++kx) {
                                const int64_t oy = iy * strides[0] + ky * dil[0] - pad_begin[0];
                                const int64_t ox = ix * strides[1] + kx * dil[1] - pad_begin[1];
                                if (oy < 0 || oy >= OH || ox < 0 || ox >= OW) continue;
                                const int64_t mo = (c / Cg) * Mg + m;
                                acc[((n * M + mo) * OH + oy) * OW + ox] +=
                                    double(xp[((n * C + c) * H + iy) * W + ix]) * wp[((c * Mg + m) * KH + ky) * KW + kx];
                            }
    Tensor y(DType::Float32, {N, M, OH, OW});
    float* yp = y.data<float>();
    for (int64_t i = 0; i < y.numel(); ++i)
        yp[i] = static_cast<float>(acc[i] + (b ? b->data<float>()[(i / (OH * OW)) % M] : 0.0));
    lift.restore(y);
    return y;
}

Dims weight_shape(int64_t c, int64_t m_per_group, const Dims& kernel) {
    Dims s{c, m_per_group};
    s.insert(s.end(), kernel.begin(), kernel.end());
    return s;
}

TEST(ConvTranspose, OptionMatrixWithExplicitPads) {
    uint32_t seed = 1;
    for (const Dims& x_shape : {Dims{2, 4, 5, 6}, Dims{1, 4, 7}})
        for (int64_t group : {1, 2})
            for (int64_t k : {1, 2, 3})
                for (int64_t s : {1, 2, 3})
                    for (int64_t d : {1, 2})
                        for (int64_t pad : {0, 1})
                            for (int64_t out_pad : {0, 1}) {
                                if (out_pad >= s) continue;
                                const size_t r = x_shape.size() - 2;
                                Dims kernel(r, k), strides(r, s), dil(r, d), op(r, out_pad);
                                Dims pb(r, pad), pe(r, pad);
                                if (r == 2) pe[1] = 0;  // asymmetric pads
                                Dims pads = pb;
                                pads.insert(pads.end(), pe.begin(), pe.end());
                                Tensor x = random_tensor(x_shape, seed);
                                Tensor w = random_tensor(weight_shape(4, 3, kernel), seed + 1);
                                Tensor b = random_tensor({3 * group}, seed + 2);
                                Dims out(r);
                                for (size_t i = 0; i < r; ++i)
                                    out[i] = s * (x_shape[2 + i] - 1) + out_pad + (k - 1) * d + 1 - pb[i] - pe[i];
                                NodeSpec spec{"ConvTranspose",
                                              {runtime(x), constant(w)},
                                              {{"group", group}, {"strides", strides}, {"dilations", dil},
                                               {"pads", pads}, {"output_padding", op}}};
                                const bool bias = seed % 2;
                                if (bias) spec.inputs.push_back(constant(b));
                                SCOPED_TRACE("seed " + std::to_string(seed) + " x " + shape_str(x_shape) +
                                             " group " + std::to_string(group) + " k " + std::to_string(k) + " s " +
                                             std::to_string(s) + " d " + std::to_string(d) + " pad " +
                                             std::to_string(pad) + " out_pad " + std::to_string(out_pad));
                                auto y = run_node(spec);
                                EXPECT_TRUE(tensors_close(
                                    y[0], naive_conv_transpose(x, w, bias ? &b : nullptr, group, strides, dil, pb, out)));
                                seed += 3;
                            }
}

// output_shape and SAME auto_pad: total padding = stride*(in-1) + output_padding + span - output_shape, split
// with the odd element at the end for SAME_UPPER and at the beginning otherwise (ONNX spec).
TEST(ConvTranspose, OutputShapeAndAutoPad) {
    uint32_t seed = 700;
    struct Case {
        const char* auto_pad;
        Dims output_shape;  // empty: not given
    };
    for (const Case& c : {Case{"SAME_UPPER", {}}, Case{"SAME_LOWER", {}}, Case{"NOTSET", {10, 13}},
                          Case{"SAME_UPPER", {9, 12}}, Case{"NOTSET", {12, 14}}, Case{"NOTSET", {1, 1, 11, 12}}})
        for (int64_t s : {1, 2}) {
            const Dims in{5, 6};
            const int64_t k = 3, d = 1;
            Tensor x = random_tensor({1, 2, in[0], in[1]}, seed);
            Tensor w = random_tensor({2, 3, k, k}, seed + 1);
            Dims out = c.output_shape;
            if (out.size() == 4) out.erase(out.begin(), out.begin() + 2);
            if (out.empty()) out = {in[0] * s, in[1] * s};
            Dims pb(2);
            for (int i = 0; i < 2; ++i) {
                const int64_t total = s * (in[i] - 1) + (k - 1) * d + 1 - out[i];
                const int64_t floor_half = total >= 0 ? total / 2 : -((-total + 1) / 2);
                pb[i] = std::string(c.auto_pad) == "SAME_UPPER" ? floor_half : total - floor_half;
            }
            Attributes attrs{{"auto_pad", c.auto_pad}, {"strides", Dims{s, s}}};
            if (!c.output_shape.empty()) attrs["output_shape"] = c.output_shape;
            SCOPED_TRACE(std::string(c.auto_pad) + " output_shape " + shape_str(c.output_shape) + " s " +
                         std::to_string(s));
            auto g = infer_node({"ConvTranspose", {runtime(x), constant(w)}, attrs});
            EXPECT_EQ(g.output(0).shape, (Shape{1, 3, out[0], out[1]}));
            EXPECT_TRUE(tensors_close(g.run()[0], naive_conv_transpose(x, w, nullptr, 1, {s, s}, {d, d}, pb, out)));
            seed += 2;
        }
}

TEST(ConvTranspose, HandComputedStride2) {
    // 1-D: x = [1, 2], w = [1, 10, 100], stride 2 -> [1, 10, 100+2, 20, 200].
    Tensor x = Tensor::from<float>({1, 1, 2}, {1, 2});
    Tensor w = Tensor::from<float>({1, 1, 3}, {1, 10, 100});
    auto y = run_node({"ConvTranspose", {runtime(x), constant(w)}, {{"strides", Dims{2}}}});
    EXPECT_EQ(y[0].shape(), (Shape{1, 1, 5}));
    EXPECT_EQ(y[0].to_vector<float>(), (std::vector<float>{1, 10, 102, 20, 200}));
}

TEST(ConvTranspose, ShapeInferenceAndErrors) {
    Tensor x = random_tensor({1, 8, 12, 12}, 1);
    Tensor w = random_tensor({8, 4, 4, 4}, 2);
    auto shape_of = [&](Attributes attrs) {
        return infer_node({"ConvTranspose", {runtime(x), constant(w)}, attrs}).output(0).shape;
    };
    EXPECT_EQ(shape_of({{"strides", Dims{2, 2}}, {"pads", Dims{1, 1, 1, 1}}}), (Shape{1, 4, 24, 24}));
    EXPECT_EQ(shape_of({{"strides", Dims{2, 2}}, {"group", 2}}), (Shape{1, 8, 26, 26}));
    EXPECT_EQ(shape_of({{"strides", Dims{2, 2}}, {"output_padding", Dims{1, 0}}}), (Shape{1, 4, 27, 26}));
    EXPECT_EQ(shape_of({{"strides", Dims{2, 2}}, {"auto_pad", "SAME_LOWER"}}), (Shape{1, 4, 24, 24}));

    auto err = [&](Attributes attrs, Tensor weights) {
        return infer_error({"ConvTranspose", {runtime(x), constant(weights)}, attrs});
    };
    EXPECT_EQ(err({}, w), "");
    EXPECT_TRUE(message_contains(err({{"group", 3}}, w), "group=3 must divide the input channels (8)"));
    EXPECT_TRUE(message_contains(err({}, random_tensor({4, 4, 3, 3}, 3)), "dimension 0 must be the input channels"));
    EXPECT_TRUE(message_contains(err({{"output_shape", Dims{5}}}, w), "attribute 'output_shape' has 1 values"));
    EXPECT_TRUE(message_contains(err({{"auto_pad", "FULL"}}, w), "auto_pad='FULL' is not one of"));
    EXPECT_TRUE(message_contains(err({{"pads", Dims{8, 8, 8, 8}}}, w), "leave no output"));
    EXPECT_TRUE(message_contains(err({{"pads", Dims{1, 1, 1, 1}}, {"auto_pad", "SAME_UPPER"}}, w),
                                 "cannot be combined with auto_pad='SAME_UPPER'"));
}

}  // namespace
