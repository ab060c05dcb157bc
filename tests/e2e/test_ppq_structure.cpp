// Structural compatibility with ESP-PPQ 1.3.5's files for the same float models (tests/data/ppq, provenance in
// its README): each bench model is quantized by espq's default pipeline with the settings of each ESP-PPQ
// strategy (int8, int16, mixed with ESP-PPQ's own 16-bit node list, equalization), both .espdl files are read
// with read_espdl, and their structure is compared: graph I/O and test values (names, dims, dtypes), nodes in
// order with their op types and attributes, every parameter's dtype / dims / layout tag, every activation's
// dtype and dims, and where RequantizeLinear changes the bit width. Exponents (and thus which Add inputs need
// an exponent-aligning Requantize) come from calibration and are not compared.
//
// Every deliberate difference is in kAllowed with its reason, and each case lists the ones it must show; any
// other difference fails. docs/ppq-reference.md, "Structural differences from ESP-PPQ's files", explains them.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <sstream>
#include <tuple>
#include <variant>

#include "e2e_common.hpp"
#include "quant/op_classes.hpp"

using namespace espq;

namespace espq {
inline void PrintTo(DType t, std::ostream* os) { *os << dtype_name(t); }  // readable gtest messages
}  // namespace espq

namespace {

struct Allowed {
    const char* id;
    const char* reason;
};

const Allowed kAllowed[] = {
    {"hardswish-fusion",
     "espq fuses HardSigmoid(alpha=1/6, beta=0.5) followed by Mul(x, hsig) into one HardSwish node (one int8 table "
     "indexed by x instead of a table, a requantization and a Mul); ESP-PPQ 1.3.5 has no HardSwish fusion"},
    {"int16-lut-omitted",
     "16-bit Clip / HardSigmoid carry no 'lut' table: ESP-DL builds a LUT module only for S8 and computes int16 "
     "activations from the exponents, so ESP-PPQ's 257-entry INT16 tables are never read"},
    {"int8-clip-bounds-omitted",
     "an S8 Clip has only its data input: with a 'lut' attribute ESP-DL's Clip::deserialize builds a LUT module "
     "and never reads the min/max initializers"},
    {"passive-op-width",
     "a passive op (MaxPool, Flatten, Reshape, Transpose...) runs at its producer's width in espq, at its "
     "consumer's in ESP-PPQ: the 16->8 RequantizeLinear sits after the MaxPool instead of before it, on a 4x "
     "smaller tensor; max commutes with the monotone requantization, so the outputs are identical"},
    {"add-alignment-requantize",
     "a same-width RequantizeLinear exists only where an Add/Sub/Concat input's exponent differs from the "
     "output's; which inputs differ depends on the calibrated exponents"},
    {"fused-activation-output-name",
     "a Conv/Gemm with a fused Relu writes the value named after the Conv's/Gemm's output (the fusion pass keeps "
     "the producer's name); ESP-PPQ names it after the Relu's output. Names of intermediate values only"},
    {"transposed-gemm-weight-name",
     "the Gemm weight is a new constant '<name>_kn' (normalize_gemm stores the transB=1 weight transposed as "
     "[K,N] before quantization); ESP-PPQ keeps the ONNX name for the transposed data"},
    {"target-metadata",
     "espq writes metadata_props {target: <chip>} so that verify/eval/run pick the right arithmetic; ESP-PPQ "
     "writes no metadata_props. ESP-DL ignores metadata"},
    {"transpose-value-info-shape",
     "ESP-PPQ's value_info for its inserted Transpose applies perm to the NCHW shape (e.g. [1,7,64,7] for "
     "[1,64,7,7]); espq writes the real shape (the runtime reads shapes of graph inputs only)"},
};

const Allowed* find_allowed(const std::string& id) {
    for (const Allowed& a : kAllowed)
        if (id == a.id) return &a;
    return nullptr;
}

int width(DType t) { return t == DType::Int16 ? 16 : t == DType::Int8 ? 8 : 0; }
int width(const std::string& quant_type) { return quant_type == "S16" ? 16 : quant_type == "S8" ? 8 : 0; }

std::string attr_str(const Attribute& a) {
    std::ostringstream s;
    std::visit(
        [&](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, Tensor>) s << "tensor " << dtype_name(v.dtype()) << " " << shape_str(v.shape());
            else if constexpr (std::is_same_v<T, int64_t> || std::is_same_v<T, float> || std::is_same_v<T, std::string>)
                s << v;
            else
                for (const auto& x : v) s << x << ",";
        },
        a.value);
    return s.str();
}

