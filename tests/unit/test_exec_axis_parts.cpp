// exec::AxisParts (Concat and Split of both executors) against naive per-element index arithmetic.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "exec/axis_parts.hpp"

using namespace espq;

namespace {

std::vector<int64_t> multi_index(int64_t flat, const Shape& shape) {
    std::vector<int64_t> idx(shape.size());
    for (size_t d = shape.size(); d-- > 0;) {
        idx[d] = flat % shape[d];
        flat /= shape[d];
    }
    return idx;
}

int64_t flat_index(const std::vector<int64_t>& idx, const Shape& shape) {
    int64_t flat = 0;
    for (size_t d = 0; d < shape.size(); ++d) flat = flat * shape[d] + idx[d];
    return flat;
}

struct Case {
    Shape whole;
    int axis;
    std::vector<int64_t> extents;
};

// Random shapes, axes and part sizes, including empty parts.
Case random_case(std::mt19937& rng) {
    Case c;
    c.whole.resize(static_cast<size_t>(std::uniform_int_distribution<int>(1, 4)(rng)));
    for (int64_t& d : c.whole) d = std::uniform_int_distribution<int>(1, 4)(rng);
    c.axis = std::uniform_int_distribution<int>(0, static_cast<int>(c.whole.size()) - 1)(rng);
    const int parts = std::uniform_int_distribution<int>(1, 4)(rng);
    c.whole[c.axis] = 0;
    for (int i = 0; i < parts; ++i) {
        c.extents.push_back(std::uniform_int_distribution<int>(0, 3)(rng));
        c.whole[c.axis] += c.extents.back();
    }
    return c;
}

Shape part_shape(const Case& c, size_t i) {
    Shape s = c.whole;
    s[c.axis] = c.extents[i];
    return s;
}

}  // namespace

TEST(ExecAxisParts, ConcatPlacesEveryPartElementAtItsOffsetAlongTheAxis) {
    std::mt19937 rng(5);
    for (int trial = 0; trial < 300; ++trial) {
        const Case c = random_case(rng);
        std::vector<Tensor> parts;
        for (size_t i = 0; i < c.extents.size(); ++i) {
            parts.emplace_back(DType::Int16, part_shape(c, i));
            int16_t* p = parts.back().data<int16_t>();
            for (int64_t e = 0; e < parts.back().numel(); ++e) p[e] = static_cast<int16_t>(1000 * i + e);
        }
        std::vector<const Tensor*> pointers;
        for (const Tensor& t : parts) pointers.push_back(&t);
        Tensor whole(DType::Int16, c.whole);
        exec::AxisParts(c.whole, c.axis, c.extents, sizeof(int16_t)).concat(pointers, whole);

        Tensor expected(DType::Int16, c.whole);
        int64_t offset = 0;
        for (size_t i = 0; i < parts.size(); ++i) {
            for (int64_t e = 0; e < parts[i].numel(); ++e) {
                std::vector<int64_t> idx = multi_index(e, parts[i].shape());
                idx[c.axis] += offset;
                expected.data<int16_t>()[flat_index(idx, c.whole)] = parts[i].data<int16_t>()[e];
            }
            offset += c.extents[i];
        }
        EXPECT_EQ(whole.to_vector<int16_t>(), expected.to_vector<int16_t>())
            << shape_str(c.whole) << " axis " << c.axis << " extents " << shape_str(c.extents);
    }
}

TEST(ExecAxisParts, SplitIsTheInverseOfConcat) {
    std::mt19937 rng(6);
    for (int trial = 0; trial < 300; ++trial) {
        const Case c = random_case(rng);
        Tensor whole(DType::Float32, c.whole);
        for (int64_t e = 0; e < whole.numel(); ++e) whole.data<float>()[e] = static_cast<float>(e) + 0.5f;
        std::vector<Tensor> parts;
        for (size_t i = 0; i < c.extents.size(); ++i) parts.emplace_back(DType::Float32, part_shape(c, i));
        std::vector<Tensor*> pointers;
        for (Tensor& t : parts) pointers.push_back(&t);
        exec::AxisParts(c.whole, c.axis, c.extents, sizeof(float)).split(whole, pointers);

        int64_t offset = 0;
        for (size_t i = 0; i < parts.size(); ++i) {
            for (int64_t e = 0; e < parts[i].numel(); ++e) {
                std::vector<int64_t> idx = multi_index(e, parts[i].shape());
                idx[c.axis] += offset;
                ASSERT_EQ(parts[i].data<float>()[e], whole.data<float>()[flat_index(idx, c.whole)])
                    << shape_str(c.whole) << " axis " << c.axis << " part " << i;
            }
            offset += c.extents[i];
        }
    }
}
