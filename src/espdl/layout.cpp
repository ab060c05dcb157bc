// Weight layouts: one index map (filter_storage_order) serves both directions, so to_blocked and from_blocked
// are exact inverses by construction.
#include "espdl/layout.hpp"

#include <cstring>

namespace espq::espdl {
namespace {

[[noreturn]] void bad_shape(const char* what, const Shape& shape, const char* expected) {
    fail(std::string(what) + ": weight of shape [" + shape_str(shape, ",") + "] is not a " + expected);
}

// dst[i] = src[order[i]] (gather) or dst[order[i]] = src[i] (scatter), for any element size.
Tensor move_elements(const Tensor& src, Shape dst_shape, const std::vector<int64_t>& order, bool gather) {
    Tensor dst(src.dtype(), std::move(dst_shape));
    invariant(dst.numel() == src.numel() && static_cast<int64_t>(order.size()) == src.numel(),
              "layout: element count mismatch");
    const size_t es = dtype_size(src.dtype());
    for (size_t i = 0; i < order.size(); ++i) {
        const size_t j = static_cast<size_t>(order[i]);
        if (gather) std::memcpy(dst.raw() + i * es, src.raw() + j * es, es);
        else std::memcpy(dst.raw() + j * es, src.raw() + i * es, es);
    }
    return dst;
}

// Storage order of one [K][N] matrix (Gemm weight / MatMul constant) as indices into the [K][N] array.
std::vector<int64_t> matrix_storage_order(int64_t k, int64_t n, int block) {
    std::vector<int64_t> order = filter_storage_order(n, 1, 1, k, block, false);
    for (int64_t& f : order) f = (f % k) * n + f / k;  // filter index n*K + k -> matrix index k*N + n
    return order;
}

struct ConvDims {
    int64_t n, c, kh, kw;
    bool one_d;
};

ConvDims onnx_conv_dims(const Shape& s, bool depthwise) {
    if (s.size() != 4 && s.size() != 3) bad_shape("to_blocked", s, "Conv filter [N][C][KH][KW] or [N][C][KW]");
    ConvDims d{s[0], s[1], s.size() == 4 ? s[2] : 1, s.back(), s.size() == 3};
    if (depthwise && d.c != 1) bad_shape("to_blocked", s, "depthwise filter (C == 1)");
    return d;
}

ConvDims stored_conv_dims(const Shape& s, bool depthwise) {
    // Regular [KH,KW,C,N] / [KW,C,N]; depthwise [KH,KW,N,1] / [KW,N,1].
    if (s.size() != 4 && s.size() != 3) bad_shape("from_blocked", s, "stored filter [KH,KW,C,N] or [KW,C,N]");
    const bool one_d = s.size() == 3;
    const int64_t kh = one_d ? 1 : s[0];
    const int64_t kw = one_d ? s[0] : s[1];
    const int64_t a = s[s.size() - 2], b = s.back();
    if (depthwise && b != 1) bad_shape("from_blocked", s, "stored depthwise filter [KH,KW,N,1]");
    return depthwise ? ConvDims{a, 1, kh, kw, one_d} : ConvDims{b, a, kh, kw, one_d};
}

Shape onnx_conv_shape(const ConvDims& d) {
    return d.one_d ? Shape{d.n, d.c, d.kw} : Shape{d.n, d.c, d.kh, d.kw};
}

Shape stored_conv_shape(const ConvDims& d, bool depthwise) {
    const int64_t a = depthwise ? d.n : d.c, b = depthwise ? 1 : d.n;
    return d.one_d ? Shape{d.kw, a, b} : Shape{d.kh, d.kw, a, b};
}

std::vector<int64_t> matmul_storage_order(const Shape& s, int block) {
    if (s.size() < 2) bad_shape("layout", s, "MatMul constant [..., C, N]");
    const int64_t k = s[s.size() - 2], n = s.back();
    const std::vector<int64_t> one = matrix_storage_order(k, n, block);
    const int64_t batches = k * n != 0 ? shape_numel(s) / (k * n) : 0;
    std::vector<int64_t> order;
    order.reserve(static_cast<size_t>(shape_numel(s)));
    for (int64_t b = 0; b < batches; ++b)
        for (int64_t i : one) order.push_back(b * k * n + i);
    return order;
}

bool starts_with(const std::string& s, const std::string& p) { return s.compare(0, p.size(), p) == 0; }

// Reads a decimal number at s[pos...]; returns -1 if there is none.
int read_number(const std::string& s, size_t& pos) {
    int v = -1;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9' && v < 100000) v = (v < 0 ? 0 : v * 10) + (s[pos++] - '0');
    return v;
}

}  // namespace

std::vector<int64_t> filter_storage_order(int64_t n, int64_t kh, int64_t kw, int64_t c, int block, bool depthwise) {
    invariant(block >= 0 && n >= 0 && kh >= 0 && kw >= 0 && c >= 0, "filter_storage_order: negative size");
    const int64_t na = block > 0 ? n / block * block : 0;
    auto onnx_index = [&](int64_t on, int64_t ch, int64_t y, int64_t x) { return ((on * c + ch) * kh + y) * kw + x; };
    std::vector<int64_t> order;
    order.reserve(static_cast<size_t>(n * kh * kw * c));
    for (int64_t b = 0; b < na / (block > 0 ? block : 1); ++b)
        for (int64_t y = 0; y < kh; ++y)
            for (int64_t x = 0; x < kw; ++x)
                for (int64_t ch = 0; ch < c; ++ch)
                    for (int64_t l = 0; l < block; ++l) order.push_back(onnx_index(b * block + l, ch, y, x));
    if (depthwise) {
        for (int64_t y = 0; y < kh; ++y)
            for (int64_t x = 0; x < kw; ++x)
                for (int64_t on = na; on < n; ++on)
                    for (int64_t ch = 0; ch < c; ++ch) order.push_back(onnx_index(on, ch, y, x));
    } else {
        for (int64_t on = na; on < n; ++on)
            for (int64_t y = 0; y < kh; ++y)
                for (int64_t x = 0; x < kw; ++x)
                    for (int64_t ch = 0; ch < c; ++ch) order.push_back(onnx_index(on, ch, y, x));
    }
    return order;
}

Tensor to_blocked(const Tensor& w, WeightKind kind, int block) {
    switch (kind) {
        case WeightKind::Conv:
        case WeightKind::DepthwiseConv: {
            const bool dw = kind == WeightKind::DepthwiseConv;
            const ConvDims d = onnx_conv_dims(w.shape(), dw);
            return move_elements(w, stored_conv_shape(d, dw), filter_storage_order(d.n, d.kh, d.kw, d.c, block, dw),
                                 true);
        }
        case WeightKind::Gemm: {
            if (w.rank() != 2) bad_shape("to_blocked", w.shape(), "Gemm weight [K][N]");
            const int64_t k = w.dim(0), n = w.dim(1);
            return move_elements(w, {1, 1, k, n}, matrix_storage_order(k, n, block), true);
        }
        case WeightKind::MatMul: return move_elements(w, w.shape(), matmul_storage_order(w.shape(), block), true);
    }
    throw InternalError("to_blocked: unknown weight kind");
}

Tensor from_blocked(const Tensor& w, WeightKind kind, int block) {
    switch (kind) {
        case WeightKind::Conv:
        case WeightKind::DepthwiseConv: {
            const bool dw = kind == WeightKind::DepthwiseConv;
            const ConvDims d = stored_conv_dims(w.shape(), dw);
            return move_elements(w, onnx_conv_shape(d), filter_storage_order(d.n, d.kh, d.kw, d.c, block, dw), false);
        }
        case WeightKind::Gemm: {
            if (w.rank() != 4 || w.dim(0) != 1 || w.dim(1) != 1)
                bad_shape("from_blocked", w.shape(), "stored Gemm weight [1,1,K,N]");
            const int64_t k = w.dim(2), n = w.dim(3);
            return move_elements(w, {k, n}, matrix_storage_order(k, n, block), false);
        }
        case WeightKind::MatMul: return move_elements(w, w.shape(), matmul_storage_order(w.shape(), block), false);
    }
    throw InternalError("from_blocked: unknown weight kind");
}

std::string layout_tag(WeightKind kind, int spatial_rank, int64_t n, int block) {
    const bool one_d = spatial_rank == 1;
    if (block == 0) {
        if (kind == WeightKind::DepthwiseConv) return one_d ? "WCN" : "HWCN";
        return one_d ? "NWC" : "NHWC";
    }
    const std::string a = std::to_string(block);
    std::string tag = "(N/" + a + ")" + (one_d ? "WC" : "HWC") + a;
    if (n % block != 0) tag += "_UNALIGNED";
    return tag;
}

std::string layout_doc_string(const std::string& tag) { return "layout ==> " + tag; }

LayoutInfo parse_layout(const std::string& text) {
    std::string s = text;
    const std::string prefix = "layout ==>";
    if (starts_with(s, prefix)) s = s.substr(prefix.size());
    s.erase(0, s.find_first_not_of(' '));
    s.erase(s.find_last_not_of(' ') + 1);
    LayoutInfo info;
    const std::string suffix = "_UNALIGNED";
    if (s.size() > suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0) {
        info.unaligned = true;
        s.erase(s.size() - suffix.size());
    }
    if (s == "NHWC" || s == "NWC" || s == "HWCN" || s == "WCN") {
        info.known = true;
        info.one_d = s.size() == 3;
        info.depthwise_plain = s.back() == 'N';
        return info;
    }
    // "(N/16)HWC16" or the older "N16HWC16"; the two block numbers must agree.
    size_t pos = 0;
    int a = -1;
    if (starts_with(s, "(N/")) {
        pos = 3;
        a = read_number(s, pos);
        if (pos >= s.size() || s[pos] != ')') return LayoutInfo{};
        ++pos;
    } else if (starts_with(s, "N")) {
        pos = 1;
        a = read_number(s, pos);
    }
    if (a <= 0) return LayoutInfo{};
    if (s.compare(pos, 3, "HWC") == 0) pos += 3;
    else if (s.compare(pos, 2, "WC") == 0) pos += 2, info.one_d = true;
    else return LayoutInfo{};
    if (read_number(s, pos) != a || pos != s.size()) return LayoutInfo{};
    info.known = true;
    info.block = a;
    return info;
}

}  // namespace espq::espdl
