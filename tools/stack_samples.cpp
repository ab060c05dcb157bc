// stack_samples: preprocess a folder of images exactly as `espq quantize --calib` does and write them stacked
// along the batch axis as one float32 .npy ([N, C, H, W] for a [1, C, H, W] model input). Used to make the inputs
// of the ONNX Runtime goldens of the real models (tests/data/real/README.md), so that ORT, the float executor
// and the quantized model all see the same numbers. Not part of the build: `cmake --build build --target
// espq_stack_samples`.
//
//   espq_stack_samples SOURCE OUT.npy 1,C,H,W COUNT COLOR RESIZE SCALE [MEAN STD]
//   e.g. espq_stack_samples photos/ x.npy 1,3,352,352 8 bgr 352x352 1/255
#include <cstdio>
#include <exception>
#include <string>

#include "espq/dataset.hpp"
#include "espq/npy.hpp"

using namespace espq;

int main(int argc, char** argv) {
    if (argc != 8 && argc != 10) {
        std::fprintf(stderr, "usage: %s SOURCE OUT.npy 1,C,H,W COUNT COLOR RESIZE SCALE [MEAN STD]\n", argv[0]);
        return 2;
    }
    try {
        ModelInput input{"input", {}};
        for (float d : parse_float_list(argv[3], "shape")) input.shape.push_back(static_cast<int64_t>(d));
        DatasetOptions o;
        o.count = static_cast<size_t>(std::stoul(argv[4]));
        o.preprocess.color = parse_color_mode(argv[5]);
        std::tie(o.preprocess.resize_width, o.preprocess.resize_height) = parse_resize(argv[6]);
        o.preprocess.scale = parse_scale(argv[7]);
        if (argc == 10) {
            o.preprocess.mean = parse_float_list(argv[8], "mean");
            o.preprocess.std = parse_float_list(argv[9], "std");
        }
        const Dataset data = Dataset::open(argv[1], input, o);
        Shape stacked = input.shape;
        stacked[0] = static_cast<int64_t>(data.size());
        Tensor out(DType::Float32, stacked);
        const int64_t per = shape_numel(input.shape);
        for (size_t i = 0; i < data.size(); ++i) {
            const Tensor s = data.sample(i);
            std::copy(s.data<float>(), s.data<float>() + per, out.data<float>() + static_cast<int64_t>(i) * per);
            std::printf("%zu %s\n", i, data.sample_name(i).c_str());
        }
        save_npy(argv[2], out);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
    return 0;
}
