// .info text against ESP-PPQ's own output for the same .espdl (tests/data/ppq: the model and a trimmed copy of
// ESP-PPQ's .info; the full original is checked by length and FNV-1a hash), and against hand-computed
// Python / numpy repr text for the corner cases the real file lacks.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "espq/espdl.hpp"
#include "support.hpp"

namespace espq {
namespace {

using test::data_path;

uint64_t fnv1a64(const std::string& s) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (unsigned char c : s) {
        h ^= c;
        h *= 0x100000001b3ull;
    }
    return h;
}

std::vector<std::string> split_lines(const std::string& s) {
    std::vector<std::string> lines;
    size_t start = 0;
    while (true) {
        const size_t nl = s.find('\n', start);
        lines.push_back(s.substr(start, nl == std::string::npos ? std::string::npos : nl - start));
        if (nl == std::string::npos) return lines;
        start = nl + 1;
    }
}

// Keeps the first and the last line of every "value: array(...)" block (the rule the committed
// expected file was trimmed with).
std::string trim_arrays(const std::string& text) {
    const auto lines = split_lines(text);
    std::vector<std::string> out;
    for (size_t i = 0; i < lines.size(); ++i) {
        if (lines[i].rfind("value: array(", 0) != 0) {
            out.push_back(lines[i]);
            continue;
        }
        size_t j = i;
        auto ends = [&](const std::string& l) {
            const size_t last = l.find_last_not_of(" \t");
            return last != std::string::npos && l[last] == ')';
        };
        while (j + 1 < lines.size() && !ends(lines[j])) ++j;
        out.push_back(lines[i]);
        if (j > i) out.push_back(lines[j]);
        i = j;
    }
    std::string s;
    for (size_t i = 0; i < out.size(); ++i) s += (i ? "\n" : "") + out[i];
    return s;
}

std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

TEST(EspdlInfo, MatchesEspPpqInfoOfTheSameModelByteForByte) {
    const EspdlModel m = read_espdl(data_path("ppq/fmnist_mbv3_int8.espdl"));
    const std::string info = format_espdl_info(m);
    const std::string expected_trimmed = read_text(data_path("ppq/fmnist_mbv3_int8.info.trimmed"));
    ASSERT_FALSE(expected_trimmed.empty());
    const std::string ours_trimmed = trim_arrays(info);
    if (ours_trimmed != expected_trimmed) {
        const auto a = split_lines(ours_trimmed), b = split_lines(expected_trimmed);
        for (size_t i = 0; i < std::min(a.size(), b.size()); ++i)
            ASSERT_EQ(a[i], b[i]) << "first difference at trimmed line " << i + 1;
        ASSERT_EQ(a.size(), b.size());
    }
    // The untrimmed ESP-PPQ file (bench/ppq/fmnist_mbv3_int8.info): 1247397 bytes, no trailing newline.
    EXPECT_EQ(info.size(), 1247397u);
    EXPECT_EQ(fnv1a64(info), 0xde10ebba07205412ull);
    EXPECT_NE(info.back(), '\n');
}

// A one-node model whose initializers exercise the numpy formats the real file does not contain.
EspdlModel corner_case_model() {
    EspdlModel m;
    Graph& g = m.graph;
    g.semantics = Semantics::EspdlQuantized;
    g.name = "corner";
    g.metadata = {{"target", "esp32s3"}, {"note", "x"}};
    Value x;
    x.name = "x";
    x.dtype = DType::Int8;
    x.shape = {1, 3};
    x.shape_known = true;
    x.exponents = {-7};
    const int xi = g.add_value(x);
    auto add = [&](const std::string& name, Tensor t, const std::string& doc) {
        const int id = g.add_constant(name, std::move(t));
        g.value(id).exponents = {0};
        g.value(id).doc_string = doc;
        return id;
    };
    const int small = add("small", Tensor::from<float>({3}, {1e-5f, 0.5f, 0.0f}), "layout ==> UNK");
    const int mixed = add("mixed", Tensor::from<float>({3}, {0.1f, 0.25f, 3.0f}), "");
    const int longs = add("longs", Tensor::from<int64_t>({2}, {1, -20}), "layout ==> UNK");
    Tensor bools(DType::Bool, {2});
    bools.raw()[0] = 1;
    const int flags = add("flags", bools, "layout ==> UNK");
    const int scalar = add("scalar", Tensor::from<int16_t>({}, {-3}), "it's");
    Value y = x;
    y.name = "y";
    y.shape = {-1, 3};
    y.shape_known = false;
    const int yi = g.add_value(y);
    Node n;
    n.name = "n0";
    n.op_type = "Custom";
    n.inputs = {xi, small, mixed, longs, flags, scalar};
    n.outputs = {yi};
    n.attrs["s"] = "it's";
    n.attrs["f"] = 0.1f;
    n.attrs["fs"] = std::vector<float>{0.5f, 1e-5f};
    n.attrs["is"] = std::vector<int64_t>{1, -2};
    n.attrs["ss"] = std::vector<std::string>{"a", "b\"c"};
    n.attrs["long_string"] = std::string(70, 'z');
    g.add_node(n);
    g.inputs = {xi};
    g.outputs = {yi};
    return m;
}

TEST(EspdlInfo, PythonAndNumpyReprCornerCases) {
    const std::string info = format_espdl_info(corner_case_model());
    // Expected text written by hand from Python's repr and numpy 1.2x/2.x array repr rules.
    const std::string expected =
        "model properties:\n"
        "metadata_props:\n"
        "target: esp32s3\n"
        "note: x\n"
        "\n"
        "\n"
        "graph corner (\n"
        "  %x[INT8, 1x3], exponents: [-7]\n"
        ") initializers (\n"
        "  %small[FLOAT, 3]\n"
        "  %mixed[FLOAT, 3]\n"
        "  %longs[INT64, 2]\n"
        "  %flags[BOOL, 2]\n"
        "  %scalar[INT16, scalar]\n"
        ") {\n"
        "  %y = Custom[f = 0.100000001490116, fs = [0.5, 9.99999974737875e-06], is = [1, -2], "
        "long_string = '" + std::string(64, 'z') + "...<+len=6>', s = \"it's\", ss = ['a', 'b\"c']]"
        "(%x, %small, %mixed, %longs, %flags, %scalar)\n"
        "  return %y\n"
        "}\n"
        "\n"
        "\n"
        "initializers value:\n"
        "%small, shape: [3], exponents: [0], docString: b'layout ==> UNK', \n"
        "value: array([1.e-05, 5.e-01, 0.e+00, 0.e+00], dtype=float32)\n"
        "%mixed, shape: [3], exponents: [0], \n"
        "value: array([0.1 , 0.25, 3.  , 0.  ], dtype=float32)\n"
        "%longs, shape: [2], exponents: [0], docString: b'layout ==> UNK', \n"
        "value: array([  1, -20])\n"
        "%flags, shape: [2], exponents: [0], docString: b'layout ==> UNK', \n"
        "value: array([ True, False, False, False, False, False, False, False, False,\n"
        "       False, False, False, False, False, False, False])\n"
        "%scalar, shape: [], exponents: [0], docString: b\"it's\", \n"
        "value: array([-3,  0,  0,  0,  0,  0,  0,  0], dtype=int16)\n"
        "\n"
        "\n"
        "values info:\n"
        "%x[INT8, 1x3], exponents: [-7]\n"
        "%y[INT8, ?x3], exponents: [-7]\n"
        "\n"
        "\n"
        "test inputs value:\n"
        "\n"
        "\n"
        "\n"
        "test outputs value:\n";
    EXPECT_EQ(info, expected);
}

}  // namespace
}  // namespace espq
