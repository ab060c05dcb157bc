// Helpers for the emulator tests: hand-built lowered (.espdl-style) graphs and independent reference pieces
// (blocking a plain filter the way the exporter stores it, the chip's sequential saturating MAC loop).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "espq/emulator.hpp"
#include "espq/error.hpp"
#include "espq/ir.hpp"

namespace espq::test {

struct EmuGraph {
    Graph g;
    EmuGraph() { g.semantics = Semantics::EspdlQuantized; }

    int input(const std::string& name, DType dt, Shape shape, int exponent) {
        Value v;
        v.name = name;
        v.dtype = dt;
        v.shape = std::move(shape);
        v.shape_known = true;
        v.exponents = {exponent};
        int id = g.add_value(v);
        g.inputs.push_back(id);
        return id;
    }
    int constant(const std::string& name, Tensor t, std::vector<int64_t> exponents = {0}, std::string doc = "") {
        Value v;
        v.name = name;
        v.dtype = t.dtype();
        v.shape = t.shape();
        v.shape_known = true;
        v.constant = std::move(t);
        v.exponents = std::move(exponents);
        v.doc_string = std::move(doc);
        return g.add_value(v);
    }
    // An activation produced by a node; the emulator computes its shape.
    int value(const std::string& name, DType dt, int exponent) {
        Value v;
        v.name = name;
        v.dtype = dt;
        v.exponents = {exponent};
        return g.add_value(v);
    }
    void node(const std::string& op, std::vector<int> inputs, std::vector<int> outputs, Attributes attrs = {}) {
        Node n;
        n.name = op + "_" + std::to_string(g.nodes.size());
        n.op_type = op;
        n.inputs = std::move(inputs);
        n.outputs = std::move(outputs);
        n.attrs = std::move(attrs);
        n.attrs["quant_type"] = std::string("S8");
        g.add_node(std::move(n));
    }
    void output(int id) { g.outputs.push_back(id); }

    std::vector<Tensor> run(const std::vector<Tensor>& inputs, Target t = Target::ESP32S3) const {
        Emulator e(g, t);
        return e.run(inputs);
    }
};

// Exporter-side blocking (docs/espdl-file-format.md §4.2): plain W[n][kh][kw][c] -> stored order. A = 0: plain NHWC.
template <typename T>
std::vector<T> block_filter(const std::vector<T>& w, int n, int kh, int kw, int c, int a, bool depthwise) {
    std::vector<T> out;
    auto at = [&](int on, int y, int x, int ch) { return w[((static_cast<size_t>(on) * kh + y) * kw + x) * c + ch]; };
    const int na = a ? n / a * a : 0;
    for (int b = 0; b < (a ? n / a : 0); ++b)
        for (int y = 0; y < kh; ++y)
            for (int x = 0; x < kw; ++x)
                for (int ch = 0; ch < c; ++ch)
                    for (int l = 0; l < a; ++l) out.push_back(at(b * a + l, y, x, ch));
    if (depthwise) {
        for (int y = 0; y < kh; ++y)
            for (int x = 0; x < kw; ++x)
                for (int on = na; on < n; ++on) out.push_back(at(on, y, x, 0));
    } else {
        for (int on = na; on < n; ++on)
            for (int y = 0; y < kh; ++y)
                for (int x = 0; x < kw; ++x)
                    for (int ch = 0; ch < c; ++ch) out.push_back(at(on, y, x, ch));
    }
    return out;
}

inline int64_t ref_rhu(int64_t a, int k) { return k == 0 ? a : (a + (int64_t(1) << (k - 1))) >> k; }
inline int64_t ref_sat(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : (v > hi ? hi : v); }
inline int64_t ref_wrap20(int64_t b) {
    int64_t u = b & 0xfffff;
    return u >= (1 << 19) ? u - (1 << 20) : u;
}

template <typename T>
std::vector<T> random_values(size_t n, int lo, int hi, uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> d(lo, hi);
    std::vector<T> v(n);
    for (auto& x : v) x = static_cast<T>(d(rng));
    return v;
}

inline bool message_has(const std::function<void()>& f, const std::string& needle) {
    try {
        f();
    } catch (const std::exception& e) {
        return std::string(e.what()).find(needle) != std::string::npos;
    }
    return false;
}

}  // namespace espq::test
