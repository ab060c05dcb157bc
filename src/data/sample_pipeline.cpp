#include "data/sample_pipeline.hpp"

#include <cmath>

#include "data/image.hpp"

namespace espq::data {
namespace {

std::string dims_text(int64_t a, int64_t b) { return std::to_string(a) + "x" + std::to_string(b); }

bool plausible_channels(int64_t c) { return c >= 1 && c <= 4; }

Shape strip_leading_ones(Shape s, size_t min_rank) {
    while (s.size() > min_rank && s.front() == 1) s.erase(s.begin());
    return s;
}

}  // namespace

SamplePipeline::SamplePipeline(ModelInput input, Preprocess preprocess, std::string purpose)
    : input_(std::move(input)), pre_(std::move(preprocess)), purpose_(std::move(purpose)) {
    const std::string in_text = "model input '" + input_.name + "' (" + shape_str(input_.shape) + ")";
    for (int64_t d : input_.shape)
        check(d > 0, in_text + " has an unknown or zero dimension; data can only be fed to a static input shape");
    check(std::isfinite(pre_.scale) && pre_.scale != 0, "--scale must be a finite non-zero number");
    for (float s : pre_.std) check(s != 0 && std::isfinite(s), "--std must not contain 0 (it divides the data)");
    for (float m : pre_.mean) check(std::isfinite(m), "--mean must be finite numbers");

    int64_t channels = 1;
    if (image_input()) {
        const Shape& s = input_.shape;
        check(s[0] == 1, in_text + " has batch " + std::to_string(s[0]) +
                             "; samples are fed one at a time: export the model with batch size 1");
        target_ = pre_.layout == InputLayout::NCHW ? Dims{s[2], s[3], s[1]} : Dims{s[1], s[2], s[3]};
        channels = target_.channels;
        const std::string layout_hint = std::string(" (input layout ") + layout_name(pre_.layout) +
                                        "; use --layout " + (pre_.layout == InputLayout::NCHW ? "nhwc" : "nchw") +
                                        " if that is wrong)";
        if (pre_.color == ColorMode::Grayscale)
            check(target_.channels == 1, "--grayscale gives 1 channel but " + in_text + " has " +
                                             std::to_string(target_.channels) + layout_hint +
                                             (target_.channels == 3 ? ": use --rgb or --bgr" : ""));
        if (pre_.color == ColorMode::Rgb || pre_.color == ColorMode::Bgr)
            check(target_.channels == 3, std::string("--") + color_mode_name(pre_.color) + " gives 3 channels but " +
                                             in_text + " has " + std::to_string(target_.channels) + layout_hint +
                                             (target_.channels == 1 ? ": use --grayscale" : ""));
        if (pre_.resize_width > 0 || pre_.resize_height > 0)
            check(pre_.resize_width == target_.width && pre_.resize_height == target_.height,
                  "--resize " + dims_text(pre_.resize_width, pre_.resize_height) + " does not match " + in_text +
                      ", which needs " + dims_text(target_.width, target_.height) + " (width x height)" +
                      layout_hint + ": use --resize " + dims_text(target_.width, target_.height));
    } else {
        check(pre_.resize_width == 0 && pre_.resize_height == 0 && pre_.color == ColorMode::Keep,
              "--resize and colour conversion apply to 4-D image inputs only; " + in_text + " is not one");
        const int rank = static_cast<int>(input_.shape.size());
        if (rank >= 2) channel_axis_ = pre_.layout == InputLayout::NCHW ? 1 : rank - 1;
        if (channel_axis_ >= 0) channels = input_.shape[channel_axis_];
    }
    auto check_count = [&](const std::vector<float>& v, const char* flag) {
        check(v.empty() || v.size() == 1 || static_cast<int64_t>(v.size()) == channels,
              std::string(flag) + " has " + std::to_string(v.size()) + " values but " + in_text + " has " +
                  std::to_string(channels) + " channel(s): give one value, or one per channel");
    };
    check_count(pre_.mean, "--mean");
    check_count(pre_.std, "--std");
}

SamplePipeline::Dims SamplePipeline::after_preprocess(Dims in) const {
    Dims out = in;
    if (pre_.color == ColorMode::Grayscale) out.channels = 1;
    if (pre_.color == ColorMode::Rgb || pre_.color == ColorMode::Bgr) out.channels = 3;
    if (pre_.resize_width > 0) {
        out.width = pre_.resize_width;
        out.height = pre_.resize_height;
    }
    return out;
}

void SamplePipeline::shape_error(const std::string& sample_name, const std::string& sample_shape,
                                 const std::string& hint) const {
    fail(purpose_ + " sample '" + sample_name + "' has shape " + sample_shape + ", model input '" + input_.name +
         "' needs " + shape_str(input_.shape) + " (" + layout_name(pre_.layout) + "): " + hint);
}

void SamplePipeline::check_dims(const std::string& sample_name, const std::string& sample_shape, Dims in) const {
    if (pre_.color != ColorMode::Keep && !plausible_channels(in.channels))
        shape_error(sample_name, sample_shape,
                    "colour conversion needs data with 1 to 4 channels, this has " + std::to_string(in.channels));
    const Dims out = after_preprocess(in);
    if (out.height == target_.height && out.width == target_.width && out.channels == target_.channels) return;
    std::string hint;
    if (out.height != target_.height || out.width != target_.width)
        hint = "--resize " + dims_text(target_.width, target_.height);
    if (out.channels != target_.channels) {
        if (!hint.empty()) hint += " / ";
        hint += target_.channels == 1   ? "--grayscale"
                : target_.channels == 3 ? "--rgb (or --bgr)"
                                        : "data with " + std::to_string(target_.channels) + " channels";
    }
    shape_error(sample_name, sample_shape, "use " + hint);
}

void SamplePipeline::check_image(const std::string& sample_name, int64_t height, int64_t width,
                                 int64_t channels) const {
    if (!image_input())
        shape_error(sample_name, dims_text(height, width) + "x" + std::to_string(channels) + " (image HxWxC)",
                    "images can only feed a 4-D input; give a .npy with the input's shape");
    const std::string text = channels == 1 ? dims_text(height, width) + " (image HxW)"
                                           : dims_text(height, width) + "x" + std::to_string(channels) + " (image HxWxC)";
    check_dims(sample_name, text, {height, width, channels});
}

void SamplePipeline::check_finite(const float* values, size_t n, const std::string& sample_name,
                                  size_t source_index) const {
    for (size_t k = 0; k < n; ++k)
        if (!std::isfinite(values[k]))
            fail(purpose_ + " sample '" + sample_name + "' (sample index " + std::to_string(source_index) +
                 ") contains " + (std::isnan(values[k]) ? "NaN" : "Inf") + " at element " + std::to_string(k) +
                 ": remove or fix that sample");
}

float SamplePipeline::normalise(double x, int64_t channel) const {
    const double mean = pre_.mean.empty() ? 0.0 : pre_.mean[pre_.mean.size() == 1 ? 0 : channel];
    const double std = pre_.std.empty() ? 1.0 : pre_.std[pre_.std.size() == 1 ? 0 : channel];
    // In double and rounded once, so scale 1/255 gives the correctly rounded x / 255 (as torchvision's ToTensor).
    return static_cast<float>((x * pre_.scale - mean) / std);
}

Tensor SamplePipeline::run(const RawSample& raw, const std::string& sample_name) const {
    invariant(static_cast<int64_t>(raw.values.size()) == shape_numel(raw.shape), "RawSample: values != shape");
    if (image_input()) return run_image(raw, sample_name);
    if (raw.channels_last) {
        check_image(sample_name, raw.shape[0], raw.shape[1], raw.shape[2]);  // throws: images need 4-D inputs
    }
    return run_plain(raw, sample_name);
}

Tensor SamplePipeline::run_image(const RawSample& raw, const std::string& sample_name) const {
    Image img;
    std::string shape_text;
    if (raw.channels_last) {
        img.height = raw.shape[0];
        img.width = raw.shape[1];
        img.channels = raw.shape[2];
        img.pixels = raw.values;
        shape_text = img.channels == 1 ? dims_text(img.height, img.width) + " (image HxW)"
                                       : shape_str(raw.shape) + " (image HxWxC)";
    } else {
        const Shape s = strip_leading_ones(raw.shape, 3);
        shape_text = shape_str(raw.shape);
        bool channels_first = false;
        Dims dims{0, 0, 0};
        if (s.size() == 2) {
            dims = {s[0], s[1], 1};
        } else if (s.size() == 3) {
            // [C, H, W] or [H, W, C]: prefer what reaches the model's shape, then a believable channel
            // count (1..4), then the model's own layout.
            const Dims chw{s[1], s[2], s[0]}, hwc{s[0], s[1], s[2]};
            auto reaches_target = [&](Dims d) {
                const Dims o = after_preprocess(d);
                return o.height == target_.height && o.width == target_.width && o.channels == target_.channels;
            };
            const bool prefer_chw = pre_.layout == InputLayout::NCHW;
            auto score = [&](Dims d) { return (reaches_target(d) ? 2 : 0) + (plausible_channels(d.channels) ? 1 : 0); };
            const int chw_score = score(chw), hwc_score = score(hwc);
            channels_first = chw_score > hwc_score || (chw_score == hwc_score && prefer_chw);
            dims = channels_first ? chw : hwc;
            shape_text += channels_first ? " (CxHxW)" : " (HxWxC)";
        } else {
            shape_error(sample_name, shape_text,
                        "samples must be [H, W], [H, W, C] or [C, H, W] (array [N, H, W], ...)");
        }
        img = Image(dims.height, dims.width, dims.channels);
        const int64_t plane = dims.height * dims.width;
        for (int64_t y = 0; y < dims.height; ++y)
            for (int64_t x = 0; x < dims.width; ++x)
                for (int64_t c = 0; c < dims.channels; ++c)
                    img.at(y, x, c) = channels_first ? raw.values[static_cast<size_t>(c * plane + y * dims.width + x)]
                                                     : raw.values[static_cast<size_t>((y * dims.width + x) * dims.channels + c)];
    }
    check_dims(sample_name, shape_text, {img.height, img.width, img.channels});

    if (pre_.color == ColorMode::Grayscale) img = to_grayscale(img);
    if (pre_.color == ColorMode::Rgb) img = to_rgb(img);
    if (pre_.color == ColorMode::Bgr) img = to_bgr(img);
    if (pre_.resize_width > 0 && (img.height != pre_.resize_height || img.width != pre_.resize_width))
        img = resize_bilinear(img, pre_.resize_height, pre_.resize_width);
    invariant(img.height == target_.height && img.width == target_.width && img.channels == target_.channels,
              "SamplePipeline: preprocessed image does not have the checked shape");

    Tensor out(DType::Float32, input_.shape);
    float* dst = out.data<float>();
    const int64_t H = img.height, W = img.width, C = img.channels;
    for (int64_t y = 0; y < H; ++y)
        for (int64_t x = 0; x < W; ++x)
            for (int64_t c = 0; c < C; ++c) {
                const size_t at = pre_.layout == InputLayout::NCHW ? static_cast<size_t>((c * H + y) * W + x)
                                                                   : static_cast<size_t>((y * W + x) * C + c);
                dst[at] = normalise(img.at(y, x, c), c);
            }
    return out;
}

Tensor SamplePipeline::run_plain(const RawSample& raw, const std::string& sample_name) const {
    if (strip_leading_ones(raw.shape, 0) != strip_leading_ones(input_.shape, 0))
        shape_error(sample_name, shape_str(raw.shape), "give samples of exactly the input's shape (leading 1s aside)");
    Tensor out(DType::Float32, input_.shape);
    float* dst = out.data<float>();
    int64_t inner = 1, channels = 1;
    if (channel_axis_ >= 0) {
        channels = input_.shape[channel_axis_];
        for (size_t a = channel_axis_ + 1; a < input_.shape.size(); ++a) inner *= input_.shape[a];
    }
    for (size_t k = 0; k < raw.values.size(); ++k)
        dst[k] = normalise(raw.values[k], (static_cast<int64_t>(k) / inner) % channels);
    return out;
}

}  // namespace espq::data
