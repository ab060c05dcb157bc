// Resize against a direct (non-separable) evaluation of the ONNX formulas per output element, plus the ONNX
// backend-test examples computed by hand.
#include <gtest/gtest.h>

#include <cmath>

#include "kernel_harness.hpp"

using namespace espq;
using namespace espq::test;

namespace {

struct Options {
    std::string mode = "nearest";
    std::string transform = "half_pixel";
    std::string nearest_mode = "round_prefer_floor";
};

// x_original for output index x along an axis (ONNX operator documentation), in float like onnxruntime.
float original_coordinate(const std::string& t, int64_t x, float scale, int64_t in, int64_t out) {
    if (t == "half_pixel") return (float(x) + 0.5f) / scale - 0.5f;
    if (t == "pytorch_half_pixel") return out > 1 ? (float(x) + 0.5f) / scale - 0.5f : 0.f;
    if (t == "align_corners") return out == 1 ? 0.f : float(x) * float(in - 1) / float(out - 1);
    if (t == "asymmetric") return float(x) / scale;
    if (t == "tf_half_pixel_for_nn") return (float(x) + 0.5f) / scale;
    ADD_FAILURE() << "unknown transform " << t;
    return 0;
}

int64_t nearest_index(float c, const std::string& mode, int64_t in) {
    double r;
    const double fl = std::floor(c), frac = c - fl;
    if (mode == "floor")
        r = fl;
    else if (mode == "ceil")
        r = std::ceil(c);
    else if (frac == 0.5)
        r = mode == "round_prefer_floor" ? fl : fl + 1;
    else
        r = std::round(c);
    return std::min<int64_t>(std::max<int64_t>(static_cast<int64_t>(r), 0), in - 1);
}

// Every output element: nearest reads one input element; linear sums the 2^rank corners with product weights.
Tensor naive_resize(const Tensor& x, const Shape& out, const std::vector<float>& scales, const Options& o) {
    const size_t r = x.shape().size();
    const Shape& in = x.shape();
    Tensor y(DType::Float32, out);
    std::vector<int64_t> idx(r, 0);
    for (int64_t e = 0; e < y.numel(); ++e) {
        std::vector<int64_t> lo(r), hi(r);
        std::vector<double> w(r);
        for (size_t d = 0; d < r; ++d) {
            const float c = original_coordinate(o.transform, idx[d], scales[d], in[d], out[d]);
            if (o.mode == "nearest") {
                lo[d] = hi[d] = nearest_index(c, o.nearest_mode, in[d]);
                w[d] = 0;
            } else {
                const double cc = std::min<double>(std::max<double>(c, 0.0), double(in[d] - 1));
                lo[d] = static_cast<int64_t>(std::floor(cc));
                hi[d] = std::min<int64_t>(lo[d] + 1, in[d] - 1);
                w[d] = cc - double(lo[d]);
            }
        }
        double acc = 0;
        for (int64_t corner = 0; corner < (int64_t{1} << r); ++corner) {
            double weight = 1;
            int64_t flat = 0;
            for (size_t d = 0; d < r; ++d) {
                const bool upper = (corner >> d) & 1;
                weight *= upper ? w[d] : 1 - w[d];
                flat = flat * in[d] + (upper ? hi[d] : lo[d]);
            }
            if (weight != 0) acc += weight * x.data<float>()[flat];
        }
        y.data<float>()[e] = static_cast<float>(acc);
        for (size_t d = r; d-- > 0;) {
            if (++idx[d] < out[d]) break;
            idx[d] = 0;
        }
    }
    return y;
}

TEST(Resize, ScalesMatrix) {
    uint32_t seed = 1;
    const Shape shape{1, 2, 5, 6};
    for (const char* transform : {"half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric"})
        for (const char* mode : {"nearest", "linear"})
            for (const char* nearest_mode : {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"})
                for (const std::vector<float>& s : {std::vector<float>{1, 1, 2, 2}, std::vector<float>{1, 1, 0.5f, 3},
                                                    std::vector<float>{1, 1, 1.5f, 0.6f}, std::vector<float>{1, 1, 0.2f, 1}}) {
                    if (std::string(mode) == "linear" && std::string(nearest_mode) != "round_prefer_floor") continue;
                    Options o{mode, transform, nearest_mode};
                    Tensor x = random_tensor(shape, seed++);
                    Shape out(4);
                    for (int d = 0; d < 4; ++d) out[d] = static_cast<int64_t>(std::floor(float(shape[d]) * s[d]));
                    NodeSpec spec{"Resize",
                                  {runtime(x), omitted(), constant(floats(s))},
                                  {{"mode", mode}, {"coordinate_transformation_mode", transform},
                                   {"nearest_mode", nearest_mode}}};
                    SCOPED_TRACE(std::string(mode) + " " + transform + " " + nearest_mode + " scales " +
                                 std::to_string(s[2]) + "," + std::to_string(s[3]));
                    auto g = infer_node(spec);
                    EXPECT_EQ(g.output(0).shape, out);
                    EXPECT_TRUE(tensors_close(g.run()[0], naive_resize(x, out, s, o)));
                }
}

TEST(Resize, SizesAndOpset11EmptyScales) {
    uint32_t seed = 100;
    const Shape shape{2, 3, 4, 7};
    for (const char* transform : {"half_pixel", "align_corners", "pytorch_half_pixel", "tf_half_pixel_for_nn"})
        for (const char* mode : {"nearest", "linear"})
            for (const Shape& sizes : {Shape{2, 3, 8, 14}, Shape{2, 3, 3, 5}, Shape{2, 3, 1, 9}, Shape{2, 3, 4, 7}}) {
                if (std::string(transform) == "tf_half_pixel_for_nn" && std::string(mode) == "linear") continue;
                Tensor x = random_tensor(shape, seed++);
                std::vector<float> scales(4);
                for (int d = 0; d < 4; ++d) scales[d] = float(sizes[d]) / float(shape[d]);
                // Opset-11 style: an empty scales tensor next to sizes.
                NodeSpec spec{"Resize",
                              {runtime(x), constant(floats({})), constant(floats({})), constant(ints(sizes))},
                              {{"mode", mode}, {"coordinate_transformation_mode", transform}}};
                SCOPED_TRACE(std::string(mode) + " " + transform + " sizes " + shape_str(sizes));
                auto g = infer_node(spec);
                EXPECT_EQ(g.output(0).shape, sizes);
                EXPECT_TRUE(tensors_close(g.run()[0], naive_resize(x, sizes, scales, {mode, transform, "round_prefer_floor"})));
            }
}

TEST(Resize, Opset18AxesAndAspectRatio) {
    Tensor x = random_tensor({1, 2, 4, 6}, 7);
    // axes = [3, 2] with sizes [12, 6]: H 4 -> 6, W 6 -> 12.
    auto y = run_node({"Resize",
                       {runtime(x), omitted(), omitted(), constant(ints({12, 6}))},
                       {{"mode", "linear"}, {"axes", std::vector<int64_t>{3, 2}}}});
    EXPECT_TRUE(tensors_close(y[0], naive_resize(x, {1, 2, 6, 12}, {1, 1, 1.5f, 2}, {"linear", "half_pixel", ""})));
    // not_larger: sizes (8, 8) for a 4x6 image -> one scale min(2, 4/3) = 4/3 -> 5x8 (round(5.33), 8).
    auto g = infer_node({"Resize",
                         {runtime(x), omitted(), omitted(), constant(ints({8, 8}))},
                         {{"axes", std::vector<int64_t>{2, 3}}, {"keep_aspect_ratio_policy", "not_larger"}}});
    EXPECT_EQ(g.output(0).shape, (Shape{1, 2, 5, 8}));
    const float s = 8.f / 6.f;
    EXPECT_TRUE(tensors_close(g.run()[0], naive_resize(x, {1, 2, 5, 8}, {1, 1, s, s}, {})));
    auto g2 = infer_node({"Resize",
                          {runtime(x), omitted(), omitted(), constant(ints({8, 8}))},
                          {{"axes", std::vector<int64_t>{2, 3}}, {"keep_aspect_ratio_policy", "not_smaller"}}});
    EXPECT_EQ(g2.output(0).shape, (Shape{1, 2, 8, 12}));
}

// ONNX backend tests (resize_upsample_scales_*, resize_downsample_scales_*), values from the operator docs.
TEST(Resize, OnnxBackendExamples) {
    Tensor x = Tensor::from<float>({1, 1, 2, 2}, {1, 2, 3, 4});
    auto up_nearest = run_node({"Resize", {runtime(x), omitted(), constant(floats({1, 1, 2, 3}))}, {}});
    EXPECT_EQ(up_nearest[0].to_vector<float>(),
              (std::vector<float>{1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4}));
    auto up_linear = run_node({"Resize", {runtime(x), omitted(), constant(floats({1, 1, 2, 2}))}, {{"mode", "linear"}}});
    EXPECT_TRUE(tensors_close(up_linear[0], Tensor::from<float>({1, 1, 4, 4}, {1, 1.25, 1.75, 2, 1.5, 1.75, 2.25, 2.5,
                                                                            2.5, 2.75, 3.25, 3.5, 3, 3.25, 3.75, 4})));
    auto up_corners = run_node({"Resize",
                                {runtime(x), omitted(), constant(floats({1, 1, 2, 2}))},
                                {{"mode", "linear"}, {"coordinate_transformation_mode", "align_corners"}}});
    const float a = 4.f / 3, b = 5.f / 3, c = 7.f / 3, d = 8.f / 3, e = 10.f / 3, f = 11.f / 3;
    EXPECT_TRUE(tensors_close(up_corners[0],
                              Tensor::from<float>({1, 1, 4, 4}, {1, a, b, 2, b, 2, c, d, c, d, 3, e, 3, e, f, 4})));
    Tensor x2 = Tensor::from<float>({1, 1, 2, 4}, {1, 2, 3, 4, 5, 6, 7, 8});
    auto down_nearest = run_node({"Resize", {runtime(x2), omitted(), constant(floats({1, 1, 0.6f, 0.6f}))}, {}});
    EXPECT_EQ(down_nearest[0].to_vector<float>(), (std::vector<float>{1, 3}));
    auto down_linear = run_node(
        {"Resize", {runtime(x2), omitted(), constant(floats({1, 1, 0.6f, 0.6f}))}, {{"mode", "linear"}}});
    EXPECT_TRUE(tensors_close(down_linear[0], Tensor::from<float>({1, 1, 1, 2}, {2.6666665f, 4.3333331f})));
}

TEST(Resize, Errors) {
    Tensor x = random_tensor({1, 1, 4, 4}, 1);
    auto err = [&](Attributes a, std::vector<NodeInput> rest) {
        std::vector<NodeInput> in{runtime(x)};
        in.insert(in.end(), rest.begin(), rest.end());
        return infer_error({"Resize", in, a});
    };
    const NodeInput scales = constant(floats({1, 1, 2, 2}));
    EXPECT_EQ(err({}, {omitted(), scales}), "");
    EXPECT_TRUE(message_contains(err({{"mode", "cubic"}}, {omitted(), scales}), "mode='cubic' is not supported"));
    EXPECT_TRUE(message_contains(err({{"antialias", 1}}, {omitted(), scales}), "antialias=1 is not supported"));
    EXPECT_TRUE(message_contains(err({{"coordinate_transformation_mode", "tf_crop_and_resize"}}, {omitted(), scales}),
                                 "'tf_crop_and_resize' is not supported"));
    EXPECT_TRUE(message_contains(err({{"nearest_mode", "round"}}, {omitted(), scales}), "nearest_mode='round'"));
    EXPECT_TRUE(message_contains(err({}, {omitted(), constant(floats({2, 2}))}), "has 2 values; expected 4"));
    EXPECT_TRUE(message_contains(err({}, {omitted(), runtime(floats({1, 1, 2, 2}))}), "must be a constant"));
    EXPECT_TRUE(message_contains(err({}, {omitted(), scales, constant(ints({1, 1, 8, 8}))}), "only one of"));
    EXPECT_TRUE(message_contains(err({}, {}), "one of 'scales' and 'sizes' must be given"));
}

}  // namespace