// One activation input of a node, traced back through the edge ops (RequantizeLinear, inserted Transpose).
struct Edge {
    std::string producer;             // node name, or graph input name
    std::vector<std::string> perms;   // inserted Transposes, in order
    int same_width_requants = 0;      // exponent alignment
    std::vector<std::pair<int, int>> width_changes;  // RequantizeLinear (from, to) bits
    int read_bits = 0;                // width of the value the node finally reads
};

struct Param {
    std::string name;
    DType dtype;
    Shape dims;
    std::string doc;
    size_t exponents;
};

struct Input {
    bool constant = false;
    Edge edge;
    Param param{};
};

struct Unit {
    std::string name, op;
    Attributes attrs;
    int bits = 0;       // quant_type
    int canonical = 0;  // bits; a passive op takes its producer's
    std::vector<Input> inputs;
    std::vector<std::pair<DType, Shape>> outputs;
    std::vector<std::string> output_names;
    bool fused = false;
};

// A model as units (the nodes that stand for float-graph nodes) connected by edges; edge ops folded into edges.
struct View {
    const EspdlModel* model = nullptr;
    std::vector<Unit> units;
    std::map<std::string, size_t> index;
    std::vector<const Node*> transposes;  // inserted ones
    const Unit* find(const std::string& name) const {
        auto it = index.find(name);
        return it == index.end() ? nullptr : &units[it->second];
    }
    // Width of the value an edge starts from: its producer's (quant_type or canonical), or the graph input's.
    int source_width(const Edge& e, bool canonical) const {
        if (const Unit* p = find(e.producer)) return canonical ? p->canonical : p->bits;
        const Graph& g = model->graph;
        return width(g.value(g.find(e.producer)).dtype);
    }
    void reindex() {
        index.clear();
        for (size_t i = 0; i < units.size(); ++i) index[units[i].name] = i;
    }
};

View make_view(const EspdlModel& m, const std::set<std::string>& float_node_names) {
    const Graph& g = m.graph;
    const auto producers = g.producers();
    auto is_edge_op = [&](const Node& n) {
        return n.op_type == "RequantizeLinear" || (n.op_type == "Transpose" && !float_node_names.count(n.name));
    };
    View view;
    view.model = &m;
    for (const Node& n : g.nodes) {
        if (is_edge_op(n)) {
            if (n.op_type == "Transpose") view.transposes.push_back(&n);
            continue;
        }
        Unit u;
        u.name = n.name;
        u.op = n.op_type;
        u.attrs = n.attrs;
        u.bits = width(n.attr_string("quant_type", ""));
        for (int v : n.inputs) {
            Input in;
            if (v < 0) {
                in.constant = true;
            } else if (g.value(v).is_constant()) {
                const Value& c = g.value(v);
                in.constant = true;
                in.param = Param{c.name, c.dtype, c.shape, c.doc_string, c.exponents.size()};
            } else {
                in.edge.read_bits = width(g.value(v).dtype);
                int cur = v;
                while (producers[cur] >= 0 && is_edge_op(g.nodes[producers[cur]])) {
                    const Node& e = g.nodes[producers[cur]];
                    const int from = width(g.value(e.inputs.at(0)).dtype), to = width(g.value(cur).dtype);
                    if (e.op_type == "Transpose") {
                        std::ostringstream p;
                        for (int64_t x : e.attr_ints("perm")) p << x << ",";
                        in.edge.perms.insert(in.edge.perms.begin(), p.str());
                    } else if (from == to) {
                        ++in.edge.same_width_requants;
                    } else {
                        in.edge.width_changes.insert(in.edge.width_changes.begin(), {from, to});
                    }
                    cur = e.inputs.at(0);
                }
                in.edge.producer = producers[cur] >= 0 ? g.nodes[producers[cur]].name : g.value(cur).name;
            }
            u.inputs.push_back(in);
        }
        for (int o : n.outputs) {
            u.outputs.emplace_back(g.value(o).dtype, g.value(o).shape);
            u.output_names.push_back(g.value(o).name);
        }
        view.units.push_back(std::move(u));
    }
    view.reindex();
    return view;
}

