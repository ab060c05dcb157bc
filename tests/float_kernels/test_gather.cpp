// Gather against a naive index mapping, over every axis, scalar and n-D indices, negative indices, int32 and
// int64 indices, and float / int64 data (the Shape -> Gather shape path).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "elementwise_reference.hpp"
#include "kernel_harness.hpp"

using namespace espq;
using namespace espq::test;
using ::testing::HasSubstr;

namespace {

Tensor naive_gather(const Tensor& data, const Tensor& indices, int axis) {
    const Shape& ds = data.shape();
    Shape out_shape(ds.begin(), ds.begin() + axis);
    out_shape.insert(out_shape.end(), indices.shape().begin(), indices.shape().end());
    out_shape.insert(out_shape.end(), ds.begin() + axis + 1, ds.end());
    const std::vector<int64_t> idx_values = indices.as_int64s();
    Tensor y(data.dtype(), out_shape);
    const size_t es = dtype_size(data.dtype());
    const size_t ir = indices.shape().size();
    for (int64_t i = 0; i < y.numel(); ++i) {
        const auto o = unravel(i, out_shape);
        std::vector<int64_t> index_pos(o.begin() + axis, o.begin() + axis + ir);
        int64_t g = idx_values[ravel(index_pos, indices.shape())];
        if (g < 0) g += ds[axis];
        std::vector<int64_t> d(o.begin(), o.begin() + axis);
        d.push_back(g);
        d.insert(d.end(), o.begin() + axis + ir, o.end());
        std::memcpy(y.raw() + i * es, data.raw() + ravel(d, ds) * es, es);
    }
    return y;
}

TEST(Gather, EveryAxisAndIndexShape) {
    const Shape ds{3, 4, 5};
    for (int axis = -3; axis < 3; ++axis) {
        const int a = axis < 0 ? axis + 3 : axis;
        const int64_t dim = ds[a];
        const std::vector<Tensor> index_sets = {
            Tensor::scalar<int64_t>(1),
            ints({0, dim - 1, -1, -dim}),
            Tensor::from<int64_t>({2, 3}, {2, 0, -2, 1, 1, -1}),
            Tensor::from<int32_t>({2}, {-1, 0}),
            ints({}),
        };
        for (const Tensor& idx : index_sets)
            for (DType dtype : {DType::Float32, DType::Int64}) {
                SCOPED_TRACE("axis " + std::to_string(axis) + " indices " + shape_str(idx.shape()) + " " +
                             dtype_name(idx.dtype()) + " data " + dtype_name(dtype));
                const Tensor data = iota_tensor(dtype, ds);
                EXPECT_TRUE(
                    tensors_equal(run_node(node_spec("Gather", {runtime(data), constant(idx)}, {{"axis", axis}})).at(0),
                                  naive_gather(data, idx, a)));
                // Indices computed at run time.
                EXPECT_TRUE(
                    tensors_equal(run_node(node_spec("Gather", {constant(data), runtime(idx)}, {{"axis", axis}})).at(0),
                                  naive_gather(data, idx, a)));
            }
    }
    // Shape path: Gather(Shape(x), 0) gives a scalar.
    const Tensor dims = ints({1, 16, 48, 48});
    const Tensor n = run_node(node_spec("Gather", {runtime(dims), constant(Tensor::scalar<int64_t>(1))})).at(0);
    EXPECT_EQ(n.shape(), Shape{});
    EXPECT_EQ(n.to_vector<int64_t>(), std::vector<int64_t>{16});
}

TEST(Gather, RejectsOutOfRangeIndices) {
    const Tensor data = random_tensor({3, 4}, 1);
    EXPECT_THAT(infer_error(node_spec("Gather", {runtime(data), constant(ints({0, 4}))}, {{"axis", 1}})),
                HasSubstr("node 'under_test' (Gather): index 4 is out of range for a gathered axis of size 4 "
                          "(valid: -4..3)"));
    // Run-time indices are checked when the kernel runs.
    auto s = infer_node(node_spec("Gather", {runtime(data), runtime(ints({-4}))}));
    EXPECT_THROW(s.run(), UserError);
    EXPECT_THAT(infer_error(node_spec("Gather", {runtime(data), runtime(floats({0.f}))})),
                HasSubstr("input 1 (indices, 'in1') is FLOAT; this kernel supports INT32, INT64"));
}

}  // namespace
