// Rewrites of operators ESP-DL lacks into forms it has (div_to_mul, neg_to_mul, reduce_to_pool): each fires
// where it should, leaves other forms alone, and keeps the float function (float executor before/after).
#include <gtest/gtest.h>

#include <random>

#include "espq/float_executor.hpp"
#include "espq/passes.hpp"
#include "support.hpp"

using namespace espq;

namespace {

PassOptions only(const std::string& pass) {
    PassOptions o;
    for (const std::string& name : all_pass_names())
        if (name != pass) o.disabled.insert(name);
    return o;
}

int value(Graph& g, const std::string& name, Shape shape) {
    Value v;
    v.name = name;
    v.shape = std::move(shape);
    v.shape_known = true;
    return g.add_value(v);
}

// x[1,3,5,4] -> op(x, extra inputs) -> y of shape `out`.
Graph one_op(const std::string& op, const Shape& out, Attributes attrs = {}, std::vector<Tensor> constants = {}) {
    Graph g;
    g.name = "t";
    const int x = value(g, "x", {1, 3, 5, 4});
    const int y = value(g, "y", out);
    std::vector<int> inputs = {x};
    for (size_t k = 0; k < constants.size(); ++k) inputs.push_back(g.add_constant("c" + std::to_string(k), constants[k]));
    g.inputs = {x};
    g.outputs = {y};
    g.add_node(Node{"n", op, "", inputs, {y}, std::move(attrs)});
    g.verify();
    return g;
}

double max_change(const Graph& a, const Graph& b) {
    std::mt19937 rng(5);
    std::uniform_real_distribution<float> u(-3.f, 3.f);
    Tensor x(DType::Float32, a.value(a.inputs[0]).shape);
    for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = u(rng);
    const Tensor ya = FloatExecutor(a).run({x})[0], yb = FloatExecutor(b).run({x})[0];
    EXPECT_EQ(ya.shape(), yb.shape());
    return test::max_abs_diff(ya, yb) / std::max(1e-12, test::max_abs(ya));
}

std::map<std::string, int> ops_after(Graph& g, const std::string& pass, int expected_rewrites) {
    const auto reports = run_passes(g, only(pass));
    for (const auto& r : reports) {
        if (r.name == pass) {
            EXPECT_EQ(r.rewrites, expected_rewrites) << pass;
        }
    }
    g.verify();
    return g.op_counts();
}

}  // namespace

TEST(RewriteOps, DivByAConstantBecomesMulByTheReciprocal) {
    const Graph before = one_op("Div", {1, 3, 5, 4}, {}, {Tensor::from<float>({3, 1, 1}, {2.f, -4.f, 0.3f})});
    Graph after = before;
    EXPECT_EQ(ops_after(after, "div_to_mul", 1), (std::map<std::string, int>{{"Mul", 1}}));
    EXPECT_LE(max_change(before, after), 1e-6);
    Graph zero = one_op("Div", {1, 3, 5, 4}, {}, {Tensor::scalar<float>(0.f)});
    EXPECT_EQ(ops_after(zero, "div_to_mul", 0).count("Div"), 1u);  // x / 0 keeps its IEEE meaning
}

TEST(RewriteOps, NegBecomesMulByMinusOne) {
    const Graph before = one_op("Neg", {1, 3, 5, 4});
    Graph after = before;
    EXPECT_EQ(ops_after(after, "neg_to_mul", 1), (std::map<std::string, int>{{"Mul", 1}}));
    EXPECT_EQ(max_change(before, after), 0.0);
}

TEST(RewriteOps, SpatialReduceMeanIsGlobalAveragePool) {
    for (int keepdims : {1, 0}) {
        const Shape out = keepdims ? Shape{1, 3, 1, 1} : Shape{1, 3};
        Attributes a{{"axes", std::vector<int64_t>{-1, 2}}, {"keepdims", int64_t{keepdims}}};
        const Graph before = one_op("ReduceMean", out, a);
        Graph after = before;
        auto expected = keepdims ? std::map<std::string, int>{{"GlobalAveragePool", 1}}
                                 : std::map<std::string, int>{{"GlobalAveragePool", 1}, {"Flatten", 1}};
        EXPECT_EQ(ops_after(after, "reduce_to_pool", 1), expected) << keepdims;
        EXPECT_LE(max_change(before, after), 1e-6);
    }
    // Over channels it is not a pooling: untouched.
    Graph channels = one_op("ReduceMean", {1, 1, 5, 4}, {{"axes", std::vector<int64_t>{1}}});
    EXPECT_EQ(ops_after(channels, "reduce_to_pool", 0).count("ReduceMean"), 1u);
}