// Canonical width: a passive op's is its producer's (graph input: its dtype).
void set_canonical_widths(View& view) {
    for (Unit& u : view.units) {
        u.canonical = u.bits;
        if (!quant::is_passive(u.op) || u.inputs.empty() || u.inputs[0].constant) continue;
        u.canonical = view.source_width(u.inputs[0].edge, true);
    }
}

struct Comparison {
    std::vector<std::pair<std::string, std::string>> differences;  // (allowed id, detail)
    void differ(const std::string& id, const std::string& detail) {
        if (!find_allowed(id)) ADD_FAILURE() << "difference '" << id << "' is not in the allow-list: " << detail;
        differences.emplace_back(id, detail);
    }
};

// ESP-PPQ writes hard-swish as HardSigmoid(alpha 1/6) + Mul(x, hsig); espq as one HardSwish named after the Mul.
void fold_hardswish(View& ppq, Comparison& cmp) {
    std::map<std::string, int> uses;
    for (const Unit& u : ppq.units)
        for (const Input& in : u.inputs)
            if (!in.constant) ++uses[in.edge.producer];
    std::set<std::string> removed;
    for (Unit& mul : ppq.units) {
        if (mul.op != "Mul" || mul.inputs.size() != 2 || mul.inputs[0].constant || mul.inputs[1].constant) continue;
        for (int k = 0; k < 2; ++k) {
            const Unit* h = ppq.find(mul.inputs[k].edge.producer);
            const Input& x = mul.inputs[1 - k];
            if (!h || h->op != "HardSigmoid" || uses[h->name] != 1 || h->inputs.empty() ||
                h->inputs[0].edge.producer != x.edge.producer)
                continue;
            const auto alpha = h->attrs.find("alpha");
            const auto beta = h->attrs.find("beta");
            if (alpha == h->attrs.end() || std::abs(std::get<float>(alpha->second.value) - 1.0f / 6) > 1e-6f ||
                (beta != h->attrs.end() && std::get<float>(beta->second.value) != 0.5f))
                continue;
            cmp.differ("hardswish-fusion", "HardSigmoid '" + h->name + "' + Mul '" + mul.name + "' -> HardSwish '" +
                                               mul.name + "'");
            removed.insert(h->name);
            mul.op = "HardSwish";
            mul.fused = true;
            mul.inputs = {x};
            mul.attrs = {{"quant_type", mul.attrs.at("quant_type")}};
            break;
        }
    }
    ppq.units.erase(std::remove_if(ppq.units.begin(), ppq.units.end(),
                                   [&](const Unit& u) { return removed.count(u.name) != 0; }),
                    ppq.units.end());
    ppq.reindex();
}

bool same_attr(const Attribute& a, const Attribute& b) { return a.value.index() == b.value.index() && attr_str(a) == attr_str(b); }

// The named LUT initializer exists with the int8 table's dtype, dims and one exponent.
void check_int8_lut(const View& v, const Unit& u, const char* who) {
    const auto it = u.attrs.find("lut");
    ASSERT_NE(it, u.attrs.end()) << who << " " << u.name << ": S8 " << u.op << " without lut";
    const Graph& g = v.model->graph;
    const int id = g.find(std::get<std::string>(it->second.value));
    ASSERT_GE(id, 0) << who << " " << u.name << ": lut names no initializer";
    EXPECT_TRUE(g.value(id).is_constant());
    EXPECT_EQ(g.value(id).dtype, DType::Int8) << who << " " << u.name;
    EXPECT_EQ(g.value(id).shape, (Shape{256})) << who << " " << u.name;
    EXPECT_EQ(g.value(id).exponents.size(), 1u) << who << " " << u.name;
}

