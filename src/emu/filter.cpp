#include "emu/filter.hpp"

#include <algorithm>
#include <cstring>

namespace espq::emu {

int filter_block_size(const PrepareContext& ctx, const Value& w) {
    const int expected = ctx.policy().lane_channels(w.dtype);
    const espdl::LayoutInfo info = espdl::parse_layout(w.doc_string);
    if (!info.known || info.block == expected) return expected;  // "UNK" / no tag: the target's layout
    const std::string tag = w.doc_string.substr(w.doc_string.find_first_not_of("layout ==>"));
    const char* made_for = info.block == 0 ? "a C target (--target c)" : "esp32s3 / esp32p4 (--target esp32s3 or esp32p4)";
    ctx.error("weight '" + w.name + "' is stored as '" + tag + "', not in the " +
              (expected == 0 ? std::string("plain") : std::to_string(expected) + "-channel blocked") + " layout of " +
              target_name(ctx.policy().target) + "; the file was made for " + made_for);
}

std::vector<int> mac_shifts(const PrepareContext& ctx, const Value& w, int n, int e_in, int e_out) {
    if (w.exponents.empty()) ctx.error("weight '" + w.name + "' has no exponent");
    std::vector<int> shifts(n);
    if (w.exponents.size() > 1) {
        if (!ctx.policy().per_channel_weights)
            ctx.error("weight '" + w.name + "' has per-channel exponents, which " +
                      target_name(ctx.policy().target) +
                      " does not support (its kernels read a NULL per-channel factor table); re-export per-tensor");
        if (static_cast<int>(w.exponents.size()) != n)
            ctx.error("weight '" + w.name + "' has " + std::to_string(w.exponents.size()) +
                      " exponents for " + std::to_string(n) + " output channels");
    }
    for (int c = 0; c < n; ++c) {
        const int e_w = static_cast<int>(w.exponents.size() > 1 ? w.exponents[c] : w.exponents[0]);
        shifts[c] = e_out - e_w - e_in;
        if (shifts[c] < 0)
            ctx.error("requantization shift e_out - e_w - e_in = " + std::to_string(e_out) + " - (" +
                      std::to_string(e_w) + ") - (" + std::to_string(e_in) + ") = " + std::to_string(shifts[c]) +
                      " is negative; ESP-DL kernels need it >= 0 (re-quantize with a coarser output exponent)");
        if (shifts[c] > 62) ctx.error("requantization shift " + std::to_string(shifts[c]) + " is out of range");
    }
    return shifts;
}

std::vector<int64_t> read_bias(const PrepareContext& ctx, int input, int n, DType act) {
    if (!ctx.has_input(input)) return {};
    const Tensor& b = ctx.require_constant(input, "bias");
    if (!dtype_is_integer(b.dtype()))
        ctx.error(std::string("bias has dtype ") + dtype_name(b.dtype()) + "; a quantized bias is an integer tensor");
    if (b.numel() != n)
        ctx.error("bias has " + std::to_string(b.numel()) + " values for " + std::to_string(n) + " output channels");
    (void)act;  // ESP-DL asserts INT32 (int8 ops) / INT64 (int16 ops); the values are what matters here
    return b.as_int64s();
}

bool fused_relu(const PrepareContext& ctx) {
    const std::string a = ctx.node().attr_string("activation", "Linear");
    if (a == "Linear" || a.empty()) return false;
    // LeakyRelu is routed to the ReLU kernel (docs/esp-dl-arithmetic.md §6.1 quirks)
    if (a == "Relu" || a == "LeakyRelu") return true;
    ctx.unsupported("fused activation '" + a + "'");
}

void widen_rows(const int8_t* src, int64_t rows, int k, int16_t* dst, int kp) {
    for (int64_t r = 0; r < rows; ++r) {
        const int8_t* s = src + r * k;
        int16_t* d = dst + r * kp;
        for (int t = 0; t < k; ++t) d[t] = s[t];
        std::fill(d + k, d + kp, int16_t(0));
    }
}

void run_matrix(const MacEngineS8& e, const int8_t* x, int64_t rows, int8_t* y, KernelScratch& s) {
    const int64_t padded = MacEngineS8::padded_rows(rows);
    int16_t* col = s.get<int16_t>(0, padded * e.k_padded());
    int32_t* acc = s.get<int32_t>(1, padded * e.n_padded());
    widen_rows(x, rows, e.k(), col, e.k_padded());
    std::fill(col + rows * e.k_padded(), col + padded * e.k_padded(), int16_t(0));
    e.run(col, rows, y, e.n(), acc);
}

void run_matrix(const MacEngineS16& e, const int16_t* x, int64_t rows, int16_t* y, KernelScratch& s) {
    int64_t* acc = s.get<int64_t>(1, e.n());
    e.run(x, rows, y, e.n(), acc);
}

}  // namespace espq::emu