TEST(RewriteOps, SpatialMaxIsAMaxPoolOverTheWholeImage) {
    for (const std::string op : {"ReduceMax", "GlobalMaxPool"}) {
        Attributes a;
        if (op == "ReduceMax") a["axes"] = std::vector<int64_t>{2, 3};
        const Graph before = one_op(op, {1, 3, 1, 1}, a);
        Graph after = before;
        EXPECT_EQ(ops_after(after, "reduce_to_pool", 1), (std::map<std::string, int>{{"MaxPool", 1}})) << op;
        EXPECT_EQ(after.nodes[0].attr_ints("kernel_shape"), (std::vector<int64_t>{5, 4}));
        EXPECT_EQ(max_change(before, after), 0.0) << op;
    }
}

TEST(RewriteOps, PowBySquareSquareRootOrOneBecomesMulSqrtOrNothing) {
    const std::map<float, std::map<std::string, int>> expected = {
        {2.f, {{"Mul", 1}}}, {0.5f, {{"Sqrt", 1}}}, {1.f, {{"Relu", 1}}}};
    for (const auto& [c, ops] : expected) {
        // Relu in front keeps the input of Sqrt non-negative and gives Pow(x, 1) a producer to bypass to.
        Graph before;
        before.name = "t";
        const int x = value(before, "x", {1, 3, 5, 4}), r = value(before, "r", {1, 3, 5, 4});
        const int y = value(before, "y", {1, 3, 5, 4});
        before.inputs = {x};
        before.outputs = {y};
        before.add_node(Node{"relu", "Relu", "", {x}, {r}, {}});
        before.add_node(Node{"pow", "Pow", "", {r, before.add_constant("e", Tensor::scalar<float>(c))}, {y}, {}});
        Graph after = before;
        std::map<std::string, int> want = ops;
        want["Relu"] = 1;
        EXPECT_EQ(ops_after(after, "pow_to_mul", 1), want) << c;
        EXPECT_LE(max_change(before, after), 1e-6) << c;
    }
    Graph cube = one_op("Pow", {1, 3, 5, 4}, {}, {Tensor::scalar<float>(3.f)});
    EXPECT_EQ(ops_after(cube, "pow_to_mul", 0).count("Pow"), 1u);
}

TEST(RewriteOps, ClipAttributeBoundsBecomeConstantInputs) {
    Attributes both;
    both["min"] = -0.5f;
    both["max"] = 1.f;
    const Graph before = one_op("Clip", {1, 3, 5, 4}, both);
    Graph after = before;
    EXPECT_EQ(ops_after(after, "clip_bounds_to_inputs", 1), (std::map<std::string, int>{{"Clip", 1}}));
    const Node& clip = after.nodes.at(0);
    EXPECT_FALSE(clip.has_attr("min"));
    EXPECT_FALSE(clip.has_attr("max"));
    ASSERT_EQ(clip.num_inputs(), 3);
    EXPECT_EQ(after.value(clip.inputs[1]).constant->as_doubles().at(0), -0.5);
    EXPECT_EQ(after.value(clip.inputs[2]).constant->as_doubles().at(0), 1.0);
    EXPECT_EQ(max_change(before, after), 0.0);

    Attributes min_only;
    min_only["min"] = 0.25f;  // the absent max is the float range
    const Graph before_min = one_op("Clip", {1, 3, 5, 4}, min_only);
    Graph after_min = before_min;
    ops_after(after_min, "clip_bounds_to_inputs", 1);
    EXPECT_EQ(max_change(before_min, after_min), 0.0);

    Graph inputs_form = one_op("Clip", {1, 3, 5, 4}, {}, {Tensor::scalar<float>(0.f), Tensor::scalar<float>(6.f)});
    ops_after(inputs_form, "clip_bounds_to_inputs", 0);  // already in the input form
}

