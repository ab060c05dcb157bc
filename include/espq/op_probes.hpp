// Probe models for the supported-operator table (`espq ops`): for every ONNX operator espq can read, a tiny
// ONNX model that uses it the way exported models do. The table is not written by hand: each probe is
// quantized with the real pipeline for every target and bit width, and what succeeds is what the table says.
#pragma once

#include <onnx/onnx_pb.h>

#include <functional>
#include <string>
#include <vector>

#include "espq/tensor.hpp"

namespace espq {

// Builds an ONNX model by name: graph inputs, initializers, nodes and outputs.
class ProbeModel {
public:
    explicit ProbeModel(int opset);

    // A float graph input; its shape is also the shape of the probe's calibration samples.
    std::string input(const Shape& shape);
    std::string constant(const Tensor& t);
    // The node under test is named "probe" (op_type == the probed operator); helpers get "pre_N"/"post_N".
    // Returns the names of the node's outputs.
    std::vector<std::string> node(const std::string& op, const std::vector<std::string>& inputs,
                                  int outputs = 1);
    std::string node1(const std::string& op, const std::vector<std::string>& inputs) { return node(op, inputs)[0]; }
    void output(const std::string& name);

    // Attributes of the most recently added node.
    ProbeModel& attr(const std::string& name, int64_t v);
    ProbeModel& attr(const std::string& name, float v);
    ProbeModel& attr(const std::string& name, const std::string& v);
    ProbeModel& attr(const std::string& name, const std::vector<int64_t>& v);
    ProbeModel& attr(const std::string& name, const Tensor& v);

    // Set by the probe: calibration samples strictly positive (Log, Sqrt).
    bool positive_samples = false;

    const onnx::ModelProto& proto() const { return model_; }
    const std::vector<Shape>& input_shapes() const { return input_shapes_; }
    const std::string& probed_op() const { return probed_op_; }
    void set_probed_op(const std::string& op) { probed_op_ = op; }

private:
    onnx::AttributeProto* add_attr(const std::string& name);
    onnx::ModelProto model_;
    std::vector<Shape> input_shapes_;
    std::string probed_op_;
    int counter_ = 0;
    int probe_nodes_ = 0;  // nodes of the probed op so far (names probe, probe_1, ...)
};

// The restrictions a user must know about an operator are in the support table (espq/support.hpp), not here.
struct OpProbe {
    std::string op;
    std::function<void(ProbeModel&)> build;
    int opset = 17;
};

// One probe per operator of the float operator registry (what the ONNX loader accepts), sorted by op name.
const std::vector<OpProbe>& op_probes();

}  // namespace espq