void compare_units(const View& ppq, const View& espq, const Graph& float_graph, const Unit& p, const Unit& e,
                   Comparison& cmp) {
    const std::string where = "node '" + p.name + "' (" + p.op + ")";
    EXPECT_EQ(p.op, e.op) << where;
    const bool passive_moved = p.bits != e.bits && quant::is_passive(p.op) && p.canonical == e.canonical &&
                               e.bits == e.canonical;
    if (passive_moved) cmp.differ("passive-op-width", where + ": S" + std::to_string(p.bits) + " -> S" + std::to_string(e.bits));
    else EXPECT_EQ(p.bits, e.bits) << where << ": quant_type";

    // Attributes, by name.
    std::set<std::string> names;
    for (const auto& [k, v] : p.attrs) names.insert(k);
    for (const auto& [k, v] : e.attrs) names.insert(k);
    for (const std::string& k : names) {
        if (k == "quant_type") continue;
        const auto pa = p.attrs.find(k), ea = e.attrs.find(k);
        if (k == "lut") {
            if (e.bits == 8) check_int8_lut(espq, e, "espq");
            if (p.bits == 8 && !p.fused) check_int8_lut(ppq, p, "ESP-PPQ");
            if (pa != p.attrs.end() && ea == e.attrs.end() && e.bits == 16)
                cmp.differ("int16-lut-omitted", where);
            else if (!p.fused) {
                EXPECT_TRUE(pa != p.attrs.end() && ea != e.attrs.end()) << where << ": lut on one side only";
            }
            continue;
        }
        if (pa == p.attrs.end() || ea == e.attrs.end()) {
            ADD_FAILURE() << where << ": attribute '" << k << "' only in " << (pa == p.attrs.end() ? "espq" : "ESP-PPQ");
            continue;
        }
        EXPECT_TRUE(same_attr(pa->second, ea->second))
            << where << ": attribute '" << k << "' ESP-PPQ " << attr_str(pa->second) << " espq " << attr_str(ea->second);
    }

    // Inputs, by position.
    size_t n = p.inputs.size();
    if (p.op == "Clip" && e.bits == 8 && e.inputs.size() == 1 && p.inputs.size() == 3 && e.attrs.count("lut")) {
        cmp.differ("int8-clip-bounds-omitted", where);
        n = 1;
    } else {
        EXPECT_EQ(p.inputs.size(), e.inputs.size()) << where << ": input count";
        n = std::min(n, e.inputs.size());
    }
    for (size_t i = 0; i < n; ++i) {
        const Input &a = p.inputs[i], &b = e.inputs[i];
        const std::string in = where + " input " + std::to_string(i);
        ASSERT_EQ(a.constant, b.constant) << in;
        if (a.constant) {
            EXPECT_EQ(a.param.dtype, b.param.dtype) << in << ": parameter dtype " << dtype_name(a.param.dtype) << " vs "
                                                    << dtype_name(b.param.dtype);
            EXPECT_EQ(a.param.dims, b.param.dims) << in << ": parameter dims " << shape_str(a.param.dims) << " vs "
                                                  << shape_str(b.param.dims);
            EXPECT_EQ(a.param.doc, b.param.doc) << in << ": layout";
            EXPECT_EQ(a.param.exponents, b.param.exponents) << in << ": exponent count";
            if (p.op == "Gemm" && i == 1 && b.param.name == a.param.name + "_kn")
                cmp.differ("transposed-gemm-weight-name", in + ": " + b.param.name);
            else
                EXPECT_EQ(a.param.name, b.param.name) << in << ": parameter name";
            continue;
        }
        EXPECT_EQ(a.edge.producer, b.edge.producer) << in << ": producer";
        EXPECT_EQ(a.edge.perms, b.edge.perms) << in << ": inserted Transposes";
        if (a.edge.same_width_requants != b.edge.same_width_requants) {
            if (quant::aligns_inputs_to_output(p.op))
                cmp.differ("add-alignment-requantize", in + ": ESP-PPQ " + std::to_string(a.edge.same_width_requants) +
                                                           ", espq " + std::to_string(b.edge.same_width_requants));
            else
                ADD_FAILURE() << in << ": same-width RequantizeLinear in front of a " << p.op;
        }
        // Each node reads its inputs at its own width; a RequantizeLinear does the change.
        EXPECT_EQ(a.edge.read_bits, p.bits) << in << " (ESP-PPQ)";
        EXPECT_EQ(b.edge.read_bits, e.bits) << in << " (espq)";
    }

    // Outputs: dims always; dtype unless the passive op moved to the other width.
    ASSERT_EQ(p.outputs.size(), e.outputs.size()) << where;
    for (size_t i = 0; i < p.outputs.size(); ++i) {
        EXPECT_EQ(p.outputs[i].second, e.outputs[i].second) << where << ": output dims";
        if (!passive_moved) {
            EXPECT_EQ(p.outputs[i].first, e.outputs[i].first) << where << ": output dtype";
        }
        const std::string &pn = p.output_names[i], &en = e.output_names[i];
        if (pn == en) continue;
        // A fused activation: ESP-PPQ's name is the float graph's Relu output (or that of a Clip(0,6) both tools
        // turned into a Relu), espq's that activation's input.
        const auto producers = float_graph.producers();
        const int pv = float_graph.find(pn);
        const int relu = pv >= 0 ? producers[pv] : -1;
        const std::string act = relu >= 0 ? float_graph.nodes[relu].op_type : "";
        if ((act == "Relu" || act == "Clip") &&
            float_graph.value(float_graph.nodes[relu].inputs.at(0)).name == en)
            cmp.differ("fused-activation-output-name", where + ": '" + pn + "' / '" + en + "'");
        else
            ADD_FAILURE() << where << ": output name ESP-PPQ '" << pn << "' espq '" << en << "'";
    }
}

