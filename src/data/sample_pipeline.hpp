// Turns a raw sample into a model input tensor (private to src/data; steps in espq/dataset.hpp).
#pragma once

#include <string>

#include "data/sample_source.hpp"
#include "espq/dataset.hpp"

namespace espq::data {

class SamplePipeline {
public:
    // Checks the options against the input (resize size, channel count of the colour mode, mean/std lengths).
    SamplePipeline(ModelInput input, Preprocess preprocess, std::string purpose);

    Tensor run(const RawSample& raw, const std::string& sample_name) const;
    // The shape check of run() for an image of known size, without its pixels (header-only early check).
    void check_image(const std::string& sample_name, int64_t height, int64_t width, int64_t channels) const;
    // UserError unless every value is finite, naming the sample and its index in the source.
    void check_finite(const float* values, size_t n, const std::string& sample_name, size_t source_index) const;

    const std::string& purpose() const { return purpose_; }
    const ModelInput& input() const { return input_; }
    const Preprocess& preprocess() const { return pre_; }

private:
    struct Dims {
        int64_t height, width, channels;
    };
    bool image_input() const { return input_.shape.size() == 4; }
    Dims after_preprocess(Dims in) const;
    void check_dims(const std::string& sample_name, const std::string& sample_shape, Dims in) const;
    [[noreturn]] void shape_error(const std::string& sample_name, const std::string& sample_shape,
                                  const std::string& hint) const;
    Tensor run_image(const RawSample& raw, const std::string& sample_name) const;
    Tensor run_plain(const RawSample& raw, const std::string& sample_name) const;
    float normalise(double x, int64_t channel) const;

    ModelInput input_;
    Preprocess pre_;
    std::string purpose_;
    Dims target_{0, 0, 0};  // image inputs: what one sample must become
    int channel_axis_ = -1;  // plain inputs: axis of per-channel mean/std, -1 when only one value is allowed
};

}  // namespace espq::data
