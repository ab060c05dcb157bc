// GlobalAveragePool (ONNX opsets 11-18): the mean of each (n, c) plane, any number of spatial axes, float32.
// Sums in double so that large planes lose no precision.
#include "float_kernels/pool_common.hpp"

namespace espq::float_kernels {
namespace {

std::unique_ptr<FloatKernel> prepare_global_average_pool(const Node&, const Graph&) {
    return make_global_pool_kernel([](const float* plane, int64_t size) {
        double sum = 0;
        for (int64_t i = 0; i < size; ++i) sum += plane[i];
        return size ? static_cast<float>(sum / static_cast<double>(size)) : 0.f;
    });
}

}  // namespace

ESPQ_REGISTER_FLOAT_OP(FloatOpDef{"GlobalAveragePool", infer_global_pool, prepare_global_average_pool});

}  // namespace espq::float_kernels