// Edges where the canonical width changes: (producer, consumer, from, to). These carry the 8/16 RequantizeLinear.
std::set<std::tuple<std::string, std::string, int, int>> width_boundaries(const View& v) {
    std::set<std::tuple<std::string, std::string, int, int>> out;
    for (const Unit& u : v.units)
        for (const Input& in : u.inputs) {
            const int from = in.constant ? u.canonical : v.source_width(in.edge, true);
            if (from != u.canonical) out.insert({in.edge.producer, u.name, from, u.canonical});
        }
    return out;
}

// Every width change in a file is done by RequantizeLinear nodes on exactly these edges.
void check_requantize_placement(const View& v, const char* who) {
    const Graph& g = v.model->graph;
    for (const Unit& u : v.units)
        for (const Input& in : u.inputs) {
            if (in.constant) continue;
            const int produced = v.source_width(in.edge, false);
            const int changes = static_cast<int>(in.edge.width_changes.size());
            EXPECT_EQ(changes, produced != u.bits ? 1 : 0)
                << who << ": edge " << in.edge.producer << " -> " << u.name << " (S" << produced << " -> S" << u.bits << ")";
        }
    for (const Node& n : g.nodes) {
        if (n.op_type != "RequantizeLinear") continue;
        const Value& out = g.value(n.outputs.at(0));
        EXPECT_EQ(width(n.attr_string("quant_type", "")), width(out.dtype)) << who << " " << n.name << ": quant_type";
        const Value& scale = g.value(n.inputs.at(1));
        const Value& zero = g.value(n.inputs.at(2));
        ASSERT_TRUE(scale.is_constant() && zero.is_constant()) << who << " " << n.name;
        EXPECT_EQ(scale.dtype, DType::Float32) << who << " " << n.name;
        EXPECT_TRUE(scale.shape.empty()) << who << " " << n.name << ": scale dims " << shape_str(scale.shape);
        EXPECT_EQ(zero.dtype, out.dtype) << who << " " << n.name << ": zero point dtype";
        const int64_t shift = out.exponents.at(0) - g.value(n.inputs[0]).exponents.at(0);
        EXPECT_FLOAT_EQ(scale.constant->data<float>()[0], std::ldexp(1.0f, static_cast<int>(shift))) << who << " " << n.name;
    }
}

void compare_transposes(const View& ppq, const View& espq, Comparison& cmp) {
    ASSERT_EQ(ppq.transposes.size(), espq.transposes.size()) << "inserted Transpose count";
    for (size_t i = 0; i < ppq.transposes.size(); ++i) {
        const Node &a = *ppq.transposes[i], &b = *espq.transposes[i];
        EXPECT_EQ(a.attr_ints("perm"), b.attr_ints("perm"));
        EXPECT_EQ(a.attr_string("quant_type", ""), b.attr_string("quant_type", ""));
        const auto perm = b.attr_ints("perm");
        const Graph &ga = ppq.model->graph, &gb = espq.model->graph;
        const Shape& in_b = gb.value(b.inputs.at(0)).shape;
        Shape real(perm.size());
        for (size_t k = 0; k < perm.size(); ++k) real[k] = in_b.at(perm[k]);
        EXPECT_EQ(gb.value(b.outputs.at(0)).shape, real) << "espq Transpose '" << b.name << "' output dims";
        const Shape& ppq_dims = ga.value(a.outputs.at(0)).shape;
        if (ppq_dims != real) {
            // ESP-PPQ's quirk: perm applied to the NCHW shape of its NHWC input.
            const Shape& nhwc = ga.value(a.inputs.at(0)).shape;
            ASSERT_EQ(nhwc.size(), 4u);
            const Shape nchw{nhwc[0], nhwc[3], nhwc[1], nhwc[2]};
            Shape quirk(perm.size());
            for (size_t k = 0; k < perm.size(); ++k) quirk[k] = nchw.at(perm[k]);
            EXPECT_EQ(ppq_dims, quirk) << "ESP-PPQ Transpose '" << a.name << "'";
            cmp.differ("transpose-value-info-shape", "ESP-PPQ " + shape_str(ppq_dims) + ", espq " + shape_str(real));
        }
    }
}

