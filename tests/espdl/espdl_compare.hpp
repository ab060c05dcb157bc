// Field-by-field comparison of two EspdlModels for the .espdl tests (GoogleTest expectations).
#pragma once

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <type_traits>
#include <variant>

#include "espq/espdl.hpp"

namespace espq::test {

inline bool same_tensor(const Tensor& a, const Tensor& b) {
    return a.dtype() == b.dtype() && a.shape() == b.shape() && a.nbytes() == b.nbytes() &&
           (a.nbytes() == 0 || std::memcmp(a.raw(), b.raw(), a.nbytes()) == 0);
}

inline bool same_attribute(const Attribute& a, const Attribute& b) {
    if (a.value.index() != b.value.index()) return false;
    return std::visit(
        [&](const auto& va) {
            using T = std::decay_t<decltype(va)>;
            const T& vb = std::get<T>(b.value);
            if constexpr (std::is_same_v<T, Tensor>) return same_tensor(va, vb);
            else return va == vb;
        },
        a.value);
}

inline void expect_same_named_tensors(const std::vector<NamedTensor>& a, const std::vector<NamedTensor>& b,
                                      const char* what) {
    ASSERT_EQ(a.size(), b.size()) << what;
    for (size_t i = 0; i < a.size(); ++i) {
        EXPECT_EQ(a[i].name, b[i].name) << what;
        EXPECT_EQ(a[i].exponents, b[i].exponents) << what << " " << a[i].name;
        EXPECT_TRUE(same_tensor(a[i].tensor, b[i].tensor)) << what << " " << a[i].name;
    }
}

inline void expect_same_model(const EspdlModel& a, const EspdlModel& b) {
    const Graph& x = a.graph;
    const Graph& y = b.graph;
    EXPECT_EQ(x.name, y.name);
    EXPECT_EQ(x.semantics, y.semantics);
    EXPECT_EQ(x.ir_version, y.ir_version);
    EXPECT_EQ(x.opset_imports, y.opset_imports);
    EXPECT_EQ(x.metadata, y.metadata);
    EXPECT_EQ(a.model_version, b.model_version);
    EXPECT_EQ(a.doc_string, b.doc_string);
    ASSERT_EQ(x.values.size(), y.values.size());
    for (size_t i = 0; i < x.values.size(); ++i) {
        const Value& v = x.values[i];
        const Value& w = y.values[i];
        SCOPED_TRACE("value " + v.name);
        EXPECT_EQ(v.name, w.name);
        EXPECT_EQ(v.dtype, w.dtype);
        EXPECT_EQ(v.shape, w.shape);
        EXPECT_EQ(v.shape_known, w.shape_known);
        EXPECT_EQ(v.exponents, w.exponents);
        EXPECT_EQ(v.doc_string, w.doc_string);
        ASSERT_EQ(v.is_constant(), w.is_constant());
        if (v.is_constant()) {
            EXPECT_TRUE(same_tensor(*v.constant, *w.constant));
        }
    }
    ASSERT_EQ(x.nodes.size(), y.nodes.size());
    for (size_t i = 0; i < x.nodes.size(); ++i) {
        const Node& n = x.nodes[i];
        const Node& m = y.nodes[i];
        SCOPED_TRACE("node " + n.name);
        EXPECT_EQ(n.name, m.name);
        EXPECT_EQ(n.op_type, m.op_type);
        EXPECT_EQ(n.domain, m.domain);
        EXPECT_EQ(n.inputs, m.inputs);
        EXPECT_EQ(n.outputs, m.outputs);
        ASSERT_EQ(n.attrs.size(), m.attrs.size());
        for (const auto& [key, value] : n.attrs) {
            ASSERT_TRUE(m.attrs.count(key)) << key;
            EXPECT_TRUE(same_attribute(value, m.attrs.at(key))) << key;
        }
    }
    EXPECT_EQ(x.inputs, y.inputs);
    EXPECT_EQ(x.outputs, y.outputs);
    EXPECT_EQ(a.has_test_values, b.has_test_values);
    expect_same_named_tensors(a.test_inputs, b.test_inputs, "test input");
    expect_same_named_tensors(a.test_outputs, b.test_outputs, "test output");
}

}  // namespace espq::test
