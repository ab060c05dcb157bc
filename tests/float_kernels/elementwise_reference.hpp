// Naive references for the elementwise / data-movement kernel tests: index arithmetic written the slow,
// obvious way (unravel every flat index), plus exact tensor comparison and random tensors of any dtype.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "espq/float_ops.hpp"
#include "espq/tensor.hpp"
#include "kernel_harness.hpp"

namespace espq::test {

// A NodeSpec with every member spelled out (NodeSpec{...} with fewer initialisers warns).
inline NodeSpec node_spec(std::string op, std::vector<NodeInput> inputs, Attributes attrs = {}, int num_outputs = 1) {
    NodeSpec s;
    s.op_type = std::move(op);
    s.inputs = std::move(inputs);
    s.attrs = std::move(attrs);
    s.num_outputs = num_outputs;
    return s;
}

// infer_node's graph records no opset, which Graph::opset() reads as 13. This re-runs `infer` with default-domain
// opset `opset` recorded, for ops whose semantics changed across opsets (the node must also infer at 13).
inline SingleNodeGraph infer_node_at_opset(const NodeSpec& spec, int64_t opset) {
    SingleNodeGraph s = infer_node(spec);
    s.graph.opset_imports = {{"", opset}};
    InferContext ctx{s.graph, s.graph.nodes[0], s.graph};
    find_float_op(spec.op_type)->infer(ctx);
    return s;
}

// Multi-index of flat index `flat` in a C-ordered tensor of `shape`.
inline std::vector<int64_t> unravel(int64_t flat, const Shape& shape) {
    std::vector<int64_t> idx(shape.size());
    for (size_t k = shape.size(); k-- > 0;) {
        idx[k] = flat % shape[k];
        flat /= shape[k];
    }
    return idx;
}

inline int64_t ravel(const std::vector<int64_t>& idx, const Shape& shape) {
    int64_t flat = 0;
    for (size_t k = 0; k < shape.size(); ++k) flat = flat * shape[k] + idx[k];
    return flat;
}

// Flat index into `src` (right-aligned, size-1 dims broadcast) of output multi-index `out_idx`.
inline int64_t broadcast_source(const std::vector<int64_t>& out_idx, const Shape& src) {
    const size_t lead = out_idx.size() - src.size();
    std::vector<int64_t> idx(src.size());
    for (size_t k = 0; k < src.size(); ++k) idx[k] = src[k] == 1 ? 0 : out_idx[k + lead];
    return ravel(idx, src);
}

// Shape of numpy-style broadcasting, computed independently of espq::broadcast_shapes.
inline Shape numpy_broadcast(const Shape& a, const Shape& b) {
    Shape out(std::max(a.size(), b.size()), 1);
    for (size_t k = 0; k < out.size(); ++k) {
        const size_t ka = k + a.size(), kb = k + b.size();
        const int64_t da = ka >= out.size() ? a[ka - out.size()] : 1;
        const int64_t db = kb >= out.size() ? b[kb - out.size()] : 1;
        out[k] = da == 1 ? db : da;
    }
    return out;
}

// Bit-exact equality of two tensors of any dtype.
inline ::testing::AssertionResult tensors_equal(const Tensor& actual, const Tensor& expected) {
    if (actual.dtype() != expected.dtype())
        return ::testing::AssertionFailure()
               << "dtype " << dtype_name(actual.dtype()) << " != expected " << dtype_name(expected.dtype());
    if (actual.shape() != expected.shape())
        return ::testing::AssertionFailure()
               << "shape " << shape_str(actual.shape()) << " != expected " << shape_str(expected.shape());
    if (actual.nbytes() && std::memcmp(actual.raw(), expected.raw(), actual.nbytes()) != 0) {
        const size_t es = dtype_size(actual.dtype());
        for (int64_t i = 0; i < actual.numel(); ++i)
            if (std::memcmp(actual.raw() + i * es, expected.raw() + i * es, es) != 0)
                return ::testing::AssertionFailure() << "first difference at flat index " << i;
    }
    return ::testing::AssertionSuccess();
}

// Random integers in [lo, hi] as int64 (cast to other dtypes with Tensor::cast).
inline Tensor random_ints(const Shape& shape, uint32_t seed, int64_t lo = -50, int64_t hi = 50) {
    const Tensor u = random_tensor(shape, seed, static_cast<float>(lo), static_cast<float>(hi + 1));
    Tensor t(DType::Int64, shape);
    for (int64_t i = 0; i < t.numel(); ++i)
        t.data<int64_t>()[i] = std::min(hi, static_cast<int64_t>(std::floor(u.data<float>()[i])));
    return t;
}

// A bool tensor (Tensor::from cannot take std::vector<bool>, which has no data()).
inline Tensor bool_tensor(const Shape& shape, const std::vector<int>& values) {
    Tensor t(DType::Bool, shape);
    EXPECT_EQ(static_cast<int64_t>(values.size()), t.numel());
    for (int64_t i = 0; i < t.numel() && i < static_cast<int64_t>(values.size()); ++i)
        t.data<bool>()[i] = values[i] != 0;
    return t;
}

// A tensor of `dtype` and `shape` holding 1, 2, 3, ... (wrapping in 8/16-bit types), so that a misplaced
// element shows.
inline Tensor iota_tensor(DType dtype, const Shape& shape) {
    Tensor t(DType::Int64, shape);
    int64_t* p = t.data<int64_t>();
    for (int64_t i = 0; i < t.numel(); ++i) p[i] = i + 1;
    return dtype == DType::Int64 ? t : t.cast(dtype);
}

}  // namespace espq::test
