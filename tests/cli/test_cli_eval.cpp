// `espq eval --reference`: an .espdl model stores image tensors channels-last, the ONNX model channels-first;
// eval must compare the same elements. Small models built here are quantized with the CLI, then eval's SQNR and
// top-1 agreement are checked against a computation done independently in the test: the float executor on the
// ONNX model, the emulator on the .espdl graph, input quantization and the NCHW <-> NHWC / NCW <-> NWC
// permutations written out by hand.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "cli_helpers.hpp"
#include "espq/emulator.hpp"
#include "espq/espdl.hpp"
#include "espq/float_executor.hpp"
#include "espq/model_runner.hpp"
#include "espq/npy.hpp"
#include "espq/onnx_import.hpp"

using namespace espq;

namespace {

// N samples of `shape` (without the batch axis) in [-1, 1), deterministic.
Tensor random_samples(int64_t n, const Shape& shape, uint32_t seed) {
    Shape s = {n};
    s.insert(s.end(), shape.begin(), shape.end());
    Tensor t(DType::Float32, s);
    for (int64_t i = 0; i < t.numel(); ++i) {
        seed = seed * 1664525u + 1013904223u;
        t.data<float>()[i] = static_cast<float>(seed >> 8) / static_cast<float>(1u << 23) - 1.f;
    }
    return t;
}

Tensor sample(const Tensor& all, int64_t i, const Shape& shape) {
    Tensor s(DType::Float32, shape);
    std::copy_n(all.data<float>() + i * s.numel(), s.numel(), s.data<float>());
    return s;
}

// out[n][c][s] = in[n][s][c] for a channels-last tensor [N, S, C] (S = H*W or W), and the converse.
std::vector<double> channels_last_to_first(const std::vector<double>& in, int64_t channels, int64_t spatial) {
    std::vector<double> out(in.size());
    for (int64_t c = 0; c < channels; ++c)
        for (int64_t s = 0; s < spatial; ++s) out[c * spatial + s] = in[s * channels + c];
    return out;
}
std::vector<double> channels_first_to_last(const std::vector<double>& in, int64_t channels, int64_t spatial) {
    std::vector<double> out(in.size());
    for (int64_t c = 0; c < channels; ++c)
        for (int64_t s = 0; s < spatial; ++s) out[s * channels + c] = in[c * spatial + s];
    return out;
}

struct Expected {
    std::vector<double> signal, noise;  // per output
    std::vector<int> agree;             // per output, samples whose argmax agrees
};

size_t argmax(const std::vector<double>& v) {
    return std::max_element(v.begin(), v.end()) - v.begin();
}

// The comparison eval should make, computed here: input quantized as ESP32-S3 does (floor(x * 2^-e + 0.5),
// saturating) after NC... -> N...C, emulator outputs dequantized and put back channels-first where the stored
// shape is channels-last.
Expected independent(const std::string& onnx, const std::string& espdl, const Tensor& data, int64_t n) {
    const FloatExecutor fe(load_onnx(onnx));
    const EspdlModel m = read_espdl(espdl);
    const Emulator emu(m.graph, Target::ESP32S3);
    const Value& in = m.graph.value(m.graph.inputs[0]);
    const Shape onnx_in = fe.graph().value(fe.graph().inputs[0]).shape;
    const int64_t channels = onnx_in[1], spatial = shape_numel(onnx_in) / onnx_in[1];
    const int e = static_cast<int>(in.exponents.at(0));
    Expected x;
    const size_t outs = m.graph.outputs.size();
    x.signal.assign(outs, 0), x.noise.assign(outs, 0), x.agree.assign(outs, 0);
    for (int64_t i = 0; i < n; ++i) {
        const Tensor f = sample(data, i, onnx_in);
        const auto f_values = f.as_doubles();
        // The input is read by a Conv: stored channels-last.
        const auto stored_in = channels_first_to_last(f_values, channels, spatial);
        Tensor q(DType::Int8, in.shape);
        for (size_t k = 0; k < stored_in.size(); ++k)
            q.data<int8_t>()[k] =
                static_cast<int8_t>(std::clamp(std::floor(std::ldexp(stored_in[k], -e) + 0.5), -128.0, 127.0));
        const auto ref = fe.run({f});
        const auto raw = emu.run({q});
        for (size_t o = 0; o < outs; ++o) {
            const Value& ov = m.graph.value(m.graph.outputs[o]);
            std::vector<double> y = raw[o].as_doubles();
            for (double& v : y) v = std::ldexp(v, static_cast<int>(ov.exponents.at(0)));
            const Shape& onnx_shape = ref[o].shape();
            if (ov.shape != onnx_shape) {  // stored channels-last: [N, H, W, C] or [N, W, C]
                EXPECT_EQ(ov.shape.back(), onnx_shape[1]) << ov.name;
                y = channels_last_to_first(y, onnx_shape[1], shape_numel(onnx_shape) / onnx_shape[1]);
            }
            const auto r = ref[o].as_doubles();
            for (size_t k = 0; k < r.size(); ++k) {
                x.signal[o] += r[k] * r[k];
                x.noise[o] += (r[k] - y[k]) * (r[k] - y[k]);
            }
            x.agree[o] += argmax(r) == argmax(y);
        }
    }
    return x;
}

double db(double s, double n) {
    return 10 * std::log10(s / n);
}

nlohmann::json quantize_and_eval(const std::string& onnx, const std::string& data, const std::string& dir) {
    const auto q = test::run_cli({"quantize", onnx, "--calib", data, "--target", "esp32s3", "-o", dir + "/m.espdl"});
    EXPECT_EQ(q.exit_code, 0) << q.err;
    const auto r = test::run_cli({"eval", dir + "/m.espdl", "--data", data, "--reference", onnx, "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(r.out);
}

TEST(CliEval, FourDimensionalOutputIsComparedInTheOnnxLayout) {
    // x [1,3,8,8] -> Conv (8 channels, stride 2) -> feat [1,8,4,4]; feat -> GlobalAveragePool -> Flatten -> Gemm
    // -> logits [1,5]. feat is stored [1,4,4,8].
    test::OnnxBuilder b;
    b.input("x", {1, 3, 8, 8}).weights("w", {8, 3, 3, 3}).weights("bias", {8});
    b.node("Conv", {"x", "w", "bias"}, {"feat"})
        .attr("pads", std::vector<int64_t>{1, 1, 1, 1})
        .attr("strides", std::vector<int64_t>{2, 2});
    b.node("GlobalAveragePool", {"feat"}, {"pooled"}).node("Flatten", {"pooled"}, {"flat"});
    b.weights("fc", {5, 8}).node("Gemm", {"flat", "fc"}, {"logits"}).attr("transB", int64_t{1});
    b.output("feat").output("logits");
    const std::string onnx = b.save("eval4d.onnx");
    const std::string dir = test::fresh_dir("eval4d");
    const int64_t n = 24;
    const Tensor data = random_samples(n, {3, 8, 8}, 11);
    save_npy(dir + "/x.npy", data);

    const auto j = quantize_and_eval(onnx, dir + "/x.npy", dir);
    const Expected x = independent(onnx, dir + "/m.espdl", data, n);
    ASSERT_EQ(j["outputs"].size(), 2u) << j.dump();
    EXPECT_EQ(j["outputs"][0]["name"], "feat");
    EXPECT_NEAR(j["outputs"][0]["sqnr_db"].get<double>(), db(x.signal[0], x.noise[0]), 1e-6);
    EXPECT_NEAR(j["outputs"][1]["sqnr_db"].get<double>(), db(x.signal[1], x.noise[1]), 1e-6);
    EXPECT_NEAR(j["sqnr_db"].get<double>(), db(x.signal[0] + x.signal[1], x.noise[0] + x.noise[1]), 1e-6);
    // int8 on a 3x3 convolution of uniform data: far above the ~0 dB or less that comparing NHWC with NCHW gives.
    EXPECT_GT(j["outputs"][0]["sqnr_db"].get<double>(), 20.0);
    // Top-1 agreement only for the class vector.
    EXPECT_FALSE(j["outputs"][0].contains("top1_agreement")) << j.dump();
    EXPECT_FALSE(j.contains("top1_agreement")) << "the first output is not a class vector";
    EXPECT_NEAR(j["outputs"][1]["top1_agreement"].get<double>(), 100.0 * x.agree[1] / n, 1e-9);

    const auto text = test::run_cli({"eval", dir + "/m.espdl", "--data", dir + "/x.npy", "--reference", onnx});
    ASSERT_EQ(text.exit_code, 0) << text.err;
    EXPECT_NE(text.out.find("output 'feat': SQNR"), std::string::npos) << text.out;
    EXPECT_EQ(text.out.find("output 'feat': SQNR " + std::string(64, ' ')), std::string::npos);
    EXPECT_NE(text.out.find("output 'logits': SQNR"), std::string::npos) << text.out;
    EXPECT_EQ(text.out.find("top-1 agreement"), text.out.rfind("top-1 agreement")) << "only logits: " << text.out;

    // The same numbers on one thread and on two (partial sums are merged in sample order).
    const auto one = test::run_cli(
        {"eval", dir + "/m.espdl", "--data", dir + "/x.npy", "--reference", onnx, "--json", "--threads", "1"});
    ASSERT_EQ(one.exit_code, 0) << one.err;
    EXPECT_EQ(nlohmann::json::parse(one.out)["outputs"], j["outputs"]);
}

TEST(CliEval, ThreeDimensionalInputAndOutput) {
    // x [1,4,16] -> Conv1d (6 channels) -> y [1,6,16], stored [1,16,6]; the input is stored [1,16,4].
    test::OnnxBuilder b;
    b.input("x", {1, 4, 16}).weights("w", {6, 4, 3}).weights("bias", {6});
    b.node("Conv", {"x", "w", "bias"}, {"y"}).attr("pads", std::vector<int64_t>{1, 1});
    b.output("y");
    const std::string onnx = b.save("eval3d.onnx");
    const std::string dir = test::fresh_dir("eval3d");
    const int64_t n = 20;
    const Tensor data = random_samples(n, {4, 16}, 5);
    save_npy(dir + "/x.npy", data);

    const auto j = quantize_and_eval(onnx, dir + "/x.npy", dir);
    EXPECT_EQ(read_espdl(dir + "/m.espdl").graph.value(read_espdl(dir + "/m.espdl").graph.outputs[0]).shape,
              (Shape{1, 16, 6}));
    const Expected x = independent(onnx, dir + "/m.espdl", data, n);
    ASSERT_EQ(j["outputs"].size(), 1u) << j.dump();
    EXPECT_NEAR(j["sqnr_db"].get<double>(), db(x.signal[0], x.noise[0]), 1e-6);
    EXPECT_NEAR(j["outputs"][0]["sqnr_db"].get<double>(), db(x.signal[0], x.noise[0]), 1e-6);
    EXPECT_GT(j["sqnr_db"].get<double>(), 20.0);
    EXPECT_FALSE(j.contains("top1_agreement")) << "a [1,6,16] output is no class vector";

    // Without the float model the input layout follows the lowering's rule (a Conv reads it: NWC), so a 3-D
    // input is evaluated too (it used to be refused in both layouts).
    {
        std::ofstream labels(dir + "/labels.txt");
        for (int64_t i = 0; i < n; ++i) labels << "0\n";
    }
    const auto labelled =
        test::run_cli({"eval", dir + "/m.espdl", "--data", dir + "/x.npy", "--labels", dir + "/labels.txt", "--json"});
    ASSERT_EQ(labelled.exit_code, 0) << labelled.err;
    EXPECT_EQ(nlohmann::json::parse(labelled.out)["samples"], n);
}

TEST(CliEval, AmbiguousLayoutIsRefused) {
    // Output [1,4,4,4]: channels-first and channels-last have the same shape and the file does not say which.
    test::OnnxBuilder b;
    b.input("x", {1, 4, 4, 4}).weights("w", {4, 4, 1, 1});
    b.node("Conv", {"x", "w"}, {"y"});
    b.output("y");
    const std::string onnx = b.save("eval_square.onnx");
    const std::string dir = test::fresh_dir("eval_square");
    save_npy(dir + "/x.npy", random_samples(8, {4, 4, 4}, 3));
    const auto q = test::run_cli({"quantize", onnx, "--calib", dir + "/x.npy", "-o", dir + "/m.espdl"});
    ASSERT_EQ(q.exit_code, 0) << q.err;
    test::expect_user_error(test::run_cli({"eval", dir + "/m.espdl", "--data", dir + "/x.npy", "--reference", onnx}),
                            "channels-first and channels-last alike");
}

}  // namespace

namespace {

TEST(ModelRunner, QuantizesFloatInputWithTheTargetsTieRule) {
    // ESP32-P4 rounds half to even (S3 half up); the runner quantizes float samples as the chip's
    // dl::tool::round does. x = (k + 1/2) * 2^e lies exactly half-way between two integers.
    test::OnnxBuilder b;
    b.input("x", {1, 64}).node("Relu", {"x"}, {"y"}).output("y");
    const std::string onnx = b.save("ties.onnx");
    const std::string dir = test::fresh_dir("ties");
    save_npy(dir + "/calib.npy", random_samples(8, {64}, 9));
    const auto q =
        test::run_cli({"quantize", onnx, "--calib", dir + "/calib.npy", "--target", "esp32p4", "-o", dir + "/m.espdl"});
    ASSERT_EQ(q.exit_code, 0) << q.err;
    const EspdlModel m = read_espdl(dir + "/m.espdl");
    const int e_in = static_cast<int>(m.graph.value(m.graph.inputs[0]).exponents.at(0));
    const int e_out = static_cast<int>(m.graph.value(m.graph.outputs[0]).exponents.at(0));
    ASSERT_EQ(e_in, e_out) << "Relu keeps the exponent, so a rounding difference reaches the output";

    Tensor x(DType::Float32, {1, 64});
    Tensor half_even(DType::Int8, {1, 64}), half_up(DType::Int8, {1, 64});
    for (int64_t k = 0; k < 64; ++k) {
        x.data<float>()[k] = std::ldexp(static_cast<float>(k) + 0.5f, e_in);
        half_even.data<int8_t>()[k] = static_cast<int8_t>(k % 2 == 0 ? k : k + 1);
        half_up.data<int8_t>()[k] = static_cast<int8_t>(k + 1);
    }
    const auto runner = ModelRunner::open(dir + "/m.espdl", "", {});
    const auto dequantized = [&](const Tensor& raw) {
        std::vector<double> v = raw.as_doubles();
        for (double& d : v) d = std::ldexp(d, e_out);
        return v;
    };
    EXPECT_EQ(runner->run(x).at(0).as_doubles(), dequantized(runner->run_raw(half_even).at(0)));
    EXPECT_NE(runner->run(x).at(0).as_doubles(), dequantized(runner->run_raw(half_up).at(0)));
}

}  // namespace
