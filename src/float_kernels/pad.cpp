// Pad (ONNX opsets 11-18): inputs data, pads (constant), optional constant_value and (opset 18) optional axes
// (constant); modes constant, reflect and edge; any fixed-width dtype. Negative pads crop. Every output
// element reads input index o - pad_begin along each axis; outside the input, constant mode writes the
// constant, edge mode clamps and reflect mode mirrors without repeating the border (numpy 'reflect', applied
// repeatedly for pads wider than the input).
#include <algorithm>
#include <cstring>

#include "float_kernels/element_width.hpp"
#include "float_kernels/op_helpers.hpp"
#include "float_kernels/window.hpp"

namespace espq::float_kernels {
namespace {

enum class PadMode { Constant, Reflect, Edge };

struct PadPlan {
    PadMode mode = PadMode::Constant;
    Shape in, out;
    // Per axis and output index: the input index it reads, or -1 for the constant.
    std::vector<std::vector<int64_t>> source;
};

int64_t reflect_index(int64_t i, int64_t n) {
    if (n == 1) return 0;
    const int64_t period = 2 * (n - 1);
    int64_t m = i % period;
    if (m < 0) m += period;
    return m < n ? m : period - m;
}

PadPlan plan_pad(const Node& node, const Graph& graph) {
    PadPlan p;
    const std::string mode = node.attr_string("mode", "constant");
    if (mode == "constant")
        p.mode = PadMode::Constant;
    else if (mode == "reflect")
        p.mode = PadMode::Reflect;
    else if (mode == "edge")
        p.mode = PadMode::Edge;
    else
        throw_node_error(node, "mode='" + mode + "' is not supported (supported: constant, reflect, edge)");
    if (node.has_attr("pads"))
        throw_node_error(node, "pads given as an attribute (opset < 11) is not supported; re-export with opset >= 11");
    if (node.input(1) < 0) throw_node_error(node, "input 'pads' is required");
    p.in = graph.value(node.input(0)).shape;
    const int64_t rank = static_cast<int64_t>(p.in.size());
    std::vector<int> axes;
    if (node.input(3) >= 0) {
        axes = normalize_axes(node, constant_ints(node, graph, 3, "axes"), rank, "axes");
    } else {
        for (int a = 0; a < rank; ++a) axes.push_back(a);
    }
    const std::vector<int64_t> pads = constant_ints(node, graph, 1, "pads");
    const size_t na = axes.size();
    if (pads.size() != 2 * na)
        throw_node_error(node, "input 'pads' has " + std::to_string(pads.size()) + " values; expected " +
                                   std::to_string(2 * na) + " (begin and end for each padded axis)");
    std::vector<int64_t> begin(rank, 0), end(rank, 0);
    for (size_t k = 0; k < na; ++k) {
        begin[axes[k]] = pads[k];
        end[axes[k]] = pads[k + na];
    }
    p.out = p.in;
    p.source.resize(rank);
    for (int64_t d = 0; d < rank; ++d) {
        const int64_t n = p.in[d];
        p.out[d] = n + begin[d] + end[d];
        if (p.out[d] < 0)
            throw_node_error(node, "pads " + std::to_string(begin[d]) + "/" + std::to_string(end[d]) + " on axis " +
                                       std::to_string(d) + " crop more than its size " + std::to_string(n));
        if (n == 0 && p.out[d] > 0 && p.mode != PadMode::Constant)
            throw_node_error(node, "mode='" + mode + "' cannot pad axis " + std::to_string(d) + ", which is empty");
        auto& src = p.source[d];
        src.resize(static_cast<size_t>(p.out[d]));
        for (int64_t o = 0; o < p.out[d]; ++o) {
            const int64_t i = o - begin[d];
            if (i >= 0 && i < n)
                src[o] = i;
            else if (p.mode == PadMode::Constant)
                src[o] = -1;
            else if (p.mode == PadMode::Edge)
                src[o] = i < 0 ? 0 : n - 1;
            else
                src[o] = reflect_index(i, n);
        }
    }
    return p;
}

class PadKernel : public FloatKernel {
public:
    explicit PadKernel(PadPlan p) : p_(std::move(p)) {
        in_strides_.assign(p_.in.size(), 1);
        for (size_t d = p_.in.size(); d-- > 1;) in_strides_[d - 1] = in_strides_[d] * p_.in[d];
    }

    void run(const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out, KernelScratch&) const override {
        const Tensor* constant = in.size() > 2 ? in[2] : nullptr;
        visit_element_width(in[0]->dtype(), [&](auto tag) {
            using T = decltype(tag);
            T fill{};  // absent constant_value: 0 (all-zero bits, for every dtype)
            if (constant && constant->numel() > 0) std::memcpy(&fill, constant->raw(), sizeof(T));
            pad(reinterpret_cast<const T*>(in[0]->raw()), reinterpret_cast<T*>(out[0]->raw()), fill);
        });
    }

private:
    template <typename T>
    void pad(const T* src, T* dst, T fill) const {
        const size_t rank = p_.out.size();
        if (rank == 0) {
            dst[0] = src[0];
            return;
        }
        const int64_t inner = p_.out.back();
        const int64_t rows = inner ? shape_numel(p_.out) / inner : 0;
        const auto& last = p_.source.back();
        std::vector<int64_t> index(rank - 1, 0);  // the output row being written
        for (int64_t r = 0; r < rows; ++r) {
            T* row = dst + r * inner;
            int64_t offset = 0;
            bool constant_row = false;
            for (size_t d = 0; d + 1 < rank; ++d) {
                const int64_t s = p_.source[d][index[d]];
                constant_row = constant_row || s < 0;
                offset += s * in_strides_[d];
            }
            if (constant_row) {
                std::fill(row, row + inner, fill);
            } else {
                for (int64_t o = 0; o < inner; ++o) row[o] = last[o] < 0 ? fill : src[offset + last[o]];
            }
            for (size_t d = rank - 1; d-- > 0;) {
                if (++index[d] < p_.out[d]) break;
                index[d] = 0;
            }
        }
    }

    PadPlan p_;
    std::vector<int64_t> in_strides_;
};

void infer_pad(InferContext& ctx) {
    require_input_shape(ctx, 0, "data");
    const DType dtype = ctx.in(0)->dtype;
    if (!has_element_width(dtype)) ctx.error(std::string("data dtype ") + dtype_name(dtype) + " is not supported");
    if (const Value* c = ctx.in(2)) {
        if (c->dtype != dtype)
            ctx.error(std::string("constant_value is ") + dtype_name(c->dtype) + " but data is " + dtype_name(dtype));
        if (c->shape_known && shape_numel(c->shape) != 1)
            ctx.error("constant_value must hold one value, got shape " + shape_str(c->shape));
    }
    const PadPlan p = plan_pad(ctx.node, ctx.graph);
    reject_outputs_from(ctx, 1, "the operator has one output");
    Value& y = ctx.out(0);
    y.dtype = dtype;
    y.shape = p.out;
}

std::unique_ptr<FloatKernel> prepare_pad(const Node& node, const Graph& graph) {
    return std::make_unique<PadKernel>(plan_pad(node, graph));
}

}  // namespace

ESPQ_REGISTER_FLOAT_OP(FloatOpDef{"Pad", infer_pad, prepare_pad});

}  // namespace espq::float_kernels
