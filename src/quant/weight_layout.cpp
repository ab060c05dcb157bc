#include "quant/weight_layout.hpp"

#include <cstring>

namespace espq::quant {

int weight_block_size(Target t, int bits) {
    if (t == Target::C) return 0;
    return bits == 16 ? 8 : 16;
}

namespace {

// plain[n][kh][kw][c] (element size es) -> stored order: full blocks of A output channels with the lane
// innermost (b, kh, kw, c, l), then the N mod A tail output-channel-major (n, kh, kw, c) for a regular filter
// or channel-minor (kh, kw, n) for a depthwise one.
std::vector<uint8_t> to_stored(const uint8_t* plain, size_t es, int n, int kh, int kw, int c, int block,
                               bool depthwise) {
    std::vector<uint8_t> out(static_cast<size_t>(n) * kh * kw * c * es);
    size_t pos = 0;
    auto put = [&](int on, int y, int x, int ch) {
        std::memcpy(out.data() + pos, plain + (((static_cast<size_t>(on) * kh + y) * kw + x) * c + ch) * es, es);
        pos += es;
    };
    const int na = block > 0 ? n / block * block : 0;
    for (int b = 0; block > 0 && b < na / block; ++b)
        for (int y = 0; y < kh; ++y)
            for (int x = 0; x < kw; ++x)
                for (int ch = 0; ch < c; ++ch)
                    for (int l = 0; l < block; ++l) put(b * block + l, y, x, ch);
    if (depthwise) {
        for (int y = 0; y < kh; ++y)
            for (int x = 0; x < kw; ++x)
                for (int on = na; on < n; ++on) put(on, y, x, 0);
    } else {
        for (int on = na; on < n; ++on)
            for (int y = 0; y < kh; ++y)
                for (int x = 0; x < kw; ++x)
                    for (int ch = 0; ch < c; ++ch) put(on, y, x, ch);
    }
    return out;
}

std::string tag_for(Target t, int bits, bool one_d, bool depthwise, bool aligned) {
    if (t == Target::C) {
        if (one_d) return depthwise ? "WCN" : "NWC";
        return depthwise ? "HWCN" : "NHWC";
    }
    const int a = bits == 16 ? 8 : 16;
    std::string tag = "(N/" + std::to_string(a) + ")" + (one_d ? "WC" : "HWC") + std::to_string(a);
    return aligned ? tag : tag + "_UNALIGNED";
}

}  // namespace

Tensor block_conv_filter(const Tensor& w, bool depthwise, Target t, int bits, std::string& layout_tag) {
    const bool one_d = w.rank() == 3;
    const int n = static_cast<int>(w.dim(0)), c = static_cast<int>(w.dim(1));
    const int kh = one_d ? 1 : static_cast<int>(w.dim(2)), kw = static_cast<int>(w.dim(one_d ? 2 : 3));
    const size_t es = dtype_size(w.dtype());
    // ONNX [n][c][kh][kw] -> plain [n][kh][kw][c]
    std::vector<uint8_t> plain(w.nbytes());
    for (int on = 0; on < n; ++on)
        for (int ch = 0; ch < c; ++ch)
            for (int y = 0; y < kh; ++y)
                for (int x = 0; x < kw; ++x)
                    std::memcpy(plain.data() + (((static_cast<size_t>(on) * kh + y) * kw + x) * c + ch) * es,
                                w.raw() + (((static_cast<size_t>(on) * c + ch) * kh + y) * kw + x) * es, es);
    const int block = weight_block_size(t, bits);
    std::vector<uint8_t> stored;
    if (t == Target::C && depthwise) {  // HWCN: (kh, kw, n)
        stored.resize(plain.size());
        size_t pos = 0;
        for (int y = 0; y < kh; ++y)
            for (int x = 0; x < kw; ++x)
                for (int on = 0; on < n; ++on, pos += es)
                    std::memcpy(stored.data() + pos, plain.data() + ((static_cast<size_t>(on) * kh + y) * kw + x) * es, es);
    } else {
        stored = to_stored(plain.data(), es, n, kh, kw, c, block, depthwise);
    }
    Shape dims;
    if (one_d) dims = depthwise ? Shape{kw, n, 1} : Shape{kw, c, n};
    else dims = depthwise ? Shape{kh, kw, n, 1} : Shape{kh, kw, c, n};
    Tensor out(w.dtype(), dims);
    std::memcpy(out.raw(), stored.data(), stored.size());
    layout_tag = tag_for(t, bits, one_d, depthwise, block == 0 || n % block == 0);
    return out;
}

Tensor block_gemm_weight(const Tensor& kn, Target t, int bits, std::string& layout_tag) {
    const int k = static_cast<int>(kn.dim(0)), n = static_cast<int>(kn.dim(1));
    const size_t es = dtype_size(kn.dtype());
    // [K][N] -> plain [n][1][1][k]
    std::vector<uint8_t> plain(kn.nbytes());
    for (int i = 0; i < k; ++i)
        for (int j = 0; j < n; ++j)
            std::memcpy(plain.data() + (static_cast<size_t>(j) * k + i) * es, kn.raw() + (static_cast<size_t>(i) * n + j) * es, es);
    const int block = weight_block_size(t, bits);
    std::vector<uint8_t> stored = to_stored(plain.data(), es, n, 1, 1, k, block, false);
    Tensor out(kn.dtype(), {1, 1, k, n});
    std::memcpy(out.raw(), stored.data(), stored.size());
    layout_tag = tag_for(t, bits, false, false, block == 0 || n % block == 0);
    return out;
}

}  // namespace espq::quant
