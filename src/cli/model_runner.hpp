// Runs either kind of model on float samples: an ONNX model with the float executor, or an .espdl model with
// the emulator (float input quantized with the model's input exponent; outputs dequantized to float).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "espq/dataset.hpp"
#include "espq/tensor.hpp"
#include "espq/target.hpp"

namespace espq::cli {

class ModelRunner {
public:
    // `target` is used for .espdl models ("" = from the file's metadata, else an error asking for --target).
    static std::unique_ptr<ModelRunner> open(const std::string& path, const std::string& target,
                                             const std::vector<std::string>& input_shapes);
    virtual ~ModelRunner() = default;
    virtual ModelInput input() const = 0;       // name and shape the samples must have
    virtual bool channels_last() const = 0;     // true for .espdl image inputs (stored NHWC)
    // Float in, float out (dequantized). Thread-safe.
    virtual std::vector<Tensor> run(const Tensor& sample) const = 0;
    // Raw mode (.espdl only): integers in/out as stored; for ONNX same as run().
    virtual std::vector<Tensor> run_raw(const Tensor& sample) const = 0;
    virtual std::string describe() const = 0;
};

}  // namespace espq::cli
