// Spatial reductions in the form ESP-DL runs them as pooling layers:
//   ReduceMean over every spatial axis -> GlobalAveragePool   (TensorFlow/Paddle exports of global pooling)
//   ReduceMax over every spatial axis, GlobalMaxPool -> MaxPool with the kernel = the whole spatial extent
// With keepdims = 0 a Flatten(axis = 1) restores the [N, C] shape. Same float function (same arithmetic).
#include "passes/factories.hpp"

namespace espq::passes {

namespace {

class ReduceToPool : public RewriteRule {
public:
    std::string name() const override { return "reduce_to_pool"; }
    std::vector<std::string> target_ops() const override { return {"ReduceMean", "ReduceMax", "GlobalMaxPool"}; }
    bool condition(const Graph& g, int i) const override {
        const Node& n = g.nodes[i];
        const Shape& in = g.value(n.inputs[0]).shape;
        if (in.size() < 3 || in.size() > 4 || g.value(n.outputs[0]).dtype != DType::Float32) return false;
        if (n.op_type == "GlobalMaxPool") return true;
        std::vector<int64_t> spatial;
        for (size_t a = 2; a < in.size(); ++a) spatial.push_back(static_cast<int64_t>(a));
        return pass_util::reduce_axes(g, n, in.size()) == spatial;
    }
    void apply(Graph& g, int i) const override {
        const Node old = g.nodes[i];
        const Shape in = g.value(old.inputs[0]).shape;
        const bool keepdims = old.op_type == "GlobalMaxPool" || old.attr_int("keepdims", 1) != 0;
        Node pool;
        pool.name = old.name;
        pool.inputs = {old.inputs[0]};
        if (old.op_type == "ReduceMean") {
            pool.op_type = "GlobalAveragePool";
        } else {
            pool.op_type = "MaxPool";
            const std::vector<int64_t> kernel(in.begin() + 2, in.end());
            pool.attrs["kernel_shape"] = kernel;
            pool.attrs["strides"] = std::vector<int64_t>(kernel.size(), 1);
            pool.attrs["pads"] = std::vector<int64_t>(2 * kernel.size(), 0);
        }
        if (keepdims) {
            pool.outputs = old.outputs;
        } else {
            Value pooled;
            pooled.name = g.unique_name(g.value(old.outputs[0]).name + "_pooled");
            pooled.shape = {in[0], in[1]};
            pooled.shape.resize(in.size(), 1);
            pooled.shape_known = true;
            pool.outputs = {g.add_value(std::move(pooled))};
            Node flatten;
            flatten.name = g.unique_name(old.name + "_flatten");
            flatten.op_type = "Flatten";
            flatten.inputs = pool.outputs;
            flatten.outputs = old.outputs;
            flatten.attrs["axis"] = int64_t{1};
            g.add_node(std::move(flatten));
        }
        g.nodes[i] = std::move(pool);
    }
};

}  // namespace

std::unique_ptr<GraphPass> make_reduce_to_pool() { return std::make_unique<ReduceToPool>(); }

}  // namespace espq::passes
