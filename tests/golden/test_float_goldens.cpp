// Float reference executor against ONNX Runtime outputs committed in tests/data/golden (tools/make_goldens.mjs).
// Rule from the foundation issue: max |espq - ORT| <= 1e-4 relative to the output range, for every sample;
// and the float top-1 over 1000 evaluation images equals ORT's exactly.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <fstream>

#include "espq/float_executor.hpp"
#include "espq/npy.hpp"
#include "espq/onnx_import.hpp"
#include "espq/passes.hpp"
#include "support.hpp"

using namespace espq;

namespace {

Tensor slice_sample(const Tensor& stacked, int64_t i, const Shape& sample_shape) {
    Tensor t(stacked.dtype(), sample_shape);
    const size_t bytes = t.nbytes();
    std::memcpy(t.raw(), stacked.raw() + static_cast<size_t>(i) * bytes, bytes);
    return t;
}

void check_model(const std::string& folder, const std::string& model_path, bool optimized) {
    Graph g = load_onnx(model_path);
    if (optimized) run_passes(g, PassOptions{});
    FloatExecutor ex(g);
    const Tensor in = load_npy(test::data_path("golden/" + folder + "/input.npy"));
    const Tensor out = load_npy(test::data_path("golden/" + folder + "/output.npy"));
    const Shape in_shape = g.value(g.inputs[0]).shape, out_shape = g.value(g.outputs[0]).shape;
    const int64_t n = in.dim(0) / in_shape[0];
    ASSERT_GT(n, 0);
    double range = 0;
    for (float v : out.to_vector<float>()) range = std::max(range, static_cast<double>(std::fabs(v)));
    for (int64_t i = 0; i < n; ++i) {
        const Tensor y = ex.run({slice_sample(in, i, in_shape)})[0];
        const Tensor ref = slice_sample(out, i, out_shape);
        EXPECT_LE(test::max_abs_diff(y, ref), 1e-4 * range) << folder << " sample " << i;
    }
}

}  // namespace

class FloatGoldens : public ::testing::TestWithParam<const char*> {};

TEST_P(FloatGoldens, MatchesOnnxRuntime) {
    check_model(GetParam(), test::data_path(std::string("bench/") + GetParam() + ".onnx"), false);
}

TEST_P(FloatGoldens, OptimizedGraphMatchesOnnxRuntime) {
    check_model(GetParam(), test::data_path(std::string("bench/") + GetParam() + ".onnx"), true);
}

TEST_P(FloatGoldens, Top1OverThousandImagesEqualsOnnxRuntime) {
    const std::string name = GetParam();
    Graph g = load_onnx(test::data_path("bench/" + name + ".onnx"));
    FloatExecutor ex(g);
    const Shape in_shape = g.value(g.inputs[0]).shape;
    const std::string size = std::to_string(in_shape[2]);
    const Tensor images = load_npy(test::data_path("bench/fashion" + size + "/eval1000.npy"));
    const Tensor logits = load_npy(test::data_path("golden/" + name + "/eval1000_logits.npy"));
    const int64_t pixels = shape_numel(in_shape);
    int agree = 0;
    double worst = 0;
    for (int64_t i = 0; i < 1000; ++i) {
        Tensor x(DType::Float32, in_shape);
        for (int64_t k = 0; k < pixels; ++k) x.data<float>()[k] = images.data<uint8_t>()[i * pixels + k] / 255.0f;
        const Tensor y = ex.run({x})[0];
        const float* ref = logits.data<float>() + i * 10;
        int a = 0, b = 0;
        for (int c = 0; c < 10; ++c) {
            if (y.data<float>()[c] > y.data<float>()[a]) a = c;
            if (ref[c] > ref[b]) b = c;
            worst = std::max(worst, static_cast<double>(std::fabs(y.data<float>()[c] - ref[c])));
        }
        agree += a == b;
    }
    EXPECT_EQ(agree, 1000) << name;
    EXPECT_LT(worst, 1e-3) << name;
}

INSTANTIATE_TEST_SUITE_P(Bench, FloatGoldens,
                         ::testing::Values("fmnist_cnn", "gesture_mbv2", "fmnist_mbv3", "fmnist_mbv3_bn"));

TEST(FloatGoldensTcn, StreamingTcnMatchesOnnxRuntime) {
    check_model("streaming_tcn", test::data_path("golden/streaming_tcn/model.onnx"), false);
    check_model("streaming_tcn", test::data_path("golden/streaming_tcn/model.onnx"), true);
}
