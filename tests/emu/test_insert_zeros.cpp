// InsertZeros (ESP-DL's first half of ConvTranspose, docs/esp-dl-arithmetic.md §6.19) against a naive reference
// written from that account: output pixel (h, w) of the zero-inserted NHWC tensor is input pixel
// (h / stride_h, w / stride_w) when both divide evenly and land inside the input, else 0.
#include "emu_harness.hpp"

namespace espq::test {
namespace {

// The reference, as a gather over output positions (the kernel scatters input pixels). A one-element list
// serves both axes (front() == back()).
template <typename T>
std::vector<T> reference(const std::vector<T>& x, const Shape& xs, const std::vector<int64_t>& stride,
                         const std::vector<int64_t>& output_padding, Shape& ys) {
    const bool two_d = xs.size() == 4;
    const int64_t n = xs[0], ih = two_d ? xs[1] : 1, iw = xs[xs.size() - 2], c = xs.back();
    const int64_t sh = two_d ? stride.front() : 1, sw = stride.back();
    const int64_t oh = two_d ? sh * (ih - 1) + 1 + output_padding.front() : 1;
    const int64_t ow = sw * (iw - 1) + 1 + output_padding.back();
    ys = two_d ? Shape{n, oh, ow, c} : Shape{n, ow, c};
    std::vector<T> y;
    for (int64_t b = 0; b < n; ++b)
        for (int64_t h = 0; h < oh; ++h)
            for (int64_t w = 0; w < ow; ++w)
                for (int64_t k = 0; k < c; ++k) {
                    const bool hit = h % sh == 0 && h / sh < ih && w % sw == 0 && w / sw < iw;
                    y.push_back(hit ? x[((b * ih + h / sh) * iw + w / sw) * c + k] : T(0));
                }
    return y;
}

template <typename T>
void check_case(DType dt, const Shape& xs, const std::vector<int64_t>& stride,
                const std::vector<int64_t>& output_padding, uint32_t seed) {
    SCOPED_TRACE(shape_str(xs) + " " + dtype_name(dt) + " stride " + std::to_string(stride.back()));
    std::vector<T> x(static_cast<size_t>(shape_numel(xs)));
    if constexpr (std::is_same_v<T, float>) {
        for (size_t i = 0; i < x.size(); ++i) x[i] = 0.25f * static_cast<float>(i % 17) - 2.f;
    } else {
        const auto r = random_values<int>(x.size(), std::numeric_limits<T>::min(), std::numeric_limits<T>::max(), seed);
        for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<T>(r[i] == 0 ? 1 : r[i]);  // 0 only where inserted
    }
    EmuGraph eg;
    const int in = eg.input("x", dt, xs, -4);
    const int out = eg.value("y", dt, -4);
    eg.node("InsertZeros", {in}, {out},
            {{"stride", Attribute::Ints(stride)}, {"output_padding", Attribute::Ints(output_padding)}});
    eg.output(out);
    const Tensor y = eg.run({Tensor::from<T>(xs, x)})[0];
    Shape ys;
    const std::vector<T> want = reference(x, xs, stride, output_padding, ys);
    ASSERT_EQ(y.shape(), ys);
    EXPECT_EQ(y.to_vector<T>(), want);
}

TEST(EmuInsertZeros, MatchesTheGatherReference) {
    // 2-D, both widths and float, square and mixed strides, output_padding on one or both axes, batch 2.
    check_case<int8_t>(DType::Int8, {1, 3, 4, 5}, {2, 2}, {0, 0}, 1);
    check_case<int8_t>(DType::Int8, {2, 4, 3, 16}, {2, 3}, {1, 0}, 2);
    check_case<int16_t>(DType::Int16, {1, 5, 5, 3}, {3, 2}, {2, 1}, 3);
    check_case<int16_t>(DType::Int16, {2, 1, 6, 8}, {1, 2}, {0, 1}, 4);
    check_case<float>(DType::Float32, {1, 2, 3, 4}, {2, 2}, {1, 1}, 5);
    // A one-element list applies to every spatial axis (ESP-DL widens it).
    check_case<int8_t>(DType::Int8, {1, 3, 3, 2}, {2}, {1}, 6);
    // 1-D (NWC); stride 1 with output_padding only appends zeros.
    check_case<int8_t>(DType::Int8, {1, 7, 5}, {2}, {1}, 7);
    check_case<int16_t>(DType::Int16, {2, 4, 3}, {1}, {2}, 8);
    // A single pixel has no gaps to fill.
    check_case<int8_t>(DType::Int8, {1, 1, 1, 4}, {2, 2}, {0, 0}, 9);
}

TEST(EmuInsertZeros, RefusesWhatTheModuleCannotRead) {
    auto run = [](Shape xs, Attributes attrs) {
        EmuGraph eg;
        const int in = eg.input("x", DType::Int8, xs, 0);
        const int out = eg.value("y", DType::Int8, 0);
        eg.node("InsertZeros", {in}, {out}, std::move(attrs));
        eg.output(out);
        eg.run({Tensor(DType::Int8, xs)});
    };
    const Attributes ok = {{"stride", Attribute::Ints({2, 2})}, {"output_padding", Attribute::Ints({0, 0})}};
    EXPECT_NO_THROW(run({1, 2, 2, 1}, ok));
    EXPECT_TRUE(message_has([&] { run({1, 2, 2, 2, 1}, ok); }, "NHWC or NWC"));
    EXPECT_TRUE(message_has([&] { run({1, 2, 2, 1}, {{"stride", Attribute::Ints({2, 2})}}); }, "output_padding"));
    EXPECT_TRUE(message_has(
        [&] {
            run({1, 2, 2, 1}, {{"stride", Attribute::Ints({2, 2, 2})}, {"output_padding", Attribute::Ints({0})}});
        },
        "3 values for 2 spatial axes"));
    EXPECT_TRUE(message_has(
        [&] {
            run({1, 2, 2, 1}, {{"stride", Attribute::Ints({0})}, {"output_padding", Attribute::Ints({0})}});
        },
        "stride value 0"));
}

}  // namespace
}  // namespace espq::test
