// The one ordered list of optimizer passes.
#include "passes/factories.hpp"

namespace espq {

namespace {
struct Entry {
    std::unique_ptr<GraphPass> (*make)();
    bool PassOptions::*opt_in;  // the option that enables an opt-in pass; nullptr = always on
};
// Order matters: clean-ups first so that patterns are adjacent, then folds that create constants, then
// fusions that need folded weights, activation fusion last (it changes which tensor a Conv produces).
const Entry kPasses[] = {
    {passes::make_remove_identity, nullptr},                      //
    {passes::make_minmax_to_clip, nullptr},                       // exporters' clamps, as the Clip / Relu ESP-DL has
    {passes::make_clip_bounds_to_inputs, nullptr},                // one Clip form for every later stage
    {passes::make_fold_constants, nullptr},                       //
    {passes::make_fold_batchnorm, nullptr},                       //
    {passes::make_fuse_layer_norm, nullptr},                      // before its parts are rewritten one by one
    {passes::make_matmul_to_gemm, nullptr},                       //
    {passes::make_div_to_mul, nullptr},                           // ops ESP-DL lacks, in forms it has
    {passes::make_neg_to_mul, nullptr},                           //
    {passes::make_pow_to_mul, nullptr},                           //
    {passes::make_reduce_to_pool, nullptr},                       //
    {passes::make_fuse_bias_add, nullptr},                        //
    {passes::make_normalize_gemm, nullptr},                       //
    {passes::make_relu6_to_relu, &PassOptions::relu6_to_relu},    // opt-in: changes the function
    {passes::make_equalize_layers, &PassOptions::equalize},       // opt-in: needs folded BN, Gemm in [K, N] form
    {passes::make_fuse_swish, nullptr},                           //
    {passes::make_fuse_hardswish, nullptr},                       //
    {passes::make_fuse_decomposed_hardswish, nullptr},            // after div_to_mul: x * clip(x + 3, 0, 6) * 1/6
    {passes::make_fuse_conv_relu, nullptr},                       //
    {passes::make_remove_dead_nodes, nullptr},
};
}  // namespace

std::vector<std::unique_ptr<GraphPass>> make_pass_list(const PassOptions& options) {
    std::vector<std::unique_ptr<GraphPass>> list;
    for (const auto& e : kPasses) {
        if (e.opt_in && !(options.*e.opt_in)) continue;
        auto p = e.make();
        if (options.disabled.count(p->name())) continue;
        list.push_back(std::move(p));
    }
    return list;
}

std::vector<std::string> all_pass_names() {
    std::vector<std::string> names;
    for (const auto& e : kPasses) names.push_back(e.make()->name());
    return names;
}

}  // namespace espq
