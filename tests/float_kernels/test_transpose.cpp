// Transpose against a naive index permutation, for every permutation of ranks 1-4 and some of rank 5, over
// element sizes 1, 2, 4 and 8 bytes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

#include "elementwise_reference.hpp"
#include "kernel_harness.hpp"

using namespace espq;
using namespace espq::test;
using ::testing::HasSubstr;

namespace {

Tensor naive_transpose(const Tensor& x, const std::vector<int64_t>& perm) {
    Shape out_shape;
    for (int64_t p : perm) out_shape.push_back(x.shape()[p]);
    Tensor y(x.dtype(), out_shape);
    const size_t es = dtype_size(x.dtype());
    for (int64_t i = 0; i < y.numel(); ++i) {
        const auto out_idx = unravel(i, out_shape);
        std::vector<int64_t> in_idx(perm.size());
        for (size_t k = 0; k < perm.size(); ++k) in_idx[perm[k]] = out_idx[k];
        std::memcpy(y.raw() + i * es, x.raw() + ravel(in_idx, x.shape()) * es, es);
    }
    return y;
}

TEST(Transpose, EveryPermutationMatchesNaive) {
    const std::vector<Shape> shapes = {{5}, {3, 4}, {2, 3, 4}, {2, 3, 4, 5}, {1, 3, 1, 5}, {2, 1, 3, 2, 3}};
    for (const Shape& shape : shapes) {
        std::vector<int64_t> perm(shape.size());
        std::iota(perm.begin(), perm.end(), 0);
        int count = 0;
        do {
            if (shape.size() == 5 && count++ % 7 != 0) continue;  // a sample of the 120
            for (DType dtype : {DType::Float32, DType::Int64, DType::UInt8, DType::Int16}) {
                SCOPED_TRACE(shape_str(shape) + " perm " + shape_str(perm, ",") + " " + dtype_name(dtype));
                const Tensor x = iota_tensor(dtype, shape);
                const Tensor y = run_node(node_spec("Transpose", {runtime(x)}, {{"perm", perm}})).at(0);
                EXPECT_TRUE(tensors_equal(y, naive_transpose(x, perm)));
            }
        } while (std::next_permutation(perm.begin(), perm.end()));
    }
}

TEST(Transpose, DefaultReversesDimensions) {
    const Tensor x = iota_tensor(DType::Float32, {2, 3, 4});
    EXPECT_TRUE(tensors_equal(run_node(node_spec("Transpose", {runtime(x)})).at(0), naive_transpose(x, {2, 1, 0})));
}

TEST(Transpose, RejectsNonPermutation) {
    const Tensor x = random_tensor({2, 3, 4}, 1);
    EXPECT_THAT(
        infer_error(node_spec("Transpose", {runtime(x)}, {{"perm", Attribute::Ints{0, 2, 2}}})),
        HasSubstr("node 'under_test' (Transpose): perm [0,2,2] is not a permutation of the 3 input dimensions"));
    EXPECT_THAT(infer_error(node_spec("Transpose", {runtime(x)}, {{"perm", Attribute::Ints{1, 0}}})),
                HasSubstr("is not a permutation"));
}

}  // namespace
