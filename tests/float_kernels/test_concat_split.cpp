// Concat and Split against naive per-element index mapping, for every axis (negative too), several dtypes,
// zero-sized parts, and Split's three ways of giving sizes (input, attribute, opset 18 num_outputs).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "elementwise_reference.hpp"
#include "kernel_harness.hpp"

using namespace espq;
using namespace espq::test;
using ::testing::HasSubstr;

namespace {

// Output element i comes from the input whose range along `axis` covers its index there.
Tensor naive_concat(const std::vector<Tensor>& inputs, int axis) {
    Shape out_shape = inputs[0].shape();
    out_shape[axis] = 0;
    for (const auto& t : inputs) out_shape[axis] += t.shape()[axis];
    Tensor y(inputs[0].dtype(), out_shape);
    const size_t es = dtype_size(y.dtype());
    for (int64_t i = 0; i < y.numel(); ++i) {
        auto idx = unravel(i, out_shape);
        size_t k = 0;
        while (idx[axis] >= inputs[k].shape()[axis]) idx[axis] -= inputs[k++].shape()[axis];
        std::memcpy(y.raw() + i * es, inputs[k].raw() + ravel(idx, inputs[k].shape()) * es, es);
    }
    return y;
}

// Part k holds the input's elements with index along `axis` in [offset_k, offset_k + sizes[k]).
std::vector<Tensor> naive_split(const Tensor& x, int axis, const std::vector<int64_t>& sizes) {
    std::vector<Tensor> parts;
    const size_t es = dtype_size(x.dtype());
    int64_t offset = 0;
    for (int64_t size : sizes) {
        Shape s = x.shape();
        s[axis] = size;
        Tensor part(x.dtype(), s);
        for (int64_t i = 0; i < part.numel(); ++i) {
            auto idx = unravel(i, s);
            idx[axis] += offset;
            std::memcpy(part.raw() + i * es, x.raw() + ravel(idx, x.shape()) * es, es);
        }
        parts.push_back(std::move(part));
        offset += size;
    }
    return parts;
}

TEST(Concat, EveryAxisAndDtype) {
    const Shape base{2, 3, 4};
    for (int axis = -3; axis < 3; ++axis) {
        const int a = axis < 0 ? axis + 3 : axis;
        for (DType dtype : {DType::Float32, DType::Int64, DType::UInt8}) {
            std::vector<Tensor> inputs;
            for (int64_t extent : {2, 1, 0, 3}) {  // includes an empty part
                Shape s = base;
                s[a] = extent;
                Tensor t = iota_tensor(DType::Int64, s);
                for (int64_t i = 0; i < t.numel(); ++i) t.data<int64_t>()[i] += 100 * extent;
                inputs.push_back(t.cast(dtype));
            }
            SCOPED_TRACE("axis " + std::to_string(axis) + " " + dtype_name(dtype));
            NodeSpec spec = node_spec("Concat", {}, {{"axis", axis}});
            for (size_t k = 0; k < inputs.size(); ++k)
                spec.inputs.push_back(k % 2 ? constant(inputs[k]) : runtime(inputs[k]));
            EXPECT_TRUE(tensors_equal(run_node(spec).at(0), naive_concat(inputs, a)));
        }
    }
    // The shape path: Concat of 1-D int64 pieces into a Reshape target.
    EXPECT_EQ(run_node(node_spec("Concat", {runtime(ints({1})), constant(ints({-1, 7}))}, {{"axis", 0}}))
                  .at(0)
                  .to_vector<int64_t>(),
              (std::vector<int64_t>{1, -1, 7}));
}

TEST(Concat, ReportsMismatchedInputs) {
    EXPECT_THAT(infer_error(node_spec("Concat", {runtime(random_tensor({2, 3}, 1)), runtime(random_tensor({2, 4}, 2))},
                                      {{"axis", 0}})),
                HasSubstr("node 'under_test' (Concat): input 1 has shape 2x4, input 0 2x3; they may differ only "
                          "along axis 0"));
    EXPECT_THAT(infer_error(node_spec("Concat", {runtime(random_tensor({2}, 1)), runtime(ints({1}))}, {{"axis", 0}})),
                HasSubstr("input 1 is INT64 but input 0 is FLOAT"));
    EXPECT_THAT(infer_error(node_spec("Concat", {runtime(random_tensor({2}, 1))})),
                HasSubstr("attribute 'axis' is required"));
}

void expect_split(const Tensor& x, int axis, const std::vector<int64_t>& sizes, const NodeSpec& spec) {
    const auto outs = run_node(spec);
    const auto expect = naive_split(x, axis < 0 ? axis + x.rank() : axis, sizes);
    ASSERT_EQ(outs.size(), expect.size());
    for (size_t k = 0; k < outs.size(); ++k) EXPECT_TRUE(tensors_equal(outs[k], expect[k])) << "output " << k;
}

TEST(Split, SizesFromInputAttributeNumOutputsOrEqual) {
    for (DType dtype : {DType::Float32, DType::Int64}) {
        const Tensor x = iota_tensor(dtype, {4, 6, 5});
        SCOPED_TRACE(dtype_name(dtype));
        // Opset 13+: sizes as an input, including an empty part.
        expect_split(x, 1, {2, 0, 4}, node_spec("Split", {runtime(x), constant(ints({2, 0, 4}))}, {{"axis", 1}}, 3));
        // Opset < 13: sizes as an attribute; negative axis.
        expect_split(x, -1, {1, 4},
                     node_spec("Split", {runtime(x)}, {{"axis", -1}, {"split", Attribute::Ints{1, 4}}}, 2));
        // No sizes: equal parts, default axis 0.
        expect_split(x, 0, {2, 2}, node_spec("Split", {runtime(x)}, {}, 2));
        // Opset 18 num_outputs: ceil(5/3) = 2, last part smaller.
        expect_split(x, 2, {2, 2, 1}, node_spec("Split", {runtime(x)}, {{"axis", 2}, {"num_outputs", 3}}, 3));
        expect_split(x, 1, {2, 2, 2}, node_spec("Split", {runtime(x)}, {{"axis", 1}, {"num_outputs", 3}}, 3));
    }
}

TEST(Split, ReportsInconsistentSizes) {
    const Tensor x = random_tensor({4, 6}, 1);
    EXPECT_THAT(infer_error(node_spec("Split", {runtime(x), constant(ints({2, 3}))}, {{"axis", 1}}, 2)),
                HasSubstr("node 'under_test' (Split): split sizes [2,3] must give one size per output (2) summing "
                          "to the axis size 6"));
    EXPECT_THAT(infer_error(node_spec("Split", {runtime(x)}, {{"axis", 1}}, 4)),
                HasSubstr("axis 1 of size 6 does not split evenly into 4 outputs"));
    EXPECT_THAT(infer_error(node_spec("Split", {runtime(x)}, {{"num_outputs", 3}}, 2)),
                HasSubstr("num_outputs is 3 but the node has 2 outputs"));
}

}  // namespace