namespace {

// The decomposed layer normalisation of opset <= 16 exports (PP-OCRv4 rec, paddle2onnx opset 9) and its variants.
struct DecomposedLayerNorm {
    Shape x_shape{2, 6, 8};
    std::vector<int64_t> axes{-1};
    std::vector<int64_t> var_axes{};  // empty: the same as axes
    bool square_as_mul = false;       // Mul(d, d) instead of Pow(d, 2)
    float square_exponent = 2.f;
    bool reciprocal = false;          // Mul(d, Reciprocal(s)) instead of Div(d, s)
    bool eps_first = false;           // Add(eps, v)
    Shape gamma_shape{8};             // empty: no Mul by gamma
    Shape beta_shape{8};              // empty: no Add of beta
    std::string extra_output;         // name of an intermediate that is also a graph output

    Graph build() const {
        Graph g;
        g.name = "ln";
        Shape reduced = x_shape;
        for (int64_t a : axes) reduced[static_cast<size_t>(a < 0 ? a + static_cast<int64_t>(x_shape.size()) : a)] = 1;
        std::mt19937 rng(11);
        std::uniform_real_distribution<float> u(-1.5f, 1.5f);
        auto random = [&](const Shape& s) {
            Tensor t(DType::Float32, s);
            for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = u(rng);
            return t;
        };
        const int x = value(g, "x", x_shape);
        g.inputs = {x};
        auto node = [&](const std::string& op, std::vector<int> in, const Shape& shape, Attributes a = {}) {
            const int out = value(g, op + "_" + std::to_string(g.nodes.size()), shape);
            g.add_node(Node{"n" + std::to_string(g.nodes.size()) + "_" + op, op, "", std::move(in), {out}, std::move(a)});
            return out;
        };
        const int mean = node("ReduceMean", {x}, reduced, {{"axes", axes}});
        const int d = node("Sub", {x, mean}, x_shape);
        const int p = square_as_mul ? node("Mul", {d, d}, x_shape)
                                    : node("Pow", {d, g.add_constant("two", Tensor::scalar<float>(square_exponent))}, x_shape);
        const int v = node("ReduceMean", {p}, reduced, {{"axes", var_axes.empty() ? axes : var_axes}});
        const int eps = g.add_constant("eps", Tensor::scalar<float>(1e-5f));
        const int a = node("Add", eps_first ? std::vector<int>{eps, v} : std::vector<int>{v, eps}, reduced);
        const int s = node("Sqrt", {a}, reduced);
        int y = reciprocal ? node("Mul", {d, node("Reciprocal", {s}, reduced)}, x_shape) : node("Div", {d, s}, x_shape);
        if (!gamma_shape.empty()) y = node("Mul", {y, g.add_constant("gamma", random(gamma_shape))}, x_shape);
        if (!beta_shape.empty()) y = node("Add", {g.add_constant("beta", random(beta_shape)), y}, x_shape);
        g.outputs = {y};
        if (!extra_output.empty()) g.outputs.push_back(g.value_id(extra_output));
        g.verify();
        return g;
    }
};

// Runs fuse_layer_norm alone; checks the rewrite count and the float function (relative to the output range).
std::map<std::string, int> fuse_layer_norm(const DecomposedLayerNorm& spec, int expected_rewrites) {
    const Graph before = spec.build();
    Graph after = before;
    const auto ops = ops_after(after, "fuse_layer_norm", expected_rewrites);
    EXPECT_LE(max_change(before, after), 2e-6);
    return ops;
}

}  // namespace

