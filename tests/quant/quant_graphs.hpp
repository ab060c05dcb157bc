// Small hand-built float graphs and statistics for the planner and lowering tests: every exponent the tests
// expect is computed by hand from the numbers given here.
#pragma once

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "espq/calibration.hpp"
#include "espq/ir.hpp"

namespace espq::test {

class GraphBuilder {
public:
    GraphBuilder() { g_.name = "t"; }

    int value(const std::string& name, Shape shape) {
        Value v;
        v.name = name;
        v.shape = std::move(shape);
        v.shape_known = true;
        return g_.add_value(v);
    }
    int input(const std::string& name, Shape shape) {
        const int v = value(name, std::move(shape));
        g_.inputs.push_back(v);
        return v;
    }
    int constant(const std::string& name, const Shape& shape, const std::vector<float>& values) {
        return g_.add_constant(name, Tensor::from<float>(shape, values));
    }
    int int64_constant(const std::string& name, const std::vector<int64_t>& values) {
        return g_.add_constant(name, Tensor::from<int64_t>({static_cast<int64_t>(values.size())}, values));
    }
    void node(const std::string& name, const std::string& op, std::vector<int> inputs, std::vector<int> outputs,
              Attributes attrs = {}) {
        g_.add_node(Node{name, op, "", std::move(inputs), std::move(outputs), std::move(attrs)});
    }
    Graph finish(std::vector<int> outputs) {
        g_.outputs = std::move(outputs);
        g_.verify();
        return g_;
    }

private:
    Graph g_;
};

// Statistics whose minmax exponent at `bits` is exactly e: absmax = (2^bits - 1) / 2 * 2^e, which ESP-PPQ's
// rule 2 * absmax / (2^bits - 1) turns into the scale 2^e.
inline TensorStats stats_for_exponent(int e, int bits = 8) {
    TensorStats s;
    s.absmax = (std::ldexp(1.0, bits) - 1.0) / 2.0 * std::ldexp(1.0, e);
    s.max = s.absmax;
    s.min = -s.absmax;
    s.count = 1;
    s.hist.assign(16, 1.0);
    return s;
}

// Statistics for every quantized tensor of g, by name: minmax exponent at `bits` (others: count 0).
inline std::vector<TensorStats> stats_by_name(const Graph& g, const std::map<std::string, int>& exponents,
                                              int bits = 8) {
    std::vector<TensorStats> stats(g.values.size());
    for (const auto& [name, e] : exponents) stats.at(static_cast<size_t>(g.find(name))) = stats_for_exponent(e, bits);
    return stats;
}

}  // namespace espq::test
