#include "espq/op_probes.hpp"

#include <algorithm>
#include <cstring>

#include "espq/error.hpp"

namespace espq {

namespace {

int onnx_elem_type(DType t) {
    switch (t) {
        case DType::Float32: return onnx::TensorProto::FLOAT;
        case DType::Int64: return onnx::TensorProto::INT64;
        case DType::Int32: return onnx::TensorProto::INT32;
        default: throw InternalError(std::string("op probe: no ONNX type for ") + dtype_name(t));
    }
}

void fill_tensor(onnx::TensorProto* p, const Tensor& t) {
    p->set_data_type(onnx_elem_type(t.dtype()));
    for (int64_t d : t.shape()) p->add_dims(d);
    p->set_raw_data(std::string(reinterpret_cast<const char*>(t.raw()), t.nbytes()));
}

// Small deterministic weights in [-0.5, 0.5): the probes test support, not accuracy.
Tensor weights(const Shape& shape, uint32_t seed = 1) {
    Tensor t(DType::Float32, shape);
    uint32_t s = seed * 2654435761u + 12345u;
    for (int64_t i = 0; i < t.numel(); ++i) {
        s = s * 1664525u + 1013904223u;
        t.data<float>()[i] = static_cast<float>(s >> 8) / static_cast<float>(1u << 24) - 0.5f;
    }
    return t;
}

Tensor ints(const std::vector<int64_t>& v) { return Tensor::from<int64_t>({static_cast<int64_t>(v.size())}, v); }
Tensor floats(const std::vector<float>& v) { return Tensor::from<float>({static_cast<int64_t>(v.size())}, v); }
Tensor scalar(float v) { return Tensor::scalar<float>(v); }

const Shape kImage = {1, 4, 8, 8};

// x -> op -> y for single-input operators with default attributes.
void unary(ProbeModel& m, const std::string& op) { m.output(m.node1(op, {m.input(kImage)})); }

// op(x1, x2) on two same-shaped activations (a residual Add, a gate Mul).
void binary(ProbeModel& m, const std::string& op) {
    const std::string a = m.input(kImage), b = m.input(kImage);
    m.output(m.node1(op, {a, b}));
}

// x -> Relu -> op -> y: for operators that exist to be removed (their input is computed, as in real models).
void after_relu(ProbeModel& m, const std::string& op) {
    const std::string r = m.node1("Relu", {m.input(kImage)});
    m.output(m.node1(op, {r}));
}

void reduce(ProbeModel& m, const std::string& op) {
    const std::string x = m.input(kImage);
    // ReduceSum takes axes as an input from opset 13, the others from opset 18 (an attribute in 17).
    if (op == "ReduceSum") {
        m.output(m.node1(op, {x, m.constant(ints({2, 3}))}));
    } else {
        m.output(m.node1(op, {x}));
        m.attr("axes", std::vector<int64_t>{2, 3});
    }
}

std::vector<OpProbe> make_probes() {
    std::vector<OpProbe> p;
    auto add = [&](std::string op, std::function<void(ProbeModel&)> build, int opset = 17) {
        p.push_back({std::move(op), std::move(build), opset});
    };
    for (const char* op : {"Add", "Sub"})
        add(op, [op](ProbeModel& m) { binary(m, op); });
    add("Mul", [](ProbeModel& m) { binary(m, "Mul"); });
    add("Div", [](ProbeModel& m) { m.output(m.node1("Div", {m.input(kImage), m.constant(scalar(2.f))})); });
    add("Pow", [](ProbeModel& m) { m.output(m.node1("Pow", {m.input(kImage), m.constant(scalar(2.f))})); });
    // A clamp by a constant, as tf2onnx writes ReLU6 (Max(x, 0) becomes a Relu, tested in the pass tests).
    add("Max", [](ProbeModel& m) { m.output(m.node1("Max", {m.input(kImage), m.constant(scalar(-0.5f))})); });
    add("Min", [](ProbeModel& m) { m.output(m.node1("Min", {m.constant(scalar(1.f)), m.input(kImage)})); });

    add("Conv", [](ProbeModel& m) {
            // A regular and a depthwise convolution, the two kernels ESP-DL has.
            const std::string a = m.node1("Conv", {m.input(kImage), m.constant(weights({8, 4, 3, 3})),
                                                   m.constant(weights({8}, 2))});
            m.attr("pads", std::vector<int64_t>{1, 1, 1, 1});
            const std::string b = m.node1("Conv", {a, m.constant(weights({8, 1, 3, 3}, 3)), m.constant(weights({8}, 4))});
            m.attr("group", int64_t{8}).attr("strides", std::vector<int64_t>{2, 2});
            m.output(b);
        });
    add("ConvTranspose", [](ProbeModel& m) {
        // A regular 2x upsampling (kernel 4, pads 1) and a depthwise one with output_padding: ESP-DL runs each as
        // InsertZeros followed by a regular or a depthwise Conv.
        const std::string a = m.node1("ConvTranspose", {m.input(kImage), m.constant(weights({4, 8, 4, 4})),
                                                        m.constant(weights({8}, 2))});
        m.attr("strides", std::vector<int64_t>{2, 2}).attr("pads", std::vector<int64_t>{1, 1, 1, 1});
        const std::string b =
            m.node1("ConvTranspose", {a, m.constant(weights({8, 1, 3, 3}, 3)), m.constant(weights({8}, 4))});
        m.attr("group", int64_t{8})
            .attr("strides", std::vector<int64_t>{2, 2})
            .attr("pads", std::vector<int64_t>{1, 1, 1, 1})
            .attr("output_padding", std::vector<int64_t>{1, 1});
        m.output(b);
    });
    add("BatchNormalization", [](ProbeModel& m) {
        const std::string c = m.node1("Conv", {m.input(kImage), m.constant(weights({4, 4, 1, 1}))});
        const Tensor var = Tensor::from<float>({4}, {1.f, 0.5f, 2.f, 1.5f});
        m.output(m.node1("BatchNormalization", {c, m.constant(weights({4}, 5)), m.constant(weights({4}, 6)),
                                                m.constant(weights({4}, 7)), m.constant(var)}));
    });
    add("Gemm", [](ProbeModel& m) {
        m.output(m.node1("Gemm", {m.input({1, 16}), m.constant(weights({8, 16})), m.constant(weights({8}, 2))}));
        m.attr("transB", int64_t{1});
    });
    add("MatMul", [](ProbeModel& m) {
        // Both forms: by a constant matrix (becomes a Gemm) and attention's Q x K^T of two activations, with the
        // head dimension broadcast (K computed once for 2 heads of Q).
        m.output(m.node1("MatMul", {m.input({1, 16}), m.constant(weights({16, 8}))}));
        const std::string k = m.node1("Transpose", {m.input({1, 1, 20, 8})});
        m.attr("perm", std::vector<int64_t>{0, 1, 3, 2});
        m.output(m.node1("MatMul", {m.input({1, 2, 5, 8}), k}));
    });

    add("MaxPool", [](ProbeModel& m) {
        m.output(m.node1("MaxPool", {m.input(kImage)}));
        m.attr("kernel_shape", std::vector<int64_t>{3, 3})
            .attr("strides", std::vector<int64_t>{2, 2})
            .attr("pads", std::vector<int64_t>{1, 1, 1, 1});
    });
    add("AveragePool", [](ProbeModel& m) {
            m.output(m.node1("AveragePool", {m.input(kImage)}));
            m.attr("kernel_shape", std::vector<int64_t>{2, 2}).attr("strides", std::vector<int64_t>{2, 2});
        });
    add("GlobalAveragePool", [](ProbeModel& m) { unary(m, "GlobalAveragePool"); });
    add("GlobalMaxPool", [](ProbeModel& m) { unary(m, "GlobalMaxPool"); });

    for (const char* op : {"Sigmoid", "Tanh", "HardSigmoid", "HardSwish", "LeakyRelu", "Elu", "Exp"})
        add(op, [op](ProbeModel& m) { unary(m, op); });
    for (const char* op : {"Log", "Sqrt"})
        add(op, [op](ProbeModel& m) {
            m.positive_samples = true;
            unary(m, op);
        });
    add("Gelu", [](ProbeModel& m) { unary(m, "Gelu"); }, 20);
    add("Relu", [](ProbeModel& m) { unary(m, "Relu"); });
    add("Swish", [](ProbeModel& m) { unary(m, "Swish"); });
    add("Neg", [](ProbeModel& m) { unary(m, "Neg"); });
    add("Clip", [](ProbeModel& m) {
        m.output(m.node1("Clip", {m.input(kImage), m.constant(scalar(0.f)), m.constant(scalar(6.f))}));
    });
    add("PRelu", [](ProbeModel& m) {
        m.output(m.node1("PRelu", {m.input(kImage), m.constant(floats({0.25f}))}));
    });
    for (const char* op : {"Softmax", "LogSoftmax"})
        add(op, [op](ProbeModel& m) { m.output(m.node1(op, {m.input({1, 10})})); });
    add("LayerNormalization", [](ProbeModel& m) {
        m.output(m.node1("LayerNormalization", {m.input({1, 10, 16}), m.constant(weights({16})),
                                                m.constant(weights({16}, 2))}));
    });

    add("Concat", [](ProbeModel& m) {
        const std::string a = m.input(kImage), b = m.input(kImage);
        m.output(m.node1("Concat", {a, b}));
        m.attr("axis", int64_t{1});
    });
    add("Reshape", [](ProbeModel& m) { m.output(m.node1("Reshape", {m.input(kImage), m.constant(ints({1, -1}))})); });
    add("Flatten", [](ProbeModel& m) { unary(m, "Flatten"); });
    add("Transpose", [](ProbeModel& m) {
        m.output(m.node1("Transpose", {m.input(kImage)}));
        m.attr("perm", std::vector<int64_t>{0, 2, 3, 1});
    });
    add("Squeeze", [](ProbeModel& m) { m.output(m.node1("Squeeze", {m.input({1, 16, 1}), m.constant(ints({2}))})); });
    add("Unsqueeze", [](ProbeModel& m) { m.output(m.node1("Unsqueeze", {m.input({1, 16}), m.constant(ints({2}))})); });
    add("Slice", [](ProbeModel& m) {
        m.output(m.node1("Slice", {m.input(kImage), m.constant(ints({1, 1})), m.constant(ints({7, 7})),
                                   m.constant(ints({2, 3}))}));
    });
    add("Split", [](ProbeModel& m) {
        const auto outs = m.node("Split", {m.input(kImage), m.constant(ints({2, 2}))}, 2);
        m.attr("axis", int64_t{1});
        for (const auto& o : outs) m.output(o);
    });
    add("Gather", [](ProbeModel& m) {
        m.output(m.node1("Gather", {m.input(kImage), m.constant(ints({0, 2}))}));
        m.attr("axis", int64_t{1});
    });
    add("Pad", [](ProbeModel& m) {
        m.output(m.node1("Pad", {m.input(kImage), m.constant(ints({0, 0, 1, 1, 0, 0, 1, 1})), m.constant(scalar(0.f))}));
    });
    add("Resize", [](ProbeModel& m) {
        const Tensor scales = floats({1.f, 1.f, 2.f, 2.f});
        const std::string a = m.node1("Resize", {m.input(kImage), "", m.constant(scales)});
        m.attr("mode", std::string("nearest"));
        m.output(m.node1("Resize", {a, "", m.constant(scales)}));
        m.attr("mode", std::string("linear"));
    });
    for (const char* op : {"DepthToSpace", "SpaceToDepth"})
        add(op, [op](ProbeModel& m) {
            m.output(m.node1(op, {m.input(kImage)}));
            m.attr("blocksize", int64_t{2});
        });
    for (const char* op : {"ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceSumSquare",
                           "ReduceL1", "ReduceL2", "ReduceLogSum"})
        add(op, [op](ProbeModel& m) { reduce(m, op); });

    // Operators that are removed or folded before lowering.
    add("Identity", [](ProbeModel& m) { after_relu(m, "Identity"); });
    add("Dropout", [](ProbeModel& m) { after_relu(m, "Dropout"); });
    add("Constant", [](ProbeModel& m) {
        const std::string x = m.input(kImage);
        const std::string c = m.node1("Constant", {});
        m.attr("value", weights({1, 4, 1, 1}));
        m.output(m.node1("Add", {x, c}));
    });
    add("ConstantOfShape", [](ProbeModel& m) {
        const std::string x = m.input(kImage);
        const std::string c = m.node1("ConstantOfShape", {m.constant(ints({1, 4, 1, 1}))});
        m.attr("value", Tensor::from<float>({1}, {0.5f}));
        m.output(m.node1("Add", {x, c}));
    });
    add("Shape", [](ProbeModel& m) {
        const std::string x = m.input(kImage);
        const std::string s = m.node1("Shape", {x});
        m.output(m.node1("Reshape", {x, s}));
    });
    add("Cast", [](ProbeModel& m) {
        const std::string x = m.input(kImage);
        const std::string c = m.node1("Cast", {m.constant(Tensor::from<int64_t>({1}, {2}))});
        m.attr("to", int64_t{onnx::TensorProto::FLOAT});
        m.output(m.node1("Add", {x, c}));
    });
    std::sort(p.begin(), p.end(), [](const OpProbe& a, const OpProbe& b) { return a.op < b.op; });
    return p;
}

}  // namespace

ProbeModel::ProbeModel(int opset) {
    model_.set_ir_version(8);
    model_.set_producer_name("espq ops");
    model_.add_opset_import()->set_version(opset);
    model_.mutable_graph()->set_name("probe");
}

std::string ProbeModel::input(const Shape& shape) {
    const std::string name = input_shapes_.empty() ? "x" : "x" + std::to_string(input_shapes_.size() + 1);
    auto* vi = model_.mutable_graph()->add_input();
    vi->set_name(name);
    auto* tt = vi->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(onnx::TensorProto::FLOAT);
    for (int64_t d : shape) tt->mutable_shape()->add_dim()->set_dim_value(d);
    input_shapes_.push_back(shape);
    return name;
}

std::string ProbeModel::constant(const Tensor& t) {
    auto* p = model_.mutable_graph()->add_initializer();
    p->set_name("c" + std::to_string(counter_++));
    fill_tensor(p, t);
    return p->name();
}

std::vector<std::string> ProbeModel::node(const std::string& op, const std::vector<std::string>& inputs, int outputs) {
    auto* n = model_.mutable_graph()->add_node();
    n->set_op_type(op);
    const int id = counter_++;
    if (op == probed_op_) {
        n->set_name(probe_nodes_ == 0 ? "probe" : "probe_" + std::to_string(probe_nodes_));
        ++probe_nodes_;
    } else {
        n->set_name(op + "_" + std::to_string(id));
    }
    for (const auto& i : inputs) n->add_input(i);
    std::vector<std::string> outs;
    for (int k = 0; k < outputs; ++k) {
        outs.push_back("t" + std::to_string(id) + "_" + std::to_string(k));
        n->add_output(outs.back());
    }
    return outs;
}

void ProbeModel::output(const std::string& name) { model_.mutable_graph()->add_output()->set_name(name); }

onnx::AttributeProto* ProbeModel::add_attr(const std::string& name) {
    auto* g = model_.mutable_graph();
    if (g->node_size() == 0) throw InternalError("op probe: attribute before any node");
    auto* a = g->mutable_node(g->node_size() - 1)->add_attribute();
    a->set_name(name);
    return a;
}

ProbeModel& ProbeModel::attr(const std::string& name, int64_t v) {
    auto* a = add_attr(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
    return *this;
}

ProbeModel& ProbeModel::attr(const std::string& name, float v) {
    auto* a = add_attr(name);
    a->set_type(onnx::AttributeProto::FLOAT);
    a->set_f(v);
    return *this;
}

ProbeModel& ProbeModel::attr(const std::string& name, const std::string& v) {
    auto* a = add_attr(name);
    a->set_type(onnx::AttributeProto::STRING);
    a->set_s(v);
    return *this;
}

ProbeModel& ProbeModel::attr(const std::string& name, const std::vector<int64_t>& v) {
    auto* a = add_attr(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (int64_t x : v) a->add_ints(x);
    return *this;
}

ProbeModel& ProbeModel::attr(const std::string& name, const Tensor& v) {
    auto* a = add_attr(name);
    a->set_type(onnx::AttributeProto::TENSOR);
    fill_tensor(a->mutable_t(), v);
    return *this;
}

const std::vector<OpProbe>& op_probes() {
    static const std::vector<OpProbe> probes = make_probes();
    return probes;
}

}  // namespace espq