TEST(FuseLayerNorm, PaddleExportBecomesOneNode) {
    const DecomposedLayerNorm spec;
    EXPECT_EQ(fuse_layer_norm(spec, 1), (std::map<std::string, int>{{"LayerNormalization", 1}}));
    Graph g = spec.build();
    ops_after(g, "fuse_layer_norm", 1);
    const Node& ln = g.nodes.at(0);
    EXPECT_EQ(ln.name, "n6_Div");  // named after the Div that `espq check` reports
    EXPECT_EQ(ln.attr_int("axis", -1), 2);
    EXPECT_FLOAT_EQ(ln.attr_float("epsilon", 0), 1e-5f);
    ASSERT_EQ(ln.num_inputs(), 3);
    EXPECT_EQ(g.value(ln.inputs[0]).name, "x");
    EXPECT_EQ(g.value(ln.outputs[0]).name, g.value(g.outputs[0]).name);
}

TEST(FuseLayerNorm, VariantsFuse) {
    const std::map<std::string, int> ln_only{{"LayerNormalization", 1}};
    DecomposedLayerNorm square;
    square.square_as_mul = true;
    EXPECT_EQ(fuse_layer_norm(square, 1), ln_only);
    DecomposedLayerNorm reciprocal;
    reciprocal.reciprocal = true;
    reciprocal.eps_first = true;
    {
        // espq has no float Reciprocal (the loader rejects it), so the fused graph is compared with the Div form.
        Graph g = reciprocal.build();
        EXPECT_EQ(ops_after(g, "fuse_layer_norm", 1), ln_only);
        reciprocal.reciprocal = false;
        EXPECT_LE(max_change(reciprocal.build(), g), 2e-6);
    }
    DecomposedLayerNorm plain;  // no gamma, no beta: the fused node gets a scale of ones
    plain.gamma_shape = plain.beta_shape = {};
    EXPECT_EQ(fuse_layer_norm(plain, 1), ln_only);
    DecomposedLayerNorm beta_only;
    beta_only.gamma_shape = {};
    beta_only.beta_shape = {1, 1, 8};  // leading size-1 axes are dropped
    EXPECT_EQ(fuse_layer_norm(beta_only, 1), ln_only);
    DecomposedLayerNorm two_axes;  // the last two axes of a 4-D tensor: axis = 2
    two_axes.x_shape = {1, 3, 5, 4};
    two_axes.axes = {2, -1};
    two_axes.gamma_shape = {5, 4};
    two_axes.beta_shape = {4};  // broadcast over the first normalised axis
    EXPECT_EQ(fuse_layer_norm(two_axes, 1), ln_only);
    Graph g = two_axes.build();
    ops_after(g, "fuse_layer_norm", 1);
    EXPECT_EQ(g.nodes.at(0).attr_int("axis", -1), 2);
}

TEST(FuseLayerNorm, OtherFormsAreLeftAlone) {
    DecomposedLayerNorm shared;  // d is also a graph output: removing its Sub would lose it
    shared.extra_output = "Sub_1";
    EXPECT_EQ(fuse_layer_norm(shared, 0).count("LayerNormalization"), 0u);
    DecomposedLayerNorm variance_out;
    variance_out.extra_output = "ReduceMean_3";
    EXPECT_EQ(fuse_layer_norm(variance_out, 0).count("LayerNormalization"), 0u);
    DecomposedLayerNorm middle_axis;  // not a trailing axis: not a LayerNormalization
    middle_axis.axes = {1};
    middle_axis.gamma_shape = middle_axis.beta_shape = {};
    EXPECT_EQ(fuse_layer_norm(middle_axis, 0).count("LayerNormalization"), 0u);
    DecomposedLayerNorm mismatch;  // variance over other axes than the mean
    mismatch.x_shape = {1, 3, 5, 4};
    mismatch.axes = {2, 3};
    mismatch.var_axes = {3, 2, 1};
    mismatch.gamma_shape = mismatch.beta_shape = {};
    // (The variance's declared shape is the mean's; the executor recomputes it, so only the pass result counts.)
    Graph g = mismatch.build();
    EXPECT_EQ(ops_after(g, "fuse_layer_norm", 0).count("LayerNormalization"), 0u);
    DecomposedLayerNorm cube;
    cube.square_exponent = 3.f;
    EXPECT_EQ(fuse_layer_norm(cube, 0).count("LayerNormalization"), 0u);
}

