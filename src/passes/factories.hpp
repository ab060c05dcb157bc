// Factories of the individual passes (one per file); the order lives in pass_list.cpp only.
#pragma once

#include <memory>

#include "espq/passes.hpp"

namespace espq::passes {

std::unique_ptr<GraphPass> make_remove_identity();
std::unique_ptr<GraphPass> make_clip_bounds_to_inputs();
std::unique_ptr<GraphPass> make_fold_constants();
std::unique_ptr<GraphPass> make_fold_batchnorm();
std::unique_ptr<GraphPass> make_fuse_bias_add();
std::unique_ptr<GraphPass> make_fuse_layer_norm();
std::unique_ptr<GraphPass> make_matmul_to_gemm();
std::unique_ptr<GraphPass> make_div_to_mul();
std::unique_ptr<GraphPass> make_neg_to_mul();
std::unique_ptr<GraphPass> make_pow_to_mul();
std::unique_ptr<GraphPass> make_reduce_to_pool();
std::unique_ptr<GraphPass> make_normalize_gemm();
std::unique_ptr<GraphPass> make_relu6_to_relu();
std::unique_ptr<GraphPass> make_equalize_layers();
std::unique_ptr<GraphPass> make_fuse_swish();
std::unique_ptr<GraphPass> make_fuse_hardswish();
std::unique_ptr<GraphPass> make_fuse_decomposed_hardswish();
std::unique_ptr<GraphPass> make_minmax_to_clip();
std::unique_ptr<GraphPass> make_fuse_conv_relu();
std::unique_ptr<GraphPass> make_remove_dead_nodes();

}  // namespace espq::passes
