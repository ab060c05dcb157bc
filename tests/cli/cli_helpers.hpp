// Helpers shared by the CLI tests: scratch folders, file listings, the one-line-error check, and a small ONNX
// model builder (libonnx's protobuf classes) for models made inside a test.
#pragma once

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "support.hpp"

namespace espq::test {

inline std::string slurp(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

inline void write_bytes(const std::string& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary) << bytes;
}

// An empty folder under this test process's temporary directory.
inline std::string fresh_dir(const std::string& name) {
    const std::string d = temp_dir() + "/" + name;
    std::filesystem::remove_all(d);
    std::filesystem::create_directories(d);
    return d;
}

// Every entry below `dir` (relative paths, sorted), hidden files included.
inline std::vector<std::string> list_dir(const std::string& dir) {
    std::vector<std::string> v;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir))
        v.push_back(std::filesystem::relative(e.path(), dir).string());
    std::sort(v.begin(), v.end());
    return v;
}

inline std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> v;
    size_t start = 0;
    while (start < text.size()) {
        size_t end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        v.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return v;
}

// A user error as the CLI reports it: exit code 1, nothing on stdout, and on stderr exactly one line starting
// with "espq: error: " - the last one (plain progress lines may precede it) - that contains `needle`.
inline void expect_user_error(const RunResult& r, const std::string& needle) {
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_EQ(r.out, "") << "stdout must stay clean on errors";
    const auto lines = lines_of(r.err);
    ASSERT_FALSE(lines.empty()) << "no message on stderr";
    int error_lines = 0;
    for (const auto& l : lines) error_lines += l.rfind("espq: error: ", 0) == 0;
    EXPECT_EQ(error_lines, 1) << r.err;
    EXPECT_EQ(lines.back().rfind("espq: error: ", 0), 0u) << r.err;
    EXPECT_NE(lines.back().find(needle), std::string::npos) << "expected '" << needle << "' in: " << r.err;
}

// Same, and the output folder holds exactly what it held before the command (nothing left behind).
inline void expect_user_error_leaving(const RunResult& r, const std::string& needle, const std::string& dir,
                                      const std::vector<std::string>& before) {
    expect_user_error(r, needle);
    EXPECT_EQ(list_dir(dir), before) << "a failed command must leave " << dir << " unchanged";
}

// Builds a small ONNX model: `OnnxBuilder b; b.input("x", {1, 4, 8, 8}); b.node("Relu", {"x"}, {"y"}); ...`.
class OnnxBuilder {
public:
    explicit OnnxBuilder(int opset = 13) {
        model_.set_ir_version(8);
        model_.add_opset_import()->set_version(opset);
        model_.mutable_graph()->set_name("test");
    }
    // A float input; a negative dimension is symbolic ("dim_param").
    OnnxBuilder& input(const std::string& name, const std::vector<int64_t>& dims) {
        auto* vi = model_.mutable_graph()->add_input();
        vi->set_name(name);
        auto* tt = vi->mutable_type()->mutable_tensor_type();
        tt->set_elem_type(onnx::TensorProto::FLOAT);
        for (size_t i = 0; i < dims.size(); ++i) {
            auto* d = tt->mutable_shape()->add_dim();
            if (dims[i] < 0) d->set_dim_param("d" + std::to_string(i));
            else d->set_dim_value(dims[i]);
        }
        return *this;
    }
    OnnxBuilder& initializer(const std::string& name, const std::vector<int64_t>& dims, const std::vector<float>& values) {
        auto* t = model_.mutable_graph()->add_initializer();
        t->set_name(name);
        t->set_data_type(onnx::TensorProto::FLOAT);
        for (auto d : dims) t->add_dims(d);
        for (float v : values) t->add_float_data(v);
        return *this;
    }
    // Initializer of the given shape with deterministic small values.
    OnnxBuilder& weights(const std::string& name, const std::vector<int64_t>& dims) {
        int64_t n = 1;
        for (auto d : dims) n *= d;
        std::vector<float> v(static_cast<size_t>(n));
        for (int64_t i = 0; i < n; ++i) v[i] = 0.05f * static_cast<float>((i * 7) % 11 - 5);
        return initializer(name, dims, v);
    }
    OnnxBuilder& node(const std::string& op, const std::vector<std::string>& inputs,
                      const std::vector<std::string>& outputs, const std::string& name = "") {
        auto* n = model_.mutable_graph()->add_node();
        n->set_op_type(op);
        n->set_name(name.empty() ? op + "_" + std::to_string(model_.graph().node_size()) : name);
        for (const auto& i : inputs) n->add_input(i);
        for (const auto& o : outputs) n->add_output(o);
        return *this;
    }
    // Attributes of the last node.
    OnnxBuilder& attr(const std::string& name, int64_t v) {
        auto* a = last_attr(name);
        a->set_type(onnx::AttributeProto::INT);
        a->set_i(v);
        return *this;
    }
    OnnxBuilder& attr(const std::string& name, const std::vector<int64_t>& v) {
        auto* a = last_attr(name);
        a->set_type(onnx::AttributeProto::INTS);
        for (auto x : v) a->add_ints(x);
        return *this;
    }
    OnnxBuilder& output(const std::string& name) {
        model_.mutable_graph()->add_output()->set_name(name);
        return *this;
    }
    // Writes the model to temp_dir()/<file> and returns the path.
    std::string save(const std::string& file) const {
        const std::string p = temp_dir() + "/" + file;
        std::ofstream f(p, std::ios::binary);
        model_.SerializeToOstream(&f);
        return p;
    }
    onnx::ModelProto& proto() { return model_; }

private:
    onnx::AttributeProto* last_attr(const std::string& name) {
        auto* g = model_.mutable_graph();
        auto* a = g->mutable_node(g->node_size() - 1)->add_attribute();
        a->set_name(name);
        return a;
    }
    onnx::ModelProto model_;
};

}  // namespace espq::test
