// The operator kernel interface of both executors: the float reference (src/float_kernels) and the ESP-DL
// emulator (src/emu) prepare one Kernel per node once, then run it for every sample, possibly from several
// threads at once; per-thread memory lives in the KernelScratch the caller passes in.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "espq/tensor.hpp"

namespace espq {

// Per-thread scratch memory reused across runs, so that no kernel allocates in its hot loop. A kernel asks for
// typed buffers by slot number (slots are private to one kernel run; two buffers a run needs at the same time
// take different slots). Contents are not kept between calls.
class KernelScratch {
public:
    // 64-byte aligned (vector loads); valid until the next get() of the same slot.
    template <typename T>
    T* get(size_t slot, size_t count) {
        if (buffers_.size() <= slot) buffers_.resize(slot + 1);
        std::vector<uint8_t>& b = buffers_[slot];
        const size_t bytes = count * sizeof(T) + kAlignment;
        if (b.size() < bytes) b.resize(bytes);
        const auto addr = reinterpret_cast<uintptr_t>(b.data());
        return reinterpret_cast<T*>(b.data() + (kAlignment - addr % kAlignment) % kAlignment);
    }

private:
    static constexpr size_t kAlignment = 64;
    std::vector<std::vector<uint8_t>> buffers_;
};

class Kernel {
public:
    virtual ~Kernel() = default;
    // `in[i]` is nullptr for an omitted optional input. Outputs are preallocated with the dtype and shape the
    // executor computed when it prepared the node. Must not modify the kernel (const): the same kernel runs
    // concurrently on several threads.
    virtual void run(const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out,
                     KernelScratch& scratch) const = 0;
};

// A kernel from a lambda `void(const std::vector<const Tensor*>&, const std::vector<Tensor*>&, KernelScratch&)`,
// for operators whose prepared state fits in the lambda's captures.
template <typename F>
class LambdaKernel : public Kernel {
public:
    explicit LambdaKernel(F f) : f_(std::move(f)) {}
    void run(const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out,
             KernelScratch& scratch) const override {
        f_(in, out, scratch);
    }

private:
    F f_;
};

template <typename F>
std::unique_ptr<Kernel> make_kernel(F f) {
    return std::make_unique<LambdaKernel<F>>(std::move(f));
}

}  // namespace espq
