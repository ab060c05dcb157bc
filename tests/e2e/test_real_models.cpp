// The three real models of tests/data/real (FastestDet, PP-OCRv4 det, PP-OCRv4 rec: trained by others, exported by
// torch and paddle2onnx) through the whole pipeline, as a user runs them, without any edit to the ONNX:
//  - the float executor against ONNX Runtime on real images (tests/data/golden/real_*, tools/make_goldens.mjs);
//  - quantize at int8 and int16 on esp32s3 and esp32p4, calibrated on images kept apart from the evaluation
//    images, re-read from the written bytes, the embedded test vectors verified bit-exactly;
//  - the emulated model against ORT's outputs (output SQNR), with bars below what was measured (see each case).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "espq/dataset.hpp"
#include "espq/emulator.hpp"
#include "espq/espdl.hpp"
#include "espq/float_executor.hpp"
#include "espq/npy.hpp"
#include "espq/onnx_import.hpp"
#include "espq/pipeline.hpp"
#include "espq/verify.hpp"
#include "support.hpp"

using namespace espq;

namespace {

struct RealModel {
    const char* name;    // folder under tests/data/real and golden/real_<name>
    const char* file;    // the ONNX file in that folder
    Shape input_shape;   // fixed with --input-shape for the dynamic Paddle models
    ColorMode color;
    double scale;
    std::vector<float> mean, std;
    // Output SQNR bars against ORT, about 3 dB under what was measured on S3 / P4 with these images and MSE
    // calibration (int16: FastestDet 27.0 / 26.8, det 32.3 / 32.0, rec 38.6 / 43.1 dB: usable models, and a broken
    // lowering falls far below). int8 is the known weakness of per-tensor power-of-two int8 on these models
    // (FastestDet 7.0 / 13.7, det 4.1 / 6.5, rec 8.4 / 8.0 dB measured); its bar guards the function computed
    // (a wrong layout or exponent gives <= 0 dB), not usefulness.
    double int8_bar, int16_bar;
};

const std::vector<RealModel>& real_models() {
    static const std::vector<RealModel> m = {
        {"fastestdet", "FastestDet.onnx", {1, 3, 352, 352}, ColorMode::Bgr, 1.0 / 255, {}, {}, 4.0, 23.0},
        {"ppocrv4_det", "ch_PP-OCRv4_det_infer.onnx", {1, 3, 320, 320}, ColorMode::Bgr, 1.0 / 255,
         {0.485f, 0.456f, 0.406f}, {0.229f, 0.224f, 0.225f}, 1.5, 28.0},
        {"ppocrv4_rec", "ch_PP-OCRv4_rec_infer.onnx", {1, 3, 48, 320}, ColorMode::Bgr, 1.0 / 127.5, {1.f}, {1.f},
         5.0, 34.0},
    };
    return m;
}

Graph load(const RealModel& m) {
    OnnxImportOptions o;
    if (std::string(m.name) != "fastestdet") o.input_shapes["x"] = m.input_shape;  // the Paddle models are dynamic
    return load_onnx(test::data_path(std::string("real/") + m.name + "/" + m.file), o);
}

SampleSource calibration(const RealModel& m, const Graph& g) {
    DatasetOptions o;
    o.preprocess.color = m.color;
    o.preprocess.resize_width = m.input_shape[3];
    o.preprocess.resize_height = m.input_shape[2];
    o.preprocess.scale = m.scale;
    o.preprocess.mean = m.mean;
    o.preprocess.std = m.std;
    const Value& in = g.value(g.inputs[0]);
    auto ds = std::make_shared<Dataset>(
        Dataset::open(test::data_path(std::string("real/") + m.name + "/calib"), ModelInput{in.name, in.shape}, o));
    return SampleSource{ds->size(), [ds](size_t i) { return std::vector<Tensor>{ds->sample(i)}; }};
}

// Sample i of a stacked golden .npy, shaped like one model input / output.
Tensor sample(const Tensor& stacked, int64_t i, Shape shape) {
    Tensor t(DType::Float32, shape);
    const int64_t n = t.numel();
    std::copy(stacked.data<float>() + i * n, stacked.data<float>() + (i + 1) * n, t.data<float>());
    return t;
}

Shape batch_one(Shape s) {
    s[0] = 1;
    return s;
}

}  // namespace

TEST(RealModels, FloatExecutorMatchesOnnxRuntimeOnRealImages) {
    for (const RealModel& m : real_models()) {
        const Graph g = load(m);
        const std::string dir = test::data_path(std::string("golden/real_") + m.name);
        const Tensor inputs = load_npy(dir + "/input.npy"), outputs = load_npy(dir + "/output.npy");
        const FloatExecutor fe(g);
        const double range = test::max_abs(outputs);  // over every sample: one image may have no text at all
        for (int64_t i = 0; i < inputs.shape()[0]; ++i) {
            const Tensor want = sample(outputs, i, batch_one(outputs.shape()));
            const Tensor got = fe.run({sample(inputs, i, m.input_shape)})[0];
            ASSERT_EQ(got.shape(), want.shape()) << m.name;
            // Float reassociation only: within 1e-4 of the output's range (measured 8e-5 at worst).
            EXPECT_LE(test::max_abs_diff(got, want), 1e-4 * range) << m.name << " sample " << i;
        }
    }
}

TEST(RealModels, QuantizeVerifyAndMatchOnnxRuntime) {
    for (const RealModel& m : real_models()) {
        const Graph g = load(m);
        const SampleSource calib = calibration(m, g);
        const std::string dir = test::data_path(std::string("golden/real_") + m.name);
        const Tensor inputs = load_npy(dir + "/input.npy"), outputs = load_npy(dir + "/output.npy");
        for (Target target : {Target::ESP32S3, Target::ESP32P4})
            for (int bits : {8, 16}) {
                QuantizeOptions o;
                o.plan.target = target;
                o.plan.bits = bits;
                o.plan.method = CalibMethod::MSE;  // the default's refinement adds minutes and < 1 dB here
                const QuantizeResult r = quantize_model(g, calib, o);
                // What the device loads: the written bytes, read back; their test vectors bit-exact.
                const EspdlModel file = read_espdl_bytes(write_espdl_bytes(r.lowered.model), m.name);
                const TestVectorReport v = verify_test_vectors(file, target);
                EXPECT_TRUE(v.pass) << m.name << " " << target_name(target) << " int" << bits;
                const Emulator emu(file.graph, target);
                double signal = 0, noise = 0;
                for (int64_t i = 0; i < inputs.shape()[0]; ++i) {
                    const Tensor x = quantize_input(r.lowered, 0, sample(inputs, i, m.input_shape));
                    const Tensor y = dequantize_output(r.lowered, 0, emu.run({x})[0]);
                    const Tensor f = sample(outputs, i, batch_one(outputs.shape()));
                    ASSERT_EQ(y.shape(), f.shape());
                    for (int64_t k = 0; k < f.numel(); ++k) {
                        const double a = f.data<float>()[k], d = y.data<float>()[k] - a;
                        signal += a * a;
                        noise += d * d;
                    }
                }
                const double sqnr = 10 * std::log10(signal / std::max(noise, 1e-30));
                std::printf("[ info ] %-12s %-8s int%-2d output SQNR %6.2f dB (%zu nodes)\n", m.name,
                            target_name(target), bits, sqnr, file.graph.nodes.size());
                EXPECT_GE(sqnr, bits == 8 ? m.int8_bar : m.int16_bar) << m.name << " " << target_name(target);
            }
    }
}
