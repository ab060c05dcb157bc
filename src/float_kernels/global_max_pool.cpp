// GlobalMaxPool (ONNX opsets 11-18): the maximum of each (n, c) plane, any number of spatial axes, float32.
#include <limits>

#include "float_kernels/pool_common.hpp"

namespace espq::float_kernels {
namespace {

std::unique_ptr<FloatKernel> prepare_global_max_pool(const Node&, const Graph&) {
    return make_global_pool_kernel([](const float* plane, int64_t size) {
        float best = -std::numeric_limits<float>::infinity();
        for (int64_t i = 0; i < size; ++i) best = plane[i] > best ? plane[i] : best;
        return best;
    });
}

}  // namespace

ESPQ_REGISTER_FLOAT_OP(FloatOpDef{"GlobalMaxPool", infer_global_pool, prepare_global_max_pool});

}  // namespace espq::float_kernels
