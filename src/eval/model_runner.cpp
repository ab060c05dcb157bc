#include "espq/model_runner.hpp"

#include "espq/emulator.hpp"
#include "espq/espdl.hpp"
#include "espq/float_executor.hpp"
#include "espq/model_file.hpp"
#include "espq/onnx_import.hpp"
#include "espq/quantize.hpp"
#include "espq/support.hpp"
#include "quant/lower_context.hpp"

namespace espq {

namespace {

using quant::channels_last_perm;  // the lowering's layout rule for image tensors
using quant::identity_perm;
using quant::inverse_perm;
using quant::Perm;
using quant::permute_shape;

// Two permutations of `shape` give the same element order when they visit its non-unit axes in the same order.
bool same_element_order(const Shape& shape, const Perm& a, const Perm& b) {
    auto significant = [&](const Perm& p) {
        Perm v;
        for (int axis : p)
            if (shape[axis] != 1) v.push_back(axis);
        return v;
    };
    return significant(a) == significant(b);
}

class OnnxRunner : public ModelRunner {
public:
    OnnxRunner(const std::string& path, const std::vector<std::string>& shapes)
        : path_(path), exec_(load_onnx(path, parse_input_shapes(shapes))) {
        if (exec_.graph().inputs.size() != 1)
            throw UnsupportedError(path + ": models with several inputs are not supported by this command");
    }
    void use_onnx_layout(const Graph*) override {}
    ModelInput input() const override {
        const Value& v = exec_.graph().value(exec_.graph().inputs[0]);
        return {v.name, v.shape};
    }
    std::vector<std::string> output_names() const override {
        std::vector<std::string> names;
        for (int id : exec_.graph().outputs) names.push_back(exec_.graph().value(id).name);
        return names;
    }
    std::vector<Tensor> run(const Tensor& x) const override { return exec_.run({x}); }
    std::vector<Tensor> run_raw(const Tensor& x) const override { return run(x); }
    std::string describe() const override { return path_ + " (float reference)"; }
    const Graph* float_graph() const override { return &exec_.graph(); }

private:
    std::string path_;
    FloatExecutor exec_;
};

class EspdlRunner : public ModelRunner {
public:
    EspdlRunner(const std::string& path, const std::string& target) : path_(path) {
        lowered_.model = read_espdl(path);
        lowered_.target = espdl_model_target(lowered_.model, target, path);
        emu_ = std::make_unique<Emulator>(graph(), lowered_.target);
        if (graph().inputs.size() != 1)
            throw UnsupportedError(path + ": models with several inputs are not supported by this command");
        for (int id : graph().inputs) lowered_.input_perms.push_back(identity_perm(graph().value(id).shape.size()));
        for (int id : graph().outputs) lowered_.output_perms.push_back(identity_perm(graph().value(id).shape.size()));
    }

    void use_onnx_layout(const Graph* reference) override {
        if (reference) {
            if (reference->inputs.size() != graph().inputs.size() ||
                reference->outputs.size() != graph().outputs.size())
                throw UserError(path_ + ": has " + std::to_string(graph().inputs.size()) + " input(s) and " +
                                std::to_string(graph().outputs.size()) + " output(s), the float model " +
                                std::to_string(reference->inputs.size()) + " and " +
                                std::to_string(reference->outputs.size()) +
                                "; compare the .espdl with the ONNX model it was quantized from");
            for (size_t i = 0; i < graph().inputs.size(); ++i)
                lowered_.input_perms[i] = stored_layout_from_shapes(
                    path_ + ": input '" + graph().value(graph().inputs[i]).name + "'",
                    reference->value(reference->inputs[i]).shape, graph().value(graph().inputs[i]).shape);
            for (size_t i = 0; i < graph().outputs.size(); ++i)
                lowered_.output_perms[i] = stored_layout_from_shapes(
                    path_ + ": output '" + graph().value(graph().outputs[i]).name + "'",
                    reference->value(reference->outputs[i]).shape, graph().value(graph().outputs[i]).shape);
            return;
        }
        // Without the float model: an input is channels-last when an operator that reads image tensors
        // channels-last consumes it, the rule the lowering applied when it wrote the file.
        const auto consumers = graph().consumers();
        for (size_t i = 0; i < graph().inputs.size(); ++i) {
            const int id = graph().inputs[i];
            bool channels_last = false;
            for (int c : consumers[id]) channels_last |= op_reads_channels_last(graph().nodes[c].op_type);
            const size_t rank = graph().value(id).shape.size();
            lowered_.input_perms[i] = channels_last ? channels_last_perm(rank) : identity_perm(rank);
        }
    }

    ModelInput input() const override {
        const Value& v = graph().value(graph().inputs[0]);
        return {v.name, permute_shape(v.shape, inverse_perm(lowered_.input_perms[0]))};
    }
    std::vector<std::string> output_names() const override {
        std::vector<std::string> names;
        for (int id : graph().outputs) names.push_back(graph().value(id).name);
        return names;
    }
    std::vector<Tensor> run(const Tensor& x) const override {
        const Value& in = graph().value(graph().inputs[0]);
        // Integer samples are the stored values already.
        const Tensor q = x.dtype() == in.dtype ? permute(x, lowered_.input_perms[0]) : quantize_input(lowered_, 0, x);
        std::vector<Tensor> outs = emu_->run({q});
        for (size_t i = 0; i < outs.size(); ++i) outs[i] = dequantize_output(lowered_, static_cast<int>(i), outs[i]);
        return outs;
    }
    std::vector<Tensor> run_raw(const Tensor& x) const override { return emu_->run({x}); }
    std::string describe() const override {
        return path_ + " (emulated " + std::string(target_name(lowered_.target)) + ")";
    }
    const Graph* float_graph() const override { return nullptr; }

private:
    const Graph& graph() const { return lowered_.model.graph; }

    std::string path_;
    // The file's model with the permutation of each input and output between the current layout and the
    // stored one (identity until use_onnx_layout), so that quantize_input/dequantize_output apply.
    LoweredModel lowered_;
    std::unique_ptr<Emulator> emu_;
};

}  // namespace

std::vector<int> stored_layout_from_shapes(const std::string& what, const Shape& onnx, const Shape& stored) {
    std::vector<Perm> matching;
    for (const Perm& p : {identity_perm(onnx.size()), channels_last_perm(onnx.size())})
        if (onnx.size() == stored.size() && permute_shape(onnx, p) == stored) matching.push_back(p);
    if (matching.empty())
        throw UserError(what + " has shape " + shape_str(stored) + ", the float model's " + shape_str(onnx) +
                        ", which is neither that shape nor its channels-last order; compare the .espdl with the "
                        "ONNX model it was quantized from");
    if (matching.size() == 2 && !same_element_order(onnx, matching[0], matching[1]))
        throw UserError(what + " has shape " + shape_str(stored) + ", the float model's " + shape_str(onnx) +
                        " read channels-first and channels-last alike, and the .espdl file does not record which "
                        "layout it stores; eval cannot line the two up (give the tensor distinct channel and "
                        "spatial sizes)");
    return matching.back();
}

std::unique_ptr<ModelRunner> ModelRunner::open(const std::string& path, const std::string& target,
                                               const std::vector<std::string>& input_shapes) {
    if (detect_model_kind(path) == ModelKind::Espdl) return std::make_unique<EspdlRunner>(path, target);
    return std::make_unique<OnnxRunner>(path, input_shapes);
}

}  // namespace espq
