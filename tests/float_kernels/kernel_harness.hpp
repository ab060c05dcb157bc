// Test harness for single float operators: builds a one-node Graph by hand, runs the operator's `infer`, then
// `prepare` and `run`, the way the FloatExecutor does. Header-only so every tests/float_kernels/test_<op>.cpp can use it.
//
//   using namespace espq::test;
//   NodeSpec spec{"Conv", {runtime(x), constant(w)}, {{"pads", Attribute::Ints{1, 1, 1, 1}}}};
//   Tensor y = run_node(spec).at(0);                 // infer + prepare + run
//   const Value& out = infer_node(spec).output(0);   // shape inference only
//   EXPECT_TRUE(message_contains(infer_error(spec), "..."));  // the UserError infer raised ("" if none)
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "espq/float_ops.hpp"
#include "espq/ir.hpp"

namespace espq::test {

// One input of the node under test: a graph input fed at run time, a constant (initializer), or omitted.
struct NodeInput {
    enum class Kind { Runtime, Constant, Omitted };
    Kind kind = Kind::Omitted;
    Tensor tensor;
};
inline NodeInput runtime(Tensor t) { return {NodeInput::Kind::Runtime, std::move(t)}; }
inline NodeInput constant(Tensor t) { return {NodeInput::Kind::Constant, std::move(t)}; }
inline NodeInput omitted() { return {}; }

struct NodeSpec {
    std::string op_type;
    std::vector<NodeInput> inputs;
    Attributes attrs;
    int num_outputs = 1;
};

// The node's name in the graph, hence in every error message: "node 'under_test' (Op): ...".
inline const char* kNodeUnderTest = "under_test";

// A one-node graph whose output values have been filled in by the operator's `infer`.
struct SingleNodeGraph {
    Graph graph;
    std::vector<NodeInput::Kind> kinds;  // per node input
    std::vector<Tensor> feeds;           // per node input; only Runtime entries are used

    const Node& node() const { return graph.nodes.at(0); }
    const Value& output(int i) const { return graph.value(node().outputs.at(i)); }

    std::unique_ptr<FloatKernel> prepare() const {
        const FloatOpDef* def = find_float_op(node().op_type);
        if (!def) throw InternalError("no float op registered for " + node().op_type);
        return def->prepare(node(), graph);
    }

    // Runs `kernel` once on freshly allocated outputs (shaped as inferred).
    std::vector<Tensor> run(const FloatKernel& kernel, KernelScratch& scratch) const {
        std::vector<const Tensor*> in;
        for (size_t i = 0; i < kinds.size(); ++i) {
            switch (kinds[i]) {
                case NodeInput::Kind::Runtime: in.push_back(&feeds[i]); break;
                case NodeInput::Kind::Constant: in.push_back(&*graph.value(node().inputs[i]).constant); break;
                case NodeInput::Kind::Omitted: in.push_back(nullptr); break;
            }
        }
        std::vector<Tensor> outs;
        for (int id : node().outputs) {
            const Value& v = graph.value(id);
            outs.emplace_back(v.dtype, v.shape);
        }
        std::vector<Tensor*> out_ptrs;
        for (auto& t : outs) out_ptrs.push_back(&t);
        kernel.run(in, out_ptrs, scratch);
        return outs;
    }

