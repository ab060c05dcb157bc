#include "cli/data_options.hpp"

namespace espq::cli {

void DataFlags::add_to(CLI::App* app, const std::string& count_flag) {
    app->add_option("--" + count_flag, count, "Use at most N samples, chosen deterministically with --seed (0 = all)");
    app->add_option("--seed", seed, "Seed for choosing samples when a count limits them");
    app->add_option("--resize", resize, "Resize images to WxH (bilinear, PyTorch align_corners=False)");
    auto* g = app->add_flag("--grayscale", grayscale, "Convert images to one luma channel (BT.601, like PIL 'L')");
    auto* r = app->add_flag("--rgb", rgb, "Use RGB channel order (grey images are replicated)");
    auto* b = app->add_flag("--bgr", bgr, "Use BGR channel order");
    g->excludes(r)->excludes(b);
    r->excludes(b);
    app->add_option("--scale", scale, "Multiply pixel values by this factor first, e.g. 1/255");
    app->add_option("--mean", mean, "Subtract per-channel means after scaling, e.g. 0.485,0.456,0.406");
    app->add_option("--std", std, "Divide by per-channel standard deviations after the mean");
    app->add_option("--layout", layout, "Layout of the model input: nchw (ONNX default) or nhwc");
}

DatasetOptions DataFlags::options(const std::string& purpose) const {
    DatasetOptions o;
    o.count = count;
    o.seed = seed;
    o.purpose = purpose;
    Preprocess& p = o.preprocess;
    if (!resize.empty()) std::tie(p.resize_width, p.resize_height) = parse_resize(resize);
    p.color = grayscale ? ColorMode::Grayscale : rgb ? ColorMode::Rgb : bgr ? ColorMode::Bgr : ColorMode::Keep;
    p.scale = parse_scale(scale);
    if (!mean.empty()) p.mean = parse_float_list(mean, "--mean");
    if (!std.empty()) p.std = parse_float_list(std, "--std");
    p.layout = parse_layout(layout);
    return o;
}

}  // namespace espq::cli
