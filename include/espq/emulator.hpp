// Bit-exact emulator of ESP-DL's integer kernels, executing a lowered (.espdl) graph.
//
// Follows docs/esp-dl-arithmetic.md: NHWC activations, blocked weights, 20-bit saturating int8 QACC
// lanes with the exact 40-bit ACCX tail on S3, round-half-up (S3, C) or half-even (P4), LUT ops, raw-integer
// Add/Sub/Concat, float paths where the chip computes in float. Kernels are prepared once per node
// (shifts, de-blocked weights, tables) and run many times; run() is const and thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "espq/ir.hpp"
#include "espq/target.hpp"

namespace espq {

class Emulator {
public:
    // Throws UnsupportedError "node 'X' (Op): not emulated yet for <target>: ..." for ops it cannot run.
    Emulator(const Graph& graph, Target target);
    ~Emulator();
    Emulator(Emulator&&) noexcept;

    // Inputs in the graph's input order, with the graph input dtype (int8/int16/float) and stored shape.
    // Returns the graph outputs (raw integers or float, as their Values say).
    using Observer = std::function<void(int value_id, const Tensor&)>;
    std::vector<Tensor> run(const std::vector<Tensor>& inputs, const Observer& observer = {}) const;

    const Graph& graph() const;
    Target target() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace espq
