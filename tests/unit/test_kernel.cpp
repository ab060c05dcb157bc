// The kernel interface both executors share (espq/kernel.hpp): scratch buffers and lambda kernels.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "espq/kernel.hpp"
#include "espq/node_error.hpp"

using namespace espq;

TEST(KernelScratch, BuffersAreAlignedAndSlotsIndependent) {
    KernelScratch scratch;
    int32_t* a = scratch.get<int32_t>(0, 100);
    int8_t* b = scratch.get<int8_t>(1, 3);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(a) % 64, 0u);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(b) % 64, 0u);
    for (int i = 0; i < 100; ++i) a[i] = i;
    for (int i = 0; i < 3; ++i) b[i] = -1;
    for (int i = 0; i < 100; ++i) ASSERT_EQ(a[i], i);
    // Asking again for no more than a slot holds returns the same memory; asking for more grows it, aligned.
    EXPECT_EQ(scratch.get<int32_t>(0, 50), a);
    double* grown = scratch.get<double>(0, 100000);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(grown) % 64, 0u);
    grown[99999] = 1.5;  // in bounds (ASan checks)
    EXPECT_EQ(grown[99999], 1.5);
}

TEST(Kernel, LambdaKernelRunsItsFunctionWithTheGivenScratch) {
    const std::unique_ptr<Kernel> k =
        make_kernel([](const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out, KernelScratch& s) {
            float* tmp = s.get<float>(0, 2);
            tmp[0] = in[0]->data<float>()[0] * 2;
            tmp[1] = in[0]->data<float>()[1] * 3;
            out[0]->data<float>()[0] = tmp[0] + tmp[1];
        });
    const Tensor x = Tensor::from<float>({2}, {1.f, 10.f});
    Tensor y(DType::Float32, {1});
    KernelScratch scratch;
    k->run({&x}, {&y}, scratch);
    EXPECT_EQ(y.data<float>()[0], 32.f);
}

TEST(NodeError, MessagesNameTheNodeAndItsOperator) {
    Node n;
    n.name = "conv_3";
    n.op_type = "Conv";
    EXPECT_EQ(node_label(n), "node 'conv_3' (Conv)");
    try {
        throw_node_error(n, "kernel_shape is missing");
        FAIL() << "no exception";
    } catch (const UnsupportedError&) {
        FAIL() << "a rule violation is not an UnsupportedError";
    } catch (const UserError& e) {
        EXPECT_STREQ(e.what(), "node 'conv_3' (Conv): kernel_shape is missing");
    }
    try {
        throw_node_unsupported(n, "group=3 is not supported");
        FAIL() << "no exception";
    } catch (const UnsupportedError& e) {
        EXPECT_STREQ(e.what(), "node 'conv_3' (Conv): group=3 is not supported");
    }
}
