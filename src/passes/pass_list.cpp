// The one ordered list of optimizer passes.
#include "passes/factories.hpp"

namespace espq {

namespace {
struct Entry {
    std::unique_ptr<GraphPass> (*make)();
    bool opt_in_relu6;
};
// Order matters: clean-ups first so that patterns are adjacent, then folds that create constants, then
// fusions that need folded weights, activation fusion last (it changes which tensor a Conv produces).
const Entry kPasses[] = {
    {passes::make_remove_identity, false},  //
    {passes::make_fold_constants, false},   //
    {passes::make_fold_batchnorm, false},   //
    {passes::make_matmul_to_gemm, false},   //
    {passes::make_fuse_bias_add, false},    //
    {passes::make_normalize_gemm, false},   //
    {passes::make_relu6_to_relu, true},     // opt-in: changes the function
    {passes::make_fuse_swish, false},       //
    {passes::make_fuse_hardswish, false},   //
    {passes::make_fuse_conv_relu, false},   //
    {passes::make_remove_dead_nodes, false},
};
}  // namespace

std::vector<std::unique_ptr<GraphPass>> make_pass_list(const PassOptions& options) {
    std::vector<std::unique_ptr<GraphPass>> list;
    for (const auto& e : kPasses) {
        if (e.opt_in_relu6 && !options.relu6_to_relu) continue;
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
