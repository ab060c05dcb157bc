// `espq check`: every node the target cannot run is listed with its name and a fix, before calibration.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "support.hpp"

namespace {

void float_input(onnx::ValueInfoProto* vi, const std::string& name, std::vector<int64_t> dims) {
    vi->set_name(name);
    vi->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
    for (auto d : dims) vi->mutable_type()->mutable_tensor_type()->mutable_shape()->add_dim()->set_dim_value(d);
}

void initializer(onnx::GraphProto* g, const std::string& name, std::vector<int64_t> dims) {
    auto* t = g->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    int64_t n = 1;
    for (auto d : dims) t->add_dims(d), n *= d;
    for (int64_t i = 0; i < n; ++i) t->add_float_data(0.01f * static_cast<float>(i % 7));
}

// x[1,8,8,8] -> grouped Conv (group 2, 8->8) -> MaxPool ceil_mode=1 -> Max(., const) -> y
std::string problem_model() {
    onnx::ModelProto m;
    m.set_ir_version(8);
    m.add_opset_import()->set_version(13);
    auto* g = m.mutable_graph();
    float_input(g->add_input(), "x", {1, 8, 8, 8});
    initializer(g, "w", {8, 4, 3, 3});
    initializer(g, "c", {1});
    auto* conv = g->add_node();
    conv->set_op_type("Conv");
    conv->set_name("grouped");
    conv->add_input("x");
    conv->add_input("w");
    conv->add_output("a");
    auto* at = conv->add_attribute();
    at->set_name("group");
    at->set_type(onnx::AttributeProto::INT);
    at->set_i(2);
    auto* pool = g->add_node();
    pool->set_op_type("MaxPool");
    pool->set_name("pool");
    pool->add_input("a");
    pool->add_output("b");
    auto* k = pool->add_attribute();
    k->set_name("kernel_shape");
    k->set_type(onnx::AttributeProto::INTS);
    k->add_ints(3);
    k->add_ints(3);
    auto* s = pool->add_attribute();
    s->set_name("strides");
    s->set_type(onnx::AttributeProto::INTS);
    s->add_ints(2);
    s->add_ints(2);
    auto* c = pool->add_attribute();
    c->set_name("ceil_mode");
    c->set_type(onnx::AttributeProto::INT);
    c->set_i(1);
    auto* mx = g->add_node();
    mx->set_op_type("Max");
    mx->set_name("max_const");
    mx->add_input("b");
    mx->add_input("c");
    mx->add_output("y");
    g->add_output()->set_name("y");
    const std::string p = espq::test::temp_dir() + "/problems.onnx";
    std::ofstream f(p, std::ios::binary);
    m.SerializeToOstream(&f);
    return p;
}

}  // namespace

TEST(CliCheck, ListsEveryProblemWithNodeAndFix) {
    const auto r = espq::test::run_cli({"check", problem_model(), "--json"});
    EXPECT_EQ(r.exit_code, 1) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_FALSE(j["ok"].get<bool>());
    const std::string all = j["problems"].dump();
    EXPECT_NE(all.find("'grouped'"), std::string::npos) << all;
    EXPECT_NE(all.find("split it into"), std::string::npos) << all;
    EXPECT_NE(all.find("'pool'"), std::string::npos) << all;
    EXPECT_NE(all.find("ceil_mode"), std::string::npos) << all;
    EXPECT_NE(all.find("'max_const'"), std::string::npos) << all;
    EXPECT_NE(all.find("replace Max(x, const) by Clip"), std::string::npos) << all;
}

TEST(CliCheck, BenchModelsPass) {
    for (const char* m : {"fmnist_cnn", "gesture_mbv2", "fmnist_mbv3", "fmnist_mbv3_bn"}) {
        const auto r = espq::test::run_cli({"check", espq::test::data_path(std::string("bench/") + m + ".onnx")});
        EXPECT_EQ(r.exit_code, 0) << m << r.out << r.err;
    }
}
