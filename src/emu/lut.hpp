// Table lookup (the ESP-DL LUT module): int8 y = table[x + 128]; int16 nearest neighbour on a table of
// 65536/step + 1 entries (docs/esp-dl-arithmetic.md §4.4, §6.9).
#pragma once

#include <memory>

#include "emu/emu_op.hpp"

namespace espq::emu {

// The table named by the node's `lut` attribute, or nullptr when the node has none.
const Value* lut_table(const PrepareContext& ctx);

// LUT kernel for the node (input 0 -> output 0) using `table`; checks dtype, size and exponent.
std::unique_ptr<EmuKernel> make_lut_kernel(PrepareContext& ctx, const Value& table);

}  // namespace espq::emu
