// MaxPool and AveragePool float kernels against naive window loops, over a matrix of options.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "kernel_harness.hpp"
#include "spatial_reference.hpp"

using namespace espq;
using namespace espq::test;

namespace {

using Dims = std::vector<int64_t>;

struct PoolParams {
    Dims kernel, strides, dilations, pad_begin, pad_end;
    bool ceil_mode = false;
    bool count_include_pad = false;
};

// Output size along one axis, straight from the ONNX / PyTorch formula (ceil variant: the last window must
// start inside the image or its left padding).
int64_t pooled_size(int64_t in, int64_t k, int64_t s, int64_t d, int64_t pb, int64_t pe, bool ceil_mode) {
    const double exact = double(in + pb + pe - ((k - 1) * d + 1)) / double(s) + 1;
    int64_t out = static_cast<int64_t>(ceil_mode ? std::ceil(exact) : std::floor(exact));
    if (ceil_mode && (out - 1) * s >= in + pb) --out;
    return out;
}

// Visits every tap of every window; max takes the largest in-image value, average divides the in-image sum by
// the number of in-image taps (or, with count_include_pad, of taps inside image + explicit padding).
Tensor naive_pool(const Tensor& x_in, PoolParams p, bool is_max) {
    Tensor x = x_in;
    const LiftTo2d lift(x);
    lift.tensors({&x});
    lift.dims({&p.kernel, &p.strides, &p.dilations}, 1);
    lift.dims({&p.pad_begin, &p.pad_end}, 0);
    const int64_t N = x.dim(0), C = x.dim(1), H = x.dim(2), W = x.dim(3);
    const Dims in{H, W};
    Dims out(2);
    for (int i = 0; i < 2; ++i)
        out[i] = pooled_size(in[i], p.kernel[i], p.strides[i], p.dilations[i], p.pad_begin[i], p.pad_end[i],
                             p.ceil_mode);
    Tensor y(DType::Float32, {N, C, out[0], out[1]});
    const float* xp = x.data<float>();
    float* yp = y.data<float>();
    for (int64_t nc = 0; nc < N * C; ++nc)
        for (int64_t oy = 0; oy < out[0]; ++oy)
            for (int64_t ox = 0; ox < out[1]; ++ox) {
                double best = -std::numeric_limits<double>::infinity(), sum = 0;
                int64_t valid = 0, padded = 0;
                for (int64_t ky = 0; ky < p.kernel[0]; ++ky)
                    for (int64_t kx = 0; kx < p.kernel[1]; ++kx) {
                        const int64_t iy = oy * p.strides[0] - p.pad_begin[0] + ky * p.dilations[0];
                        const int64_t ix = ox * p.strides[1] - p.pad_begin[1] + kx * p.dilations[1];
                        if (iy < H + p.pad_end[0] && ix < W + p.pad_end[1]) ++padded;
                        if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                        ++valid;
                        const double v = xp[(nc * H + iy) * W + ix];
                        best = std::max(best, v);
                        sum += v;
                    }
                const int64_t divisor = p.count_include_pad ? padded : valid;
                yp[(nc * out[0] + oy) * out[1] + ox] = static_cast<float>(is_max ? best : sum / divisor);
            }
    lift.restore(y);
    return y;
}

Attributes pool_attrs(const PoolParams& p, bool is_max) {
    Dims pads = p.pad_begin;
    pads.insert(pads.end(), p.pad_end.begin(), p.pad_end.end());
    Attributes a{{"kernel_shape", p.kernel}, {"strides", p.strides}, {"pads", pads}, {"ceil_mode", int64_t(p.ceil_mode)}};
    if (p.dilations != Dims(p.kernel.size(), 1)) a["dilations"] = p.dilations;
    if (!is_max) a["count_include_pad"] = int64_t(p.count_include_pad);
    return a;
}

void check_pool_matrix(const Shape& x_shape, bool is_max) {
    const size_t r = x_shape.size() - 2;
    uint32_t seed = is_max ? 1 : 5000;
    int cases = 0;
    for (int64_t k : {1, 2, 3})
        for (int64_t s : {1, 2, 3})
            for (int64_t d : {1, 2})
                for (int64_t pad : {0, 1, 2})
                    for (bool ceil_mode : {false, true})
                        for (bool include : {false, true}) {
                            if (pad >= k || (is_max && include)) continue;
                            PoolParams p{Dims(r, k), Dims(r, s), Dims(r, d), Dims(r, pad), Dims(r, pad), ceil_mode,
                                         include};
                            if (r == 2) {  // make the second axis differ: asymmetric pads, other kernel
                                p.pad_end[1] = 0;
                                p.kernel[1] = k + 1;
                            }
                            Tensor x = random_tensor(x_shape, seed++);
                            SCOPED_TRACE("k " + std::to_string(k) + " s " + std::to_string(s) + " d " +
                                         std::to_string(d) + " pad " + std::to_string(pad) + " ceil " +
                                         std::to_string(ceil_mode) + " include_pad " + std::to_string(include));
                            auto y = run_node({is_max ? "MaxPool" : "AveragePool", {runtime(x)}, pool_attrs(p, is_max)});
                            EXPECT_TRUE(tensors_close(y[0], naive_pool(x, p, is_max)));
                            ++cases;
                        }
    EXPECT_GT(cases, 50);
}

TEST(MaxPool, TwoDimensionalOptionMatrix) { check_pool_matrix({2, 3, 9, 10}, true); }
TEST(MaxPool, OneDimensionalOptionMatrix) { check_pool_matrix({2, 3, 11}, true); }
TEST(AveragePool, TwoDimensionalOptionMatrix) { check_pool_matrix({2, 3, 9, 10}, false); }
TEST(AveragePool, OneDimensionalOptionMatrix) { check_pool_matrix({2, 3, 11}, false); }

// The ONNX backend-test cases, values computed by hand.
TEST(MaxPool, CeilModeHandComputed) {
    std::vector<float> v(16);
    for (int i = 0; i < 16; ++i) v[i] = float(i + 1);
    Tensor x = Tensor::from<float>({1, 1, 4, 4}, v);
    auto y = run_node({"MaxPool", {runtime(x)}, {{"kernel_shape", Dims{3, 3}}, {"strides", Dims{2, 2}}, {"ceil_mode", 1}}});
    EXPECT_EQ(y[0].shape(), (Shape{1, 1, 2, 2}));
    EXPECT_EQ(y[0].to_vector<float>(), (std::vector<float>{11, 12, 15, 16}));
    // The last window would start past the image: the output shrinks by one.
    Tensor x2 = Tensor::from<float>({1, 1, 2, 2}, {1, 2, 3, 4});
    auto y2 = run_node({"MaxPool", {runtime(x2)}, {{"kernel_shape", Dims{1, 1}}, {"strides", Dims{2, 2}}, {"ceil_mode", 1}}});
    EXPECT_EQ(y2[0].shape(), (Shape{1, 1, 1, 1}));
    EXPECT_EQ(y2[0].to_vector<float>(), (std::vector<float>{1}));
}

TEST(AveragePool, CeilModeHandComputed) {
    std::vector<float> v(16);
    for (int i = 0; i < 16; ++i) v[i] = float(i + 1);
    Tensor x = Tensor::from<float>({1, 1, 4, 4}, v);
    auto y = run_node({"AveragePool", {runtime(x)}, {{"kernel_shape", Dims{3, 3}}, {"strides", Dims{2, 2}}, {"ceil_mode", 1}}});
    EXPECT_EQ(y[0].to_vector<float>(), (std::vector<float>{6, 7.5, 12, 13.5}));
    // count_include_pad: a 2x2 window at the padded corner of [[1,2],[3,4]] with pads 1 is 1/4 (not 1/1).
    Tensor x2 = Tensor::from<float>({1, 1, 2, 2}, {1, 2, 3, 4});
    Attributes a{{"kernel_shape", Dims{2, 2}}, {"pads", Dims{1, 1, 1, 1}}, {"strides", Dims{2, 2}}};
    EXPECT_EQ(run_node({"AveragePool", {runtime(x2)}, a})[0].to_vector<float>(), (std::vector<float>{1, 2, 3, 4}));
    a["count_include_pad"] = 1;
    EXPECT_EQ(run_node({"AveragePool", {runtime(x2)}, a})[0].to_vector<float>(),
              (std::vector<float>{0.25, 0.5, 0.75, 1}));
}

TEST(Pool, AutoPad) {
    uint32_t seed = 9000;
    for (bool is_max : {true, false})
        for (const char* mode : {"SAME_UPPER", "SAME_LOWER", "VALID"})
            for (int64_t s : {1, 2})
                for (int64_t k : {2, 3}) {
                    const Dims in{7, 8};
                    Tensor x = random_tensor({1, 2, in[0], in[1]}, seed++);
                    PoolParams p{{k, k}, {s, s}, {1, 1}, {0, 0}, {0, 0}, false, !is_max};
                    for (int i = 0; i < 2; ++i) {
                        if (std::string(mode) == "VALID") continue;
                        const int64_t out = (in[i] + s - 1) / s;
                        const int64_t total = std::max<int64_t>(0, (out - 1) * s + k - in[i]);
                        p.pad_begin[i] = std::string(mode) == "SAME_UPPER" ? total / 2 : total - total / 2;
                        p.pad_end[i] = total - p.pad_begin[i];
                    }
                    Attributes a{{"kernel_shape", p.kernel}, {"strides", p.strides}, {"auto_pad", mode}};
                    if (!is_max) a["count_include_pad"] = 1;
                    SCOPED_TRACE(std::string(is_max ? "MaxPool " : "AveragePool ") + mode + " s " +
                                 std::to_string(s) + " k " + std::to_string(k));
                    auto y = run_node({is_max ? "MaxPool" : "AveragePool", {runtime(x)}, a});
                    EXPECT_TRUE(tensors_close(y[0], naive_pool(x, p, is_max)));
                }
}

TEST(Pool, ShapeInferenceAndErrors) {
    Tensor x = random_tensor({1, 8, 12, 12}, 1);
    auto g = infer_node({"MaxPool", {runtime(x)}, {{"kernel_shape", Dims{2, 2}}, {"strides", Dims{2, 2}}}});
    EXPECT_EQ(g.output(0).dtype, DType::Float32);
    EXPECT_EQ(g.output(0).shape, (Shape{1, 8, 6, 6}));
    auto err = [&](const char* op, Attributes a, int outputs = 1) {
        return infer_error({op, {runtime(x)}, a, outputs});
    };
    EXPECT_TRUE(message_contains(err("MaxPool", {}), "attribute 'kernel_shape' is required"));
    EXPECT_TRUE(message_contains(err("AveragePool", {{"kernel_shape", Dims{2}}}), "kernel_shape=2 has 1 values"));
    EXPECT_TRUE(message_contains(err("MaxPool", {{"kernel_shape", Dims{2, 2}}}, 2), "Indices"));
    EXPECT_TRUE(message_contains(err("MaxPool", {{"kernel_shape", Dims{2, 2}}, {"pads", Dims{2, 0, 0, 0}}}),
                                 "must be smaller than the kernel"));
    EXPECT_TRUE(message_contains(err("AveragePool", {{"kernel_shape", Dims{2, 2}}, {"count_include_pad", 2}}),
                                 "count_include_pad must be 0 or 1"));
    EXPECT_TRUE(message_contains(err("MaxPool", {{"kernel_shape", Dims{13, 2}}}), "larger than the padded input"));
}

// Global pools: any number of spatial axes, compared with a plain loop.
TEST(GlobalPool, AverageAndMaxOverAllSpatialAxes) {
    for (const Shape& shape : {Shape{2, 3, 5}, Shape{2, 3, 4, 5}, Shape{1, 2, 3, 4, 2}}) {
        Tensor x = random_tensor(shape, 7);
        Shape out_shape = shape;
        for (size_t i = 2; i < out_shape.size(); ++i) out_shape[i] = 1;
        const int64_t planes = shape[0] * shape[1], size = x.numel() / planes;
        Tensor mean(DType::Float32, out_shape), mx(DType::Float32, out_shape);
        for (int64_t p = 0; p < planes; ++p) {
            double s = 0, m = -1e30;
            for (int64_t i = 0; i < size; ++i) {
                s += x.data<float>()[p * size + i];
                m = std::max(m, double(x.data<float>()[p * size + i]));
            }
            mean.data<float>()[p] = float(s / size);
            mx.data<float>()[p] = float(m);
        }
        auto ga = infer_node({"GlobalAveragePool", {runtime(x)}, {}});
        EXPECT_EQ(ga.output(0).shape, out_shape);
        EXPECT_TRUE(tensors_close(ga.run()[0], mean));
        EXPECT_TRUE(tensors_close(run_node({"GlobalMaxPool", {runtime(x)}, {}})[0], mx));
    }
    EXPECT_TRUE(message_contains(infer_error({"GlobalAveragePool", {runtime(random_tensor({2, 3}, 1))}, {}}),
                                 "expected rank 3"));
}

}  // namespace
