// ONNX loading: constants, static shapes, shape sub-graph folding, and one-line errors on bad input.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "espq/float_executor.hpp"
#include "espq/onnx_import.hpp"
#include "support.hpp"

using namespace espq;
namespace fs = std::filesystem;

namespace {

void set_shape(onnx::ValueInfoProto* vi, const std::vector<int64_t>& dims, bool dynamic_batch = false) {
    vi->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
    auto* shape = vi->mutable_type()->mutable_tensor_type()->mutable_shape();
    for (size_t i = 0; i < dims.size(); ++i) {
        auto* d = shape->add_dim();
        if (dims[i] < 0 || (i == 0 && dynamic_batch)) d->set_dim_param(i == 0 ? "batch" : "h");
        else d->set_dim_value(dims[i]);
    }
}

onnx::ModelProto base_model(int64_t opset = 13) {
    onnx::ModelProto m;
    m.set_ir_version(8);
    auto* op = m.add_opset_import();
    op->set_domain("");
    op->set_version(opset);
    m.mutable_graph()->set_name("g");
    return m;
}

std::string save(const onnx::ModelProto& m, const std::string& name) {
    std::string p = test::temp_dir() + "/" + name;
    std::ofstream f(p, std::ios::binary);
    m.SerializeToOstream(&f);
    return p;
}

onnx::NodeProto* add_node(onnx::GraphProto* g, const std::string& op, std::vector<std::string> in,
                          std::vector<std::string> out, const std::string& name = "") {
    auto* n = g->add_node();
    n->set_op_type(op);
    n->set_name(name);
    for (auto& s : in) n->add_input(s);
    for (auto& s : out) n->add_output(s);
    return n;
}

void add_float_initializer(onnx::GraphProto* g, const std::string& name, const std::vector<int64_t>& dims,
                           const std::vector<float>& v) {
    auto* t = g->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    for (auto d : dims) t->add_dims(d);
    for (float x : v) t->add_float_data(x);
}

// x[?,3,4,4] -> Relu -> Mul(scale initializer) -> y
onnx::ModelProto relu_mul_model(bool dynamic_batch) {
    auto m = base_model();
    auto* g = m.mutable_graph();
    set_shape(g->add_input(), {1, 3, 4, 4}, dynamic_batch);
    g->mutable_input(0)->set_name("x");
    add_float_initializer(g, "scale", {1, 3, 1, 1}, {1.f, 2.f, -3.f});
    add_node(g, "Relu", {"x"}, {"r"}, "relu");
    add_node(g, "Mul", {"r", "scale"}, {"y"}, "mul");
    g->add_output()->set_name("y");
    return m;
}

std::string load_error(const std::string& path, const OnnxImportOptions& o = {}) {
    try {
        load_onnx(path, o);
    } catch (const UserError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST(OnnxLoader, DynamicBatchBecomesOneAndRuns) {
    const std::string p = save(relu_mul_model(true), "relu_mul.onnx");
    Graph g = load_onnx(p);
    ASSERT_EQ(g.inputs.size(), 1u);
    EXPECT_EQ(g.value(g.inputs[0]).shape, (Shape{1, 3, 4, 4}));
    EXPECT_EQ(g.value(g.outputs[0]).shape, (Shape{1, 3, 4, 4}));
    FloatExecutor ex(g);
    Tensor x(DType::Float32, {1, 3, 4, 4});
    for (int i = 0; i < 48; ++i) x.data<float>()[i] = static_cast<float>(i % 7) - 3.f;
    auto y = ex.run({x});
    for (int i = 0; i < 48; ++i) {
        const float scale[3] = {1.f, 2.f, -3.f};
        EXPECT_FLOAT_EQ(y[0].data<float>()[i], std::max(0.f, x.data<float>()[i]) * scale[i / 16]);
    }
}

TEST(OnnxLoader, InitializerListedAsInputIsAConstant) {
    auto m = relu_mul_model(false);
    set_shape(m.mutable_graph()->add_input(), {1, 3, 1, 1});
    m.mutable_graph()->mutable_input(1)->set_name("scale");  // older exporters list weights as inputs
    Graph g = load_onnx(save(m, "init_as_input.onnx"));
    EXPECT_EQ(g.inputs.size(), 1u);
    EXPECT_TRUE(g.value(g.value_id("scale")).is_constant());
}

TEST(OnnxLoader, ShapeSubgraphIsFoldedToAStaticReshape) {
    // y = Reshape(x, Concat(Gather(Shape(x), 0), [-1]))  -- the classic torch.flatten export.
    auto m = base_model();
    auto* g = m.mutable_graph();
    set_shape(g->add_input(), {1, 2, 3, 4});
    g->mutable_input(0)->set_name("x");
    add_node(g, "Shape", {"x"}, {"s"});
    auto* idx = add_node(g, "Constant", {}, {"i0"});
    auto* a = idx->add_attribute();
    a->set_name("value");
    a->set_type(onnx::AttributeProto::TENSOR);
    a->mutable_t()->set_data_type(onnx::TensorProto::INT64);
    a->mutable_t()->add_int64_data(0);
    add_node(g, "Gather", {"s", "i0"}, {"n"});
    add_node(g, "Unsqueeze", {"n", "ax"}, {"n1"});
    auto* ax = g->add_initializer();
    ax->set_name("ax");
    ax->set_data_type(onnx::TensorProto::INT64);
    ax->add_dims(1);
    ax->add_int64_data(0);
    auto* minus1 = g->add_initializer();
    minus1->set_name("m1");
    minus1->set_data_type(onnx::TensorProto::INT64);
    minus1->add_dims(1);
    minus1->add_int64_data(-1);
    auto* cat = add_node(g, "Concat", {"n1", "m1"}, {"shape"});
    auto* cax = cat->add_attribute();
    cax->set_name("axis");
    cax->set_type(onnx::AttributeProto::INT);
    cax->set_i(0);
    add_node(g, "Reshape", {"x", "shape"}, {"y"});
    g->add_output()->set_name("y");
    Graph graph = load_onnx(save(m, "flatten.onnx"));
    ASSERT_EQ(graph.nodes.size(), 1u) << "only the Reshape should remain";
    EXPECT_EQ(graph.nodes[0].op_type, "Reshape");
    EXPECT_EQ(graph.value(graph.outputs[0]).shape, (Shape{1, 24}));
}

TEST(OnnxLoader, OtherDynamicDimNeedsInputShape) {
    auto m = relu_mul_model(false);
    auto* d = m.mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape()->mutable_dim(2);
    d->clear_dim_value();
    d->set_dim_param("h");
    const std::string p = save(m, "dyn_h.onnx");
    std::string err = load_error(p);
    EXPECT_NE(err.find("input 'x'"), std::string::npos) << err;
    EXPECT_NE(err.find("--input-shape x=1"), std::string::npos) << err;
    OnnxImportOptions o;
    o.input_shapes["x"] = {1, 3, 4, 4};
    EXPECT_EQ(load_onnx(p, o).value(0).name.empty(), false);
    o.input_shapes["nope"] = {1};
    EXPECT_NE(load_error(p, o).find("'nope'"), std::string::npos);
}

TEST(OnnxLoader, MissingFileIsOneLineUserError) {
    std::string err = load_error("/nonexistent/model.onnx");
    EXPECT_NE(err.find("/nonexistent/model.onnx: no such file"), std::string::npos) << err;
    EXPECT_EQ(err.find('\n'), std::string::npos);
}

TEST(OnnxLoader, TruncatedAndGarbageFilesAreUserErrors) {
    std::ifstream f(test::data_path("bench/gesture_mbv2.onnx"), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    ASSERT_GT(bytes.size(), 1000u);
    for (size_t cut : {size_t{0}, size_t{7}, bytes.size() / 3, bytes.size() - 5}) {
        std::string p = test::temp_dir() + "/trunc_" + std::to_string(cut) + ".onnx";
        std::ofstream(p, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(cut));
        std::string err = load_error(p);
        EXPECT_FALSE(err.empty()) << "cut at " << cut;
        EXPECT_NE(err.find(p), std::string::npos) << err;
        EXPECT_EQ(err.find('\n'), std::string::npos) << err;
    }
    std::string p = test::temp_dir() + "/garbage.onnx";
    std::ofstream(p, std::ios::binary) << "this is not a protobuf at all \xff\xff\xff\xff";
    EXPECT_NE(load_error(p).find("not a valid ONNX protobuf"), std::string::npos);
}

TEST(OnnxLoader, UnsupportedOperatorsAreListedBeforeAnyWork) {
    auto m = relu_mul_model(false);
    add_node(m.mutable_graph(), "NonMaxSuppression", {"y"}, {"z"}, "nms");
    auto* custom = add_node(m.mutable_graph(), "FusedConv", {"y"}, {"w"}, "fc");
    custom->set_domain("com.microsoft");
    std::string err = load_error(save(m, "unsupported.onnx"));
    EXPECT_NE(err.find("unsupported operator 'NonMaxSuppression' at node 'nms'"), std::string::npos) << err;
    EXPECT_NE(err.find("'com.microsoft::FusedConv' at node 'fc'"), std::string::npos) << err;
}

TEST(OnnxLoader, ExternalDataIsRefused) {
    auto m = relu_mul_model(false);
    auto* t = m.mutable_graph()->mutable_initializer(0);
    t->clear_float_data();
    t->set_data_location(onnx::TensorProto::EXTERNAL);
    auto* e = t->add_external_data();
    e->set_key("location");
    e->set_value("weights.bin");
    std::string err = load_error(save(m, "external.onnx"));
    EXPECT_NE(err.find("initializer 'scale'"), std::string::npos) << err;
    EXPECT_NE(err.find("external data"), std::string::npos) << err;
}

TEST(OnnxLoader, NaNWeightsAreRefusedNamingTheTensor) {
    auto m = relu_mul_model(false);
    m.mutable_graph()->mutable_initializer(0)->set_float_data(1, std::nanf(""));
    std::string err = load_error(save(m, "nan.onnx"));
    EXPECT_NE(err.find("initializer 'scale'"), std::string::npos) << err;
    EXPECT_NE(err.find("NaN"), std::string::npos) << err;
}

TEST(OnnxLoader, UnsupportedOpsetIsRefused) {
    auto m = relu_mul_model(false);
    m.mutable_opset_import(0)->set_version(5);
    EXPECT_NE(load_error(save(m, "opset5.onnx")).find("opset 5 is not supported"), std::string::npos);
}

TEST(OnnxLoader, DanglingInputIsRefused) {
    auto m = relu_mul_model(false);
    add_node(m.mutable_graph(), "Relu", {"ghost"}, {"g2"}, "reads_ghost");
    std::string err = load_error(save(m, "dangling.onnx"));
    EXPECT_NE(err.find("'ghost'"), std::string::npos) << err;
}

TEST(OnnxLoader, BenchModelsLoadWithStaticShapes) {
    for (const char* name : {"fmnist_cnn", "gesture_mbv2", "fmnist_mbv3", "fmnist_mbv3_bn"}) {
        Graph g = load_onnx(test::data_path(std::string("bench/") + name + ".onnx"));
        ASSERT_EQ(g.inputs.size(), 1u) << name;
        EXPECT_EQ(g.value(g.outputs[0]).shape, (Shape{1, 10})) << name;
        for (const auto& v : g.values) EXPECT_TRUE(v.shape_known) << name << " " << v.name;
    }
}