    // prepare + run twice with the same KernelScratch (as a worker thread would: the second run sees warm, dirty
    // scratch memory); both runs must agree bit for bit.
    std::vector<Tensor> run() const {
        auto kernel = prepare();
        KernelScratch scratch;
        auto first = run(*kernel, scratch);
        auto second = run(*kernel, scratch);
        for (size_t i = 0; i < first.size(); ++i) {
            // (memcmp must not see the null data pointer of an empty tensor, even with size 0)
            EXPECT_TRUE(
                first[i].nbytes() == second[i].nbytes() &&
                (first[i].nbytes() == 0 || std::memcmp(first[i].raw(), second[i].raw(), first[i].nbytes()) == 0))
                << node().op_type << ": output " << i << " differs between two runs with the same KernelScratch";
        }
        return first;
    }
};

// Builds the graph and runs `infer` (which throws UserError on attribute/shape errors). Output values start
// with dtype Undefined and no shape, so tests can see that infer set both.
inline SingleNodeGraph infer_node(const NodeSpec& spec) {
    SingleNodeGraph s;
    Graph& g = s.graph;
    g.name = "kernel_test";
    Node node;
    node.name = kNodeUnderTest;
    node.op_type = spec.op_type;
    node.attrs = spec.attrs;
    for (size_t i = 0; i < spec.inputs.size(); ++i) {
        const NodeInput& in = spec.inputs[i];
        s.kinds.push_back(in.kind);
        s.feeds.push_back(in.kind == NodeInput::Kind::Runtime ? in.tensor : Tensor());
        const std::string name = "in" + std::to_string(i);
        switch (in.kind) {
            case NodeInput::Kind::Omitted: node.inputs.push_back(kNoValue); break;
            case NodeInput::Kind::Constant: node.inputs.push_back(g.add_constant(name, in.tensor)); break;
            case NodeInput::Kind::Runtime: {
                Value v;
                v.name = name;
                v.dtype = in.tensor.dtype();
                v.shape = in.tensor.shape();
                v.shape_known = true;
                int id = g.add_value(std::move(v));
                g.inputs.push_back(id);
                node.inputs.push_back(id);
                break;
            }
        }
    }
    for (int i = 0; i < spec.num_outputs; ++i) {
        Value v;
        v.name = "out" + std::to_string(i);
        v.dtype = DType::Undefined;
        int id = g.add_value(std::move(v));
        node.outputs.push_back(id);
        g.outputs.push_back(id);
    }
    g.add_node(std::move(node));
    const FloatOpDef* def = find_float_op(spec.op_type);
    if (!def) throw InternalError("no float op registered for " + spec.op_type);
    InferContext ctx{g, g.nodes[0], g};
    def->infer(ctx);
    for (int id : g.nodes[0].outputs) g.value(id).shape_known = true;
    return s;
}

inline std::vector<Tensor> run_node(const NodeSpec& spec) { return infer_node(spec).run(); }

// The message of the UserError that infer (or, failing that, prepare) raised; "" if neither did.
inline std::string infer_error(const NodeSpec& spec) {
    try {
        infer_node(spec).prepare();
    } catch (const UserError& e) {
        return e.what();
    }
    return "";
}

// For error-message checks (gmock is not linked into the tests): `message` contains `needle`.
inline ::testing::AssertionResult message_contains(const std::string& message, const std::string& needle) {
    if (message.find(needle) != std::string::npos) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "message \"" << message << "\" does not contain \"" << needle << "\"";
}

// Uniform random float tensor, reproducible from `seed`.
inline Tensor random_tensor(const Shape& shape, uint32_t seed, float lo = -1.f, float hi = 1.f) {
    Tensor t(DType::Float32, shape);
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> dist(lo, hi);
    float* p = t.data<float>();
    for (int64_t i = 0; i < t.numel(); ++i) p[i] = dist(rng);
    return t;
}

inline Tensor ints(const std::vector<int64_t>& v) { return Tensor::from<int64_t>({static_cast<int64_t>(v.size())}, v); }
inline Tensor floats(const std::vector<float>& v) { return Tensor::from<float>({static_cast<int64_t>(v.size())}, v); }

// Element-wise |actual - expected| <= atol + rtol * |expected| for float tensors of equal shape; reports the
// first few offending elements with their flat index.
inline ::testing::AssertionResult tensors_close(const Tensor& actual, const Tensor& expected, double rtol = 1e-4,
                                                double atol = 1e-5) {
    if (actual.shape() != expected.shape())
        return ::testing::AssertionFailure() << "shape " << shape_str(actual.shape()) << " != expected "
                                             << shape_str(expected.shape());
    if (actual.dtype() != DType::Float32 || expected.dtype() != DType::Float32)
        return ::testing::AssertionFailure() << "tensors_close compares float tensors only";
    const float* a = actual.data<float>();
    const float* e = expected.data<float>();
    std::ostringstream bad;
    int64_t nbad = 0;
    for (int64_t i = 0; i < actual.numel(); ++i) {
        double d = std::fabs(static_cast<double>(a[i]) - e[i]);
        if (!(d <= atol + rtol * std::fabs(e[i]))) {  // also catches NaN
            if (nbad < 5) bad << " [" << i << "] " << a[i] << " vs " << e[i] << ";";
            ++nbad;
        }
    }
    if (nbad == 0) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << nbad << " of " << actual.numel() << " elements differ:" << bad.str();
}

}  // namespace espq::test
