// exec::StridedCopy, transpose_copy, slice_range and slice_copy (shared by the float executor's and the
// emulator's Transpose and Slice) against naive per-element index arithmetic.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <numeric>
#include <random>
#include <vector>

#include "exec/strided_copy.hpp"
#include "slice_reference.hpp"

using namespace espq;

namespace {

// Element i of a source buffer holds the bytes of i (little-endian, truncated or zero-padded to elem_size),
// so that every element of every width is distinct and a misplaced byte shows.
std::vector<uint8_t> numbered_elements(int64_t count, size_t elem_size) {
    std::vector<uint8_t> bytes(static_cast<size_t>(count) * elem_size, 0);
    for (int64_t i = 0; i < count; ++i)
        for (size_t b = 0; b < elem_size && b < sizeof(int64_t); ++b)
            bytes[static_cast<size_t>(i) * elem_size + b] = static_cast<uint8_t>((i + 1) >> (8 * b));
    return bytes;
}

std::vector<int64_t> row_major_strides(const Shape& s) {
    std::vector<int64_t> st(s.size(), 1);
    for (size_t k = s.size(); k-- > 1;) st[k - 1] = st[k] * s[k];
    return st;
}

// Copies element by element: output multi-index idx reads source element source_index(idx).
template <typename SourceIndex>
std::vector<uint8_t> naive_gather(const std::vector<uint8_t>& src, const Shape& out, size_t elem_size,
                                  SourceIndex source_index) {
    std::vector<uint8_t> dst;
    std::vector<int64_t> idx(out.size(), 0);
    for (int64_t n = shape_numel(out), i = 0; i < n; ++i) {
        const size_t from = static_cast<size_t>(source_index(idx)) * elem_size;
        dst.insert(dst.end(), src.begin() + static_cast<std::ptrdiff_t>(from),
                   src.begin() + static_cast<std::ptrdiff_t>(from + elem_size));
        for (size_t d = out.size(); d-- > 0;) {
            if (++idx[d] < out[d]) break;
            idx[d] = 0;
        }
    }
    return dst;
}

}  // namespace

TEST(ExecStridedCopy, TransposeMatchesNaivePermutationForEveryElementWidth) {
    std::mt19937 rng(3);
    for (size_t elem_size : {1, 2, 3, 4, 8}) {
        for (int trial = 0; trial < 60; ++trial) {
            Shape in(static_cast<size_t>(std::uniform_int_distribution<int>(1, 5)(rng)));
            for (int64_t& d : in) d = std::uniform_int_distribution<int>(1, 4)(rng);
            std::vector<int64_t> perm(in.size());
            std::iota(perm.begin(), perm.end(), 0);
            std::shuffle(perm.begin(), perm.end(), rng);
            Shape out;
            for (int64_t p : perm) out.push_back(in[p]);
            const std::vector<uint8_t> src = numbered_elements(shape_numel(in), elem_size);
            std::vector<uint8_t> dst(src.size(), 0xAA);
            exec::transpose_copy(in, perm, elem_size).run(src.data(), dst.data());
            const std::vector<int64_t> in_strides = row_major_strides(in);
            const auto expected = naive_gather(src, out, elem_size, [&](const std::vector<int64_t>& idx) {
                int64_t flat = 0;
                for (size_t k = 0; k < idx.size(); ++k) flat += idx[k] * in_strides[perm[k]];
                return flat;
            });
            EXPECT_EQ(dst, expected) << shape_str(in) << " perm " << shape_str(perm) << " width " << elem_size;
        }
    }
}

TEST(ExecStridedCopy, SliceRangeFollowsOnnxClamping) {
    const int64_t big = std::numeric_limits<int64_t>::max(), small = std::numeric_limits<int64_t>::min();
    const std::vector<int64_t> starts = {small, -12, -5, -1, 0, 1, 3, 4, 8, 12, big};
    const std::vector<int64_t> ends = {small, -12, -6, -1, 0, 1, 2, 4, 9, 12, big};
    for (int64_t dim : {0, 1, 2, 5, 9})
        for (int64_t step : {1, 2, 3, 7, -1, -2, -4})
            for (int64_t start : starts)
                for (int64_t end : ends) {
                    const exec::SliceRange r = exec::slice_range(dim, start, end, step);
                    std::vector<int64_t> visited;
                    for (int64_t i = 0; i < r.count; ++i) visited.push_back(r.start + i * r.step);
                    EXPECT_EQ(visited, test::onnx_slice_indices(dim, start, end, step))
                        << "dim " << dim << " start " << start << " end " << end << " step " << step;
                }
    // A step far larger than the axis takes one element and must not overflow the offsets.
    EXPECT_EQ(exec::slice_range(5, 1, big, big).count, 1);
    EXPECT_EQ(exec::slice_range(5, 4, small, small).count, 1);
}

TEST(ExecStridedCopy, SliceCopyMatchesNaiveIndexing) {
    std::mt19937 rng(11);
    for (int trial = 0; trial < 300; ++trial) {
        Shape in(static_cast<size_t>(std::uniform_int_distribution<int>(1, 4)(rng)));
        for (int64_t& d : in) d = std::uniform_int_distribution<int>(1, 6)(rng);
        std::vector<exec::SliceRange> ranges;
        Shape out;
        for (int64_t dim : in) {
            std::uniform_int_distribution<int> pos(-8, 8);
            int64_t step = std::uniform_int_distribution<int>(-3, 3)(rng);
            if (step == 0) step = 1;
            ranges.push_back(exec::slice_range(dim, pos(rng), pos(rng), step));
            out.push_back(ranges.back().count);
        }
        const size_t elem_size = trial % 2 ? 4 : 1;
        const std::vector<uint8_t> src = numbered_elements(shape_numel(in), elem_size);
        std::vector<uint8_t> dst(static_cast<size_t>(shape_numel(out)) * elem_size, 0xAA);
        exec::slice_copy(in, ranges, elem_size).run(src.data(), dst.data());
        const std::vector<int64_t> in_strides = row_major_strides(in);
        const auto expected = naive_gather(src, out, elem_size, [&](const std::vector<int64_t>& idx) {
            int64_t flat = 0;
            for (size_t k = 0; k < idx.size(); ++k) flat += (ranges[k].start + idx[k] * ranges[k].step) * in_strides[k];
            return flat;
        });
        EXPECT_EQ(dst, expected) << "input " << shape_str(in) << " output " << shape_str(out);
    }
}
