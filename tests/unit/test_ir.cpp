// Unit tests of the graph IR: construction, topological sort, dead-code removal, verification.
#include <gtest/gtest.h>

#include "espq/ir.hpp"

using namespace espq;

namespace {
Graph chain() {
    // x -> Relu -> a -> Neg -> b (output); an unused Sigmoid branch hangs off a.
    Graph g;
    g.name = "t";
    auto val = [&](const std::string& n) {
        Value v;
        v.name = n;
        v.shape = {1, 4};
        v.shape_known = true;
        return g.add_value(v);
    };
    int x = val("x"), a = val("a"), b = val("b"), c = val("c");
    g.inputs = {x};
    g.outputs = {b};
    g.add_node(Node{"n2", "Neg", "", {a}, {b}, {}});
    g.add_node(Node{"n1", "Relu", "", {x}, {a}, {}});
    g.add_node(Node{"n3", "Sigmoid", "", {a}, {c}, {}});
    return g;
}
}  // namespace

TEST(Graph, TopoSortOrdersProducersFirstAndIsStable) {
    Graph g = chain();
    EXPECT_THROW(g.verify(), InternalError);  // n2 reads a before n1 produces it
    g.topo_sort();
    ASSERT_EQ(g.nodes.size(), 3u);
    EXPECT_EQ(g.nodes[0].name, "n1");
    EXPECT_EQ(g.nodes[1].name, "n2");
    EXPECT_EQ(g.nodes[2].name, "n3");
    g.verify();
    g.topo_sort();  // already sorted: unchanged
    EXPECT_EQ(g.nodes[1].name, "n2");
}

TEST(Graph, RemoveDeadCodeDropsUnusedBranchAndValues) {
    Graph g = chain();
    g.topo_sort();
    g.remove_dead_code();
    g.verify();
    EXPECT_EQ(g.nodes.size(), 2u);
    EXPECT_EQ(g.find("c"), -1);
    EXPECT_GE(g.find("b"), 0);
    EXPECT_EQ(g.value(g.outputs[0]).name, "b");
}

TEST(Graph, ConsumersAndProducers) {
    Graph g = chain();
    g.topo_sort();
    auto prod = g.producers();
    auto cons = g.consumers();
    int a = g.value_id("a");
    EXPECT_EQ(g.nodes[prod[a]].name, "n1");
    ASSERT_EQ(cons[a].size(), 2u);
    EXPECT_EQ(prod[g.value_id("x")], -1);
}

TEST(Graph, ReplaceUsesRedirectsInputsAndOutputs) {
    Graph g = chain();
    g.topo_sort();
    int a = g.value_id("a"), b = g.value_id("b");
    g.replace_uses(b, a);
    EXPECT_EQ(g.outputs[0], a);
    g.remove_dead_code();
    g.verify();
    EXPECT_EQ(g.nodes.size(), 1u);
    EXPECT_EQ(g.nodes[0].op_type, "Relu");
}

TEST(Graph, CycleIsAUserError) {
    Graph g;
    Value v;
    v.name = "p";
    int p = g.add_value(v);
    v.name = "q";
    int q = g.add_value(v);
    g.add_node(Node{"a", "Relu", "", {p}, {q}, {}});
    g.add_node(Node{"b", "Relu", "", {q}, {p}, {}});
    EXPECT_THROW(g.topo_sort(), UserError);
}

TEST(Graph, UniqueNameAvoidsValuesAndNodes) {
    Graph g = chain();
    EXPECT_EQ(g.unique_name("zz"), "zz");
    EXPECT_EQ(g.unique_name("a"), "a_1");
    EXPECT_EQ(g.unique_name("n1"), "n1_1");
}

TEST(Tensor, CastAndAccessors) {
    Tensor t = Tensor::from<float>({2, 2}, {1.5f, -2.f, 3.f, 4.9f});
    Tensor i = t.cast(DType::Int32);
    EXPECT_EQ(i.to_vector<int32_t>(), (std::vector<int32_t>{1, -2, 3, 4}));
    EXPECT_THROW(t.data<int8_t>(), InternalError);
    EXPECT_EQ(shape_str(t.shape()), "2x2");
    EXPECT_EQ(t.as_int64s()[2], 3);
}
