// Runs either kind of model on float samples: an ONNX model with the float executor, or an .espdl model with
// the emulator (float input quantized with the model's input exponent and the target's tie rule, outputs
// dequantized to float; both by quantize_input / dequantize_output of espq/quantize.hpp).
//
// Layouts: an .espdl file stores image tensors channels-last (NHWC, NWC) where the ONNX model has them
// channels-first. A runner starts in the stored layout (what `espq run` takes and returns); use_onnx_layout()
// switches an .espdl runner to the ONNX layout, so that its samples and outputs line up element by element with
// the float model's (what `espq eval --reference` compares).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "espq/dataset.hpp"
#include "espq/ir.hpp"
#include "espq/target.hpp"
#include "espq/tensor.hpp"

namespace espq {

class ModelRunner {
public:
    // `target` is used for .espdl models ("" = from the file's metadata, else an error asking for --target).
    static std::unique_ptr<ModelRunner> open(const std::string& path, const std::string& target,
                                             const std::vector<std::string>& input_shapes);
    virtual ~ModelRunner() = default;

    // From now on samples and outputs are in the ONNX layout. For an .espdl model the permutation of each input
    // and output is derived from `reference` (the float model it was made from: same tensors, channels-first
    // shapes); without one, inputs follow the lowering's layout rule and outputs stay as stored. UserError when
    // a shape matches neither layout, or matches both with a different element order (ambiguous).
    virtual void use_onnx_layout(const Graph* reference) = 0;

    virtual ModelInput input() const = 0;  // name and shape the samples must have, in the current layout
    virtual std::vector<std::string> output_names() const = 0;
    // Float in, float out (dequantized), in the current layout. Thread-safe.
    virtual std::vector<Tensor> run(const Tensor& sample) const = 0;
    // Raw mode (.espdl only): integers in/out as stored; for ONNX same as run().
    virtual std::vector<Tensor> run_raw(const Tensor& sample) const = 0;
    virtual std::string describe() const = 0;
    // The float graph of an ONNX model (nullptr for an .espdl model).
    virtual const Graph* float_graph() const = 0;
};

// The permutation `stored = permute(onnx, perm)` of one tensor of an .espdl file, from the float model's shape
// of the same tensor: identity or channels-last (NCHW -> NHWC, NCW -> NWC). `what` names the tensor in errors.
std::vector<int> stored_layout_from_shapes(const std::string& what, const Shape& onnx, const Shape& stored);

}  // namespace espq
