// LUT module: op type `LUT` and `Gelu` always, and every int8 activation that carries a `lut` table
// (the activation files call make_lut_kernel). docs/esp-dl-arithmetic.md §4.4, §6.9.
#include "emu/lut.hpp"

namespace espq::emu {

const Value* lut_table(const PrepareContext& ctx) {
    const std::string name = ctx.node().attr_string("lut", "");
    if (name.empty()) return nullptr;
    const Value* t = ctx.find_constant(name);
    if (!t) ctx.error("lut table '" + name + "' is not an initializer of the model");
    return t;
}

namespace {

class LutS8 : public EmuKernel {
public:
    // Stored rotated by 128 so that the raw byte of x indexes it: table_[uint8(x)] = table[x + 128].
    explicit LutS8(const Tensor& table) : table_(256) {
        const int8_t* t = table.data<int8_t>();
        for (int i = 0; i < 256; ++i) table_[i] = t[i ^ 0x80];
    }
    void run(const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out, KernelScratch&) const override {
        const int8_t* x = in[0]->data<int8_t>();
        int8_t* y = out[0]->data<int8_t>();
        const int64_t n = in[0]->numel();
        const int8_t* t = table_.data();
        for (int64_t i = 0; i < n; ++i) y[i] = t[static_cast<uint8_t>(x[i])];
    }

private:
    std::vector<int8_t> table_;
};

class LutS16 : public EmuKernel {
public:
    LutS16(const Tensor& table, int shift, Rounding r) : table_(table.to_vector<int16_t>()), shift_(shift), r_(r) {}
    void run(const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out, KernelScratch&) const override {
        const int16_t* x = in[0]->data<int16_t>();
        int16_t* y = out[0]->data<int16_t>();
        const int64_t n = in[0]->numel();
        for (int64_t i = 0; i < n; ++i) y[i] = table_[index(x[i])];
    }

private:
    // u = x + 32768; nearest table entry, ties up on S3/C and to the even index on P4 (lut_index).
    uint32_t index(int16_t x) const {
        const uint32_t u = static_cast<uint16_t>(x) ^ 0x8000u;
        if (shift_ == 0) return u;
        uint32_t idx = u >> shift_;
        const uint32_t rem = u & ((1u << shift_) - 1u), half = 1u << (shift_ - 1);
        if (r_ == Rounding::HalfUp ? rem >= half : (rem > half || (rem == half && (idx & 1u)))) ++idx;
        return idx;
    }
    std::vector<int16_t> table_;
    int shift_;
    Rounding r_;
};

}  // namespace

std::unique_ptr<EmuKernel> make_lut_kernel(PrepareContext& ctx, const Value& table) {
    const DType act = ctx.in_dtype(0);
    ctx.require_dtype(act, {DType::Int8, DType::Int16}, "input");
    ctx.check(ctx.out_dtype(0) == act, "LUT output dtype differs from its input dtype");
    ctx.set_out_shape(0, ctx.in_shape(0));
    const Tensor& t = *table.constant;
    ctx.check(t.dtype() == act, "lut table '" + table.name + "' has dtype " + dtype_name(t.dtype()) +
                                    ", the activation is " + dtype_name(act));
    ctx.check(!table.exponents.empty() && table.exponents[0] == ctx.out_exponent(0),
              "lut table '" + table.name + "' exponent differs from the output exponent (ESP-DL asserts equality)");
    if (act == DType::Int8) {
        ctx.check(t.numel() == 256, "int8 lut table '" + table.name + "' has " + std::to_string(t.numel()) +
                                        " entries; it needs 256");
        return std::make_unique<LutS8>(t);
    }
    const int64_t entries = t.numel();
    const int64_t step = entries > 1 ? 65536 / (entries - 1) : 0;
    if (entries == 65536) return std::make_unique<LutS16>(t, 0, ctx.rounding());  // table[x + 32768]
    if (entries < 2 || step * (entries - 1) != 65536 || (step & (step - 1)) != 0)
        ctx.error("int16 lut table '" + table.name + "' has " + std::to_string(entries) +
                  " entries; it needs 65536/step + 1 with step a power of two");
    int shift = 0;
    while ((int64_t(1) << shift) < step) ++shift;
    return std::make_unique<LutS16>(t, shift, ctx.rounding());
}

namespace {

std::unique_ptr<EmuKernel> prepare_lut(PrepareContext& ctx) {
    const Value* table = lut_table(ctx);
    if (!table)
        ctx.error("has no `lut` table attribute; ESP-DL runs " + ctx.node().op_type + " only through its LUT module");
    return make_lut_kernel(ctx, *table);
}

}  // namespace

ESPQ_REGISTER_EMU_OP("LUT", prepare_lut);
ESPQ_REGISTER_EMU_OP("Gelu", prepare_lut);

}  // namespace espq::emu
