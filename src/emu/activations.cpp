// Unary activations: Sigmoid, Tanh, Swish, HardSigmoid, HardSwish, Relu, LeakyRelu, Elu, Exp, Log, Sqrt, Clip.
//
// int8 with a `lut` table -> the LUT module (table[x + 128]). Otherwise (int16 always, int8 without a table)
// ESP-DL computes in float per element (docs/esp-dl-arithmetic.md §6.9 table, from the dl_module_*.hpp sources):
// v = x * 2^e_in, t = f(v), y = sat(fround(t * 2^-e_out)). Because y depends only on x, the emulator evaluates
// that formula once per possible input value at prepare time (256 / 65536 entries) and then looks it up.
#include <cmath>

#include "emu/emu_op.hpp"
#include "emu/lut.hpp"

namespace espq::emu {

namespace {

enum class Act { Sigmoid, Tanh, Swish, HardSigmoid, HardSwish, Relu, LeakyRelu, Elu, Exp, Log, Sqrt, Clip };

struct ActSpec {
    Act act;
    float alpha = 0, beta = 0;
};

// dl::math::sigmoid: 1.0 / (1.0 + expf(-x)) in double, returned as float.
float dl_sigmoid(float x) { return static_cast<float>(1.0 / (1.0 + static_cast<double>(std::exp(-x)))); }
float dl_tanh(float x) { return 2 * dl_sigmoid(2 * x) - 1; }

// Float-input forward (quant_type F32).
float act_float(const ActSpec& s, float v) {
    switch (s.act) {
        case Act::Sigmoid: return dl_sigmoid(v);
        case Act::Tanh: return dl_tanh(v);
        case Act::Swish: return dl_sigmoid(v) * v;
        case Act::HardSigmoid: return std::max(0.0f, std::min(1.0f, s.alpha * v + s.beta));
        case Act::HardSwish: return static_cast<float>(std::max(0.0, std::min(1.0, 0.166667 * v + 0.5)) * v);
        case Act::Relu: return v >= 0 ? v : 0.0f;
        case Act::LeakyRelu: return v >= 0 ? v : v * s.alpha;
        case Act::Elu: return v < 0 ? s.alpha * (std::exp(v) - 1) : v;
        case Act::Exp: return std::exp(v);
        case Act::Log: return std::log(v);
        case Act::Sqrt: return std::sqrt(v);
        case Act::Clip: return v;  // bounds handled by the caller
    }
    return v;
}

// Quantized forward of one integer input value, exactly as the module's forward_template writes it.
template <typename T>
T act_quantized(const ActSpec& s, int32_t x, float in_scale, float out_scale, bool same_exponent, Rounding r) {
    const float v = static_cast<float>(x) * in_scale;
    auto q = [&](float t) { return saturate<T>(fround(t, r)); };
    switch (s.act) {
        case Act::Sigmoid: return q(dl_sigmoid(v) * out_scale);
        case Act::Tanh: return q(dl_tanh(v) * out_scale);
        case Act::Swish: return q(dl_sigmoid(v) * v * out_scale);
        case Act::HardSigmoid: return q(std::max(0.0f, std::min(1.0f, s.alpha * v + s.beta)) * out_scale);
        case Act::HardSwish: {
            const float t = static_cast<float>(std::max(0.0, std::min(1.0, 0.166667 * v + 0.5)) * v);
            return q(t * out_scale);
        }
        case Act::Relu:
            if (same_exponent) return static_cast<T>(x >= 0 ? x : 0);
            return v >= 0 ? q(v * out_scale) : T(0);
        case Act::LeakyRelu: return v >= 0 ? q(v * out_scale) : q(v * out_scale * s.alpha);
        case Act::Elu: return v >= 0 ? q(v * out_scale) : q(s.alpha * (std::exp(v) - 1) * out_scale);
        case Act::Exp: return q(std::exp(v) * out_scale);
        case Act::Log: return q(std::log(v) * out_scale);
        case Act::Sqrt: return q(std::sqrt(v) * out_scale);
        case Act::Clip: break;
    }
    throw InternalError("act_quantized: Clip is handled separately");
}

template <typename T>
class TableKernel : public EmuKernel {
public:
    explicit TableKernel(std::vector<T> table) : table_(std::move(table)) {}
    void run(const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out, KernelScratch&) const override {
        const T* x = in[0]->data<T>();
        T* y = out[0]->data<T>();
        const int64_t n = in[0]->numel();
        constexpr int offset = -static_cast<int>(std::numeric_limits<T>::min());
        for (int64_t i = 0; i < n; ++i) y[i] = table_[x[i] + offset];
    }

private:
    std::vector<T> table_;
};

// Clip bound (input 1 = min, 2 = max): element 0 read in the input's own dtype.
template <typename T>
T clip_bound(const PrepareContext& ctx, int input, T dflt) {
    if (!ctx.has_input(input)) return dflt;
    const Tensor& t = ctx.require_constant(input, input == 1 ? "min" : "max");
    ctx.check(t.numel() >= 1, "Clip bound is empty");
    if constexpr (std::is_same_v<T, float>) return static_cast<float>(t.as_doubles()[0]);
    else {
        ctx.check(dtype_is_integer(t.dtype()), std::string("Clip bound has dtype ") + dtype_name(t.dtype()) +
                                                   "; a quantized Clip needs bounds in the input's integer dtype");
        return saturate<T>(t.as_int64s()[0]);
    }
}

ActSpec spec_for(const PrepareContext& ctx) {
    static const std::map<std::string, Act> acts = {
        {"Sigmoid", Act::Sigmoid}, {"Tanh", Act::Tanh}, {"Swish", Act::Swish}, {"HardSigmoid", Act::HardSigmoid},
        {"HardSwish", Act::HardSwish}, {"Relu", Act::Relu}, {"LeakyRelu", Act::LeakyRelu}, {"Elu", Act::Elu},
        {"Exp", Act::Exp}, {"Log", Act::Log}, {"Sqrt", Act::Sqrt}, {"Clip", Act::Clip}};
    const Node& n = ctx.node();
    ActSpec s{acts.at(n.op_type)};
    if (s.act == Act::HardSigmoid) {
        s.alpha = n.attr_float("alpha", 0.2f);
        s.beta = n.attr_float("beta", 0.5f);
    } else if (s.act == Act::LeakyRelu) {
        s.alpha = n.attr_float("alpha", 0.01f);
    } else if (s.act == Act::Elu) {
        s.alpha = n.attr_float("alpha", 1.0f);
    }
    return s;
}

template <typename T>
std::unique_ptr<EmuKernel> quantized_kernel(PrepareContext& ctx, const ActSpec& s) {
    const int e_in = ctx.in_exponent(0), e_out = ctx.out_exponent(0);
    const float in_scale = pow2f(e_in), out_scale = pow2f(-e_out);
    constexpr int64_t lo = std::numeric_limits<T>::min(), hi = std::numeric_limits<T>::max();
    std::vector<T> table(static_cast<size_t>(hi - lo + 1));
    if (s.act == Act::Clip) {
        const T mn = clip_bound<T>(ctx, 1, std::numeric_limits<T>::min());
        const T mx = clip_bound<T>(ctx, 2, std::numeric_limits<T>::max());
        const float rescale = pow2f(e_in) * pow2f(-e_out);
        for (int64_t x = lo; x <= hi; ++x) {
            const T t = x < mn ? mn : (x > mx ? mx : static_cast<T>(x));  // DL_CLIP
            table[x - lo] = saturate<T>(fround(static_cast<float>(t) * rescale, ctx.rounding()));
        }
    } else {
        for (int64_t x = lo; x <= hi; ++x)
            table[x - lo] = act_quantized<T>(s, static_cast<int32_t>(x), in_scale, out_scale, e_in == e_out,
                                             ctx.rounding());
    }
    return std::make_unique<TableKernel<T>>(std::move(table));
}

std::unique_ptr<EmuKernel> prepare_activation(PrepareContext& ctx) {
    const DType act = ctx.in_dtype(0);
    ctx.require_dtype(act, {DType::Int8, DType::Int16, DType::Float32}, "input");
    ctx.check(ctx.out_dtype(0) == act, "output dtype differs from the input dtype");
    ctx.set_out_shape(0, ctx.in_shape(0));
    // ESP-DL deserializes an int8 node with a table into the LUT module; int16 modules ignore the table.
    if (act == DType::Int8)
        if (const Value* table = lut_table(ctx)) return make_lut_kernel(ctx, *table);
    const ActSpec s = spec_for(ctx);
    if (act == DType::Int8) return quantized_kernel<int8_t>(ctx, s);
    if (act == DType::Int16) return quantized_kernel<int16_t>(ctx, s);
    const float mn = s.act == Act::Clip ? clip_bound<float>(ctx, 1, std::numeric_limits<float>::lowest()) : 0.0f;
    const float mx = s.act == Act::Clip ? clip_bound<float>(ctx, 2, std::numeric_limits<float>::max()) : 0.0f;
    return make_kernel(
        [s, mn, mx](const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out, KernelScratch&) {
            const float* x = in[0]->data<float>();
            float* y = out[0]->data<float>();
            for (int64_t i = 0; i < in[0]->numel(); ++i)
                y[i] = s.act == Act::Clip ? (x[i] < mn ? mn : (x[i] > mx ? mx : x[i])) : act_float(s, x[i]);
        });
}

}  // namespace

ESPQ_REGISTER_EMU_OP("Sigmoid", prepare_activation);
ESPQ_REGISTER_EMU_OP("Tanh", prepare_activation);
ESPQ_REGISTER_EMU_OP("Swish", prepare_activation);
ESPQ_REGISTER_EMU_OP("HardSigmoid", prepare_activation);
ESPQ_REGISTER_EMU_OP("HardSwish", prepare_activation);
ESPQ_REGISTER_EMU_OP("Relu", prepare_activation);
ESPQ_REGISTER_EMU_OP("LeakyRelu", prepare_activation);
ESPQ_REGISTER_EMU_OP("Elu", prepare_activation);
ESPQ_REGISTER_EMU_OP("Exp", prepare_activation);
ESPQ_REGISTER_EMU_OP("Log", prepare_activation);
ESPQ_REGISTER_EMU_OP("Sqrt", prepare_activation);
ESPQ_REGISTER_EMU_OP("Clip", prepare_activation);

}  // namespace espq::emu