TEST(FuseLayerNorm, GammaOverAnOuterAxisStaysAMul) {
    // A per-row factor is not a LayerNormalization scale: the normalisation fuses, the Mul remains.
    DecomposedLayerNorm outer;
    outer.gamma_shape = {6, 1};
    outer.beta_shape = {};
    EXPECT_EQ(fuse_layer_norm(outer, 1), (std::map<std::string, int>{{"LayerNormalization", 1}, {"Mul", 1}}));
}

// A ConvTranspose takes a following per-channel Add, BatchNormalization and Relu into its bias, weight and
// `activation` as a Conv does (ESP-DL runs it as InsertZeros + Conv, whose Conv applies them). With group 2
// the BN scale of output channel g*3 + o multiplies W[i][o] for the input channels i of group g.
TEST(RewriteOps, ConvTransposeTakesABiasAddABatchNormAndARelu) {
    auto graph = [](bool add_first) {
        Graph g;
        g.name = "t";
        const int x = value(g, "x", {1, 4, 3, 4});
        std::vector<float> w(4 * 3 * 2 * 2);
        for (size_t i = 0; i < w.size(); ++i) w[i] = 0.3f * std::sin(1.3f * static_cast<float>(i));
        const int wt = g.add_constant("w", Tensor::from<float>({4, 3, 2, 2}, w));
        const int ct = value(g, "ct", {1, 6, 6, 8});
        g.add_node(Node{"ct", "ConvTranspose", "", {x, wt}, {ct}, {{"strides", std::vector<int64_t>{2, 2}},
                                                                     {"group", int64_t{2}}}});
        int cur = ct;
        auto bias_add = [&] {
            const int b = g.add_constant("b", Tensor::from<float>({1, 6, 1, 1}, {0.1f, -0.2f, 0.3f, 0.f, 0.5f, -1.f}));
            const int y = value(g, "added", {1, 6, 6, 8});
            g.add_node(Node{"add", "Add", "", {cur, b}, {y}, {}});
            cur = y;
        };
        if (add_first) bias_add();
        std::vector<int> bn = {cur};
        bn.push_back(g.add_constant("scale", Tensor::from<float>({6}, {1.5f, -0.5f, 2.f, 0.7f, 1.f, -1.2f})));
        bn.push_back(g.add_constant("shift", Tensor::from<float>({6}, {0.2f, 0.1f, -0.3f, 0.f, 0.4f, 0.6f})));
        bn.push_back(g.add_constant("mean", Tensor::from<float>({6}, {0.1f, -0.1f, 0.2f, 0.3f, 0.f, -0.2f})));
        bn.push_back(g.add_constant("var", Tensor::from<float>({6}, {1.f, 0.5f, 2.f, 0.3f, 1.5f, 0.8f})));
        const int n = value(g, "bn", {1, 6, 6, 8});
        g.add_node(Node{"bn", "BatchNormalization", "", bn, {n}, {}});
        cur = n;
        if (!add_first) bias_add();
        const int y = value(g, "y", {1, 6, 6, 8});
        g.add_node(Node{"relu", "Relu", "", {cur}, {y}, {}});
        g.inputs = {x};
        g.outputs = {y};
        g.verify();
        return g;
    };
    // BN right after the ConvTranspose folds into it, the Add after it becomes the bias, the Relu its activation.
    const Graph before = graph(false);
    Graph after = before;
    run_passes(after, PassOptions{});
    EXPECT_EQ(after.op_counts(), (std::map<std::string, int>{{"ConvTranspose", 1}}));
    EXPECT_EQ(after.nodes[0].attr_string("activation", ""), "Relu");
    EXPECT_LE(max_change(before, after), 1e-5);
    // A bias Add before the BN (PP-OCR's export): the BN, met first, becomes a 1x1 depthwise Conv that takes the
    // Relu; the Add becomes the ConvTranspose's bias.
    const Graph ocr = graph(true);
    Graph ocr_after = ocr;
    run_passes(ocr_after, PassOptions{});
    EXPECT_EQ(ocr_after.op_counts(), (std::map<std::string, int>{{"ConvTranspose", 1}, {"Conv", 1}}));
    EXPECT_LE(max_change(ocr, ocr_after), 1e-5);
}