void compare_io(const EspdlModel& ppq, const EspdlModel& espq, Comparison& cmp) {
    const Graph &a = ppq.graph, &b = espq.graph;
    EXPECT_EQ(a.name, b.name);
    EXPECT_EQ(a.ir_version, b.ir_version);
    EXPECT_EQ(ppq.model_version, espq.model_version);
    EXPECT_EQ(ppq.doc_string, espq.doc_string);
    EXPECT_TRUE(a.metadata.empty());
    if (b.metadata == decltype(b.metadata){{"target", "esp32s3"}}) cmp.differ("target-metadata", "target: esp32s3");
    else EXPECT_EQ(a.metadata, b.metadata) << "metadata_props";
    auto same_values = [&](const std::vector<int>& x, const std::vector<int>& y, const char* what) {
        ASSERT_EQ(x.size(), y.size()) << what;
        for (size_t i = 0; i < x.size(); ++i) {
            const Value &p = a.value(x[i]), &e = b.value(y[i]);
            EXPECT_EQ(p.name, e.name) << what;
            EXPECT_EQ(p.dtype, e.dtype) << what << " " << p.name;
            EXPECT_EQ(p.shape, e.shape) << what << " " << p.name;
            EXPECT_EQ(p.exponents.size(), e.exponents.size()) << what << " " << p.name;
        }
    };
    same_values(a.inputs, b.inputs, "graph input");
    same_values(a.outputs, b.outputs, "graph output");
    ASSERT_TRUE(ppq.has_test_values && espq.has_test_values);
    auto same_tests = [](const std::vector<NamedTensor>& x, const std::vector<NamedTensor>& y, const char* what) {
        ASSERT_EQ(x.size(), y.size()) << what;
        for (size_t i = 0; i < x.size(); ++i) {
            EXPECT_EQ(x[i].name, y[i].name) << what;
            EXPECT_EQ(x[i].tensor.dtype(), y[i].tensor.dtype()) << what << " " << x[i].name;
            EXPECT_EQ(x[i].tensor.shape(), y[i].tensor.shape()) << what << " " << x[i].name;
        }
    };
    same_tests(ppq.test_inputs, espq.test_inputs, "test input");
    same_tests(ppq.test_outputs, espq.test_outputs, "test output");
    // Every activation carries exactly one exponent.
    for (const Graph* g : {&a, &b})
        for (const Value& v : g->values)
            if (!v.is_constant() && v.dtype != DType::Float32) {
                EXPECT_EQ(v.exponents.size(), 1u) << v.name;
            }
}

struct Case {
    const char* model;
    const char* size;
    const char* strategy;
    std::vector<std::string> expected;  // differences this case must show (add-alignment-requantize: may)
};

std::ostream& operator<<(std::ostream& os, const Case& c) { return os << c.model << "_" << c.strategy; }

}  // namespace

class PpqStructure : public ::testing::TestWithParam<Case> {};

