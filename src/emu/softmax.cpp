// Softmax / LogSoftmax: int8/int16/float in, float out (docs/esp-dl-arithmetic.md §6.12, esp-dl dl_module_softmax.hpp).
//   int8: e_i = table[x_i + 128] with table[i] = expf(2^e_in * (i - 128)), no max subtraction; sequential float
//         sum; Softmax y_i = e_i / sum, LogSoftmax y_i = 2^e_in * x_i - logf(sum);
//   int16: v = 2^e_in * x, then the float path; float: max subtraction, expf, sequential sum.
#include <cmath>

#include "emu/emu_op.hpp"

namespace espq::emu {

namespace {

struct SoftmaxPlan {
    int64_t outer = 1, len = 1, inner = 1;
    bool log = false;
    float in_scale = 1.0f;
    std::vector<float> exp_table;  // int8 only
};

// One slice of `len` values at stride `inner`, already dequantized (float path).
void softmax_float(float* v, int64_t len, int64_t inner, bool log) {
    float mx = v[0];
    for (int64_t i = 1; i < len; ++i) mx = std::max(mx, v[i * inner]);
    float sum = 0.f;
    if (log) {
        for (int64_t i = 0; i < len; ++i) sum += std::exp(v[i * inner] - mx);
        const float log_sum = std::log(sum);
        for (int64_t i = 0; i < len; ++i) v[i * inner] = v[i * inner] - mx - log_sum;
        return;
    }
    for (int64_t i = 0; i < len; ++i) {
        v[i * inner] = std::exp(v[i * inner] - mx);
        sum += v[i * inner];
    }
    for (int64_t i = 0; i < len; ++i) v[i * inner] = v[i * inner] / sum;
}

template <typename T>
std::unique_ptr<EmuKernel> softmax_kernel(SoftmaxPlan p) {
    return make_kernel([p](const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out, KernelScratch&) {
        const T* x = in[0]->data<T>();
        float* y = out[0]->data<float>();
        for (int64_t o = 0; o < p.outer; ++o)
            for (int64_t k = 0; k < p.inner; ++k) {
                const int64_t base = o * p.len * p.inner + k;
                if constexpr (std::is_same_v<T, int8_t>) {
                    float sum = 0.f;
                    for (int64_t i = 0; i < p.len; ++i) {
                        const float e = p.exp_table[x[base + i * p.inner] + 128];
                        if (!p.log) y[base + i * p.inner] = e;
                        sum += e;
                    }
                    if (p.log) {
                        const float log_sum = std::log(sum);
                        for (int64_t i = 0; i < p.len; ++i)
                            y[base + i * p.inner] = p.in_scale * x[base + i * p.inner] - log_sum;
                    } else {
                        for (int64_t i = 0; i < p.len; ++i) y[base + i * p.inner] = y[base + i * p.inner] / sum;
                    }
                } else {
                    for (int64_t i = 0; i < p.len; ++i) {
                        if constexpr (std::is_same_v<T, float>)
                            y[base + i * p.inner] = x[base + i * p.inner];
                        else
                            y[base + i * p.inner] = p.in_scale * x[base + i * p.inner];
                    }
                    softmax_float(y + base, p.len, p.inner, p.log);
                }
            }
    });
}

std::unique_ptr<EmuKernel> prepare_softmax(PrepareContext& ctx) {
    const DType dt = ctx.in_dtype(0);
    ctx.require_dtype(dt, {DType::Int8, DType::Int16, DType::Float32}, "input");
    ctx.check(ctx.out_dtype(0) == DType::Float32, std::string("output dtype is ") + dtype_name(ctx.out_dtype(0)) +
                                                      "; ESP-DL's Softmax writes FLOAT");
    const Shape& xs = ctx.in_shape(0);
    ctx.set_out_shape(0, xs);
    SoftmaxPlan p;
    p.log = ctx.node().op_type == "LogSoftmax";
    const int rank = static_cast<int>(xs.size());
    if (rank == 0) {
        return make_kernel([](const std::vector<const Tensor*>&, const std::vector<Tensor*>& out, KernelScratch&) {
            out[0]->data<float>()[0] = 1.0f;  // ESP-DL writes 1 for a scalar (also for LogSoftmax)
        });
    }
    const int axis = normalize_axis(ctx, ctx.node().attr_int("axis", -1), rank);
    for (int d = 0; d < rank; ++d) (d < axis ? p.outer : (d > axis ? p.inner : p.len)) *= xs[d];
    if (dt != DType::Float32) p.in_scale = pow2f(ctx.in_exponent(0));
    if (dt == DType::Int8) {
        p.exp_table.resize(256);
        for (int i = 0; i < 256; ++i) p.exp_table[i] = std::exp(p.in_scale * static_cast<float>(i - 128));
        return softmax_kernel<int8_t>(std::move(p));
    }
    if (dt == DType::Int16) return softmax_kernel<int16_t>(std::move(p));
    return softmax_kernel<float>(std::move(p));
}

}  // namespace

ESPQ_REGISTER_EMU_OP("Softmax", prepare_softmax);
ESPQ_REGISTER_EMU_OP("LogSoftmax", prepare_softmax);

}  // namespace espq::emu