TEST_P(PpqStructure, SameStructureAsEspPpqExceptDocumentedDifferences) {
    const Case c = GetParam();
    const std::string strategy = c.strategy;
    const EspdlModel ppq = read_espdl(test::data_path("ppq/" + std::string(c.model) + "_" + strategy + ".espdl"));
    const Graph float_graph = load_onnx(test::data_path("bench/" + std::string(c.model) + ".onnx"));

    // ESP-PPQ's settings for the strategy, in espq's terms (bench README); 16 calibration samples suffice for
    // the structure.
    QuantizeOptions o;
    o.lower.metadata = {{"target", "esp32s3"}};  // as `espq quantize` writes it
    if (strategy == "int16") o.plan.bits = 16;
    if (strategy == "equalization") o.passes.relu6_to_relu = o.passes.equalize = true;
    test::PpqMixedChoice mixed;
    if (strategy == "mixed") {
        Graph optimized = float_graph;
        run_passes(optimized, o.passes);
        mixed = test::ppq_mixed_choice(ppq, optimized);
        ASSERT_FALSE(mixed.node_bits.empty());
        o.plan.node_bits = mixed.node_bits;
    }
    SampleSource calib = test::bench_calibration(float_graph, c.size);
    calib.count = std::min<size_t>(calib.count, 16);
    o.refine_samples = 4;
    const QuantizeResult r = quantize_model(float_graph, calib, o);
    const EspdlModel espq = read_espdl_bytes(write_espdl_bytes(r.lowered.model), "espq output");

    std::set<std::string> float_names;
    for (const Node& n : float_graph.nodes) float_names.insert(n.name);
    View pv = make_view(ppq, float_names), ev = make_view(espq, float_names);
    Comparison cmp;
    fold_hardswish(pv, cmp);
    for (const std::string& m : mixed.merged)
        EXPECT_TRUE(pv.find(m) == nullptr) << "ESP-PPQ's 16-bit node '" << m << "' is neither in espq's graph nor fused";
    set_canonical_widths(pv);
    set_canonical_widths(ev);

    compare_io(ppq, espq, cmp);
    // Same nodes in the same order.
    std::vector<std::string> pn, en;
    for (const Unit& u : pv.units) pn.push_back(u.op + " " + u.name);
    for (const Unit& u : ev.units) en.push_back(u.op + " " + u.name);
    EXPECT_EQ(pn, en) << "node sequence";
    for (const Unit& p : pv.units)
        if (const Unit* e = ev.find(p.name)) compare_units(pv, ev, float_graph, p, *e, cmp);
    compare_transposes(pv, ev, cmp);
    check_requantize_placement(pv, "ESP-PPQ");
    check_requantize_placement(ev, "espq");
    EXPECT_EQ(width_boundaries(pv), width_boundaries(ev)) << "8/16 boundaries (RequantizeLinear placement)";

    std::set<std::string> seen;
    for (const auto& [id, detail] : cmp.differences) {
        seen.insert(id);
        std::printf("  %s_%s: %s: %s\n", c.model, c.strategy, id.c_str(), detail.c_str());
    }
    for (const std::string& id : seen) {
        if (id != "add-alignment-requantize") {
            EXPECT_TRUE(std::count(c.expected.begin(), c.expected.end(), id)) << "unexpected difference " << id;
        }
    }
    for (const std::string& id : c.expected) EXPECT_TRUE(seen.count(id)) << "expected difference " << id << " not seen";
}

// Differences every case shows: the target in metadata_props, ESP-PPQ's wrong value_info shape for the
// Transpose before Flatten, and the transposed Gemm weight's name.
#define COMMON "target-metadata", "transpose-value-info-shape", "transposed-gemm-weight-name"
INSTANTIATE_TEST_SUITE_P(
    Bench, PpqStructure,
    ::testing::Values(
        Case{"fmnist_cnn", "28", "int8", {COMMON, "fused-activation-output-name"}},
        Case{"fmnist_cnn", "28", "int16", {COMMON, "fused-activation-output-name"}},
        Case{"fmnist_cnn", "28", "mixed", {COMMON, "fused-activation-output-name", "passive-op-width"}},
        Case{"gesture_mbv2", "96", "int8", {COMMON, "int8-clip-bounds-omitted"}},
        Case{"gesture_mbv2", "96", "int16", {COMMON, "int16-lut-omitted"}},
        Case{"gesture_mbv2", "96", "mixed", {COMMON, "int8-clip-bounds-omitted", "int16-lut-omitted"}},
        Case{"gesture_mbv2", "96", "equalization", {COMMON, "fused-activation-output-name"}},
        Case{"fmnist_mbv3", "64", "int8", {COMMON, "fused-activation-output-name", "hardswish-fusion"}},
        Case{"fmnist_mbv3", "64", "int16", {COMMON, "fused-activation-output-name", "hardswish-fusion", "int16-lut-omitted"}},
        Case{"fmnist_mbv3", "64", "mixed", {COMMON, "fused-activation-output-name", "hardswish-fusion"}}),
    [](const auto& info) { return std::string(info.param.model) + "_" + info.param.strategy; });
#undef COMMON
