#include "float_kernels/window.hpp"

#include <algorithm>

namespace espq::float_kernels {

const Shape& require_input_shape(const InferContext& ctx, int i, const char* what, int min_rank, int max_rank) {
    const Value* v = ctx.in(i);
    if (!v) ctx.error(std::string("input ") + std::to_string(i) + " (" + what + ") is required");
    if (!v->shape_known)
        ctx.error(std::string("input ") + what + " '" + v->name +
                  "' has no static shape; run shape inference / fix the input shape first");
    const int r = static_cast<int>(v->shape.size());
    if (r < min_rank || r > max_rank)
        ctx.error(std::string("input ") + what + " '" + v->name + "' has rank " + std::to_string(r) + " (shape " +
                  shape_str(v->shape) + "); expected rank " + std::to_string(min_rank) +
                  (max_rank != min_rank ? ".." + std::to_string(max_rank) : std::string()));
    return v->shape;
}

const Shape& require_float_input(const InferContext& ctx, int i, const char* what, int min_rank, int max_rank) {
    const Shape& shape = require_input_shape(ctx, i, what, min_rank, max_rank);
    const Value* v = ctx.in(i);
    if (v->dtype != DType::Float32)
        ctx.error(std::string("input ") + std::to_string(i) + " (" + what + ", '" + v->name + "') is " +
                  dtype_name(v->dtype) + "; the float reference kernels compute in FLOAT (float32) only");
    return shape;
}

void reject_outputs_from(const InferContext& ctx, int i, const char* why) {
    for (int k = i; k < ctx.num_outputs(); ++k)
        if (ctx.node.outputs[k] >= 0)
            ctx.error("output " + std::to_string(k) + " is not supported (" + why +
                      "); remove it from the node's outputs");
}

namespace {

Dims read_dims(const Node& node, const char* name, size_t rank, int64_t dflt, int64_t min_value) {
    Dims v = node.attr_ints(name, Dims(rank, dflt));
    if (v.size() != rank)
        throw_node_error(node, std::string("attribute '") + name + "' has " + std::to_string(v.size()) +
                                   " values; expected one per spatial dimension (" + std::to_string(rank) + ")");
    for (int64_t x : v)
        if (x < min_value)
            throw_node_error(node, std::string("attribute '") + name + "' value " + std::to_string(x) +
                                       " is out of range (must be >= " + std::to_string(min_value) + ")");
    return v;
}

// Reads `pads` = [x1_begin, x2_begin, ..., x1_end, x2_end, ...] into w.pad_begin / w.pad_end.
void read_pads(const Node& node, Window& w, bool allow_negative) {
    const size_t r = w.rank();
    Dims pads = node.attr_ints("pads", Dims(2 * r, 0));
    if (pads.size() != 2 * r)
        throw_node_error(node, "attribute 'pads' has " + std::to_string(pads.size()) + " values; expected " +
                                   std::to_string(2 * r) + " (begin and end for each spatial dimension)");
    for (int64_t p : pads)
        if (p < 0 && !allow_negative)
            throw_node_error(node,
                             "attribute 'pads' has a negative value " + std::to_string(p) + "; pads must be >= 0");
    w.pad_begin.assign(pads.begin(), pads.begin() + r);
    w.pad_end.assign(pads.begin() + r, pads.end());
}

std::string auto_pad_of(const Node& node) {
    std::string a = node.attr_string("auto_pad", "NOTSET");
    if (a != "NOTSET" && a != "SAME_UPPER" && a != "SAME_LOWER" && a != "VALID")
        throw_node_error(node, "attribute auto_pad='" + a + "' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID");
    return a;
}

// Explicit non-zero pads contradict auto_pad (SAME_* / VALID compute their own).
void reject_pads_with_auto_pad(const Node& node, const std::string& auto_pad) {
    for (int64_t p : node.attr_ints("pads", {}))
        if (p != 0) throw_node_error(node, "attribute 'pads' cannot be combined with auto_pad='" + auto_pad + "'");
}

void read_common(const Node& node, Window& w, const Dims& in, const Dims& kernel, bool has_dilations) {
    const size_t r = in.size();
    w.in = in;
    w.kernel = kernel;
    if (kernel.size() != r)
        throw_node_error(node, "kernel has " + std::to_string(kernel.size()) +
                                   " spatial dimensions but the input has " + std::to_string(r));
    for (int64_t k : kernel)
        if (k < 1) throw_node_error(node, "kernel size " + std::to_string(k) + " is invalid (must be >= 1)");
    w.strides = read_dims(node, "strides", r, 1, 1);
    if (has_dilations) {
        w.dilations = read_dims(node, "dilations", r, 1, 1);
    } else {
        if (node.has_attr("dilations") && node.attr_ints("dilations") != Dims(r, 1))
            throw_node_error(node, "attribute 'dilations' is not defined for this operator before opset 19; remove it");
        w.dilations.assign(r, 1);
    }
}

}  // namespace

Window forward_window(const Node& node, const Dims& in, const Dims& kernel, CeilMode ceil_mode, bool has_dilations) {
    Window w;
    read_common(node, w, in, kernel, has_dilations);
    const size_t r = in.size();
    const std::string auto_pad = auto_pad_of(node);
    w.out.assign(r, 0);
    if (auto_pad == "NOTSET") {
        read_pads(node, w, /*allow_negative=*/false);
        for (size_t i = 0; i < r; ++i) {
            const int64_t padded = in[i] + w.pad_begin[i] + w.pad_end[i];
            if (padded < w.span(i))
                throw_node_error(node, "the window (extent " + std::to_string(w.span(i)) +
                                           " with dilation) is larger " + "than the padded input (" +
                                           std::to_string(padded) + ") along spatial axis " + std::to_string(i));
            const int64_t room = padded - w.span(i);
            int64_t out = room / w.strides[i] + 1;
            if (ceil_mode == CeilMode::Ceil) {
                out = (room + w.strides[i] - 1) / w.strides[i] + 1;
                // The last window must start inside the input or its left padding (ONNX reference, PyTorch).
                if ((out - 1) * w.strides[i] >= in[i] + w.pad_begin[i]) --out;
            }
            w.out[i] = out;
        }
        return w;
    }
    reject_pads_with_auto_pad(node, auto_pad);
    w.pad_begin.assign(r, 0);
    w.pad_end.assign(r, 0);
    for (size_t i = 0; i < r; ++i) {
        if (auto_pad == "VALID") {
            if (in[i] < w.span(i))
                throw_node_error(node, "auto_pad=VALID but the window (extent " + std::to_string(w.span(i)) +
                                           ") is larger than the input (" + std::to_string(in[i]) + ")");
            w.out[i] = (in[i] - w.span(i)) / w.strides[i] + 1;
            continue;
        }
        // SAME_*: output = ceil(in / stride); the padding that makes that work is split, the odd element going
        // to the end (SAME_UPPER) or the beginning (SAME_LOWER).
        w.out[i] = (in[i] + w.strides[i] - 1) / w.strides[i];
        const int64_t total = std::max<int64_t>(0, (w.out[i] - 1) * w.strides[i] + w.span(i) - in[i]);
        const int64_t small = total / 2;
        w.pad_begin[i] = auto_pad == "SAME_UPPER" ? small : total - small;
        w.pad_end[i] = total - w.pad_begin[i];
    }
    return w;
}

Window transposed_window(const Node& node, const Dims& in, const Dims& kernel) {
    Window w;
    read_common(node, w, in, kernel, /*has_dilations=*/true);
    const size_t r = in.size();
    const std::string auto_pad = auto_pad_of(node);
    Dims output_padding = read_dims(node, "output_padding", r, 0, 0);
    Dims output_shape = node.attr_ints("output_shape", {});
    if (!output_shape.empty()) {
        // Either the spatial sizes or a full N,C,spatial shape: keep the spatial part.
        if (output_shape.size() == r + 2) output_shape.erase(output_shape.begin(), output_shape.begin() + 2);
        if (output_shape.size() != r)
            throw_node_error(node, "attribute 'output_shape' has " +
                                       std::to_string(node.attr_ints("output_shape").size()) + " values; expected " +
                                       std::to_string(r) + " (one per spatial dimension)");
        for (int64_t s : output_shape)
            if (s < 1) throw_node_error(node, "attribute 'output_shape' has a non-positive size " + std::to_string(s));
    }
    const bool same = auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER";
    if (auto_pad == "VALID" || (auto_pad == "NOTSET" && output_shape.empty())) {
        if (auto_pad == "VALID") {
            reject_pads_with_auto_pad(node, auto_pad);
            w.pad_begin.assign(r, 0);
            w.pad_end.assign(r, 0);
        } else {
            read_pads(node, w, /*allow_negative=*/false);
        }
        w.out.resize(r);
        for (size_t i = 0; i < r; ++i) {
            w.out[i] = w.strides[i] * (in[i] - 1) + output_padding[i] + w.span(i) - w.pad_begin[i] - w.pad_end[i];
            if (w.out[i] < 1)
                throw_node_error(node, "the pads leave no output along spatial axis " + std::to_string(i) + " (size " +
                                           std::to_string(w.out[i]) + ")");
        }
        if (auto_pad == "VALID" && !output_shape.empty() && output_shape != w.out)
            throw_node_error(node, "attribute 'output_shape' contradicts auto_pad=VALID; remove one of them");
        return w;
    }
    // output_shape given (or SAME, where it defaults to in*stride): the pads follow from it. As in the ONNX spec,
    // SAME_UPPER puts the odd padding element at the end, anything else at the beginning.
    if (same) reject_pads_with_auto_pad(node, auto_pad);
    if (output_shape.empty()) {
        for (size_t i = 0; i < r; ++i) output_shape.push_back(in[i] * w.strides[i]);
    }
    w.out = output_shape;
    w.pad_begin.resize(r);
    w.pad_end.resize(r);
    for (size_t i = 0; i < r; ++i) {
        const int64_t total = w.strides[i] * (in[i] - 1) + output_padding[i] + w.span(i) - output_shape[i];
        // Floor division, as the ONNX reference computes it (total may be negative: output_shape larger than
        // the natural output, which leaves bias-only borders).
        const int64_t half = total >= 0 ? total / 2 : -((-total + 1) / 2);
        const bool upper = same ? auto_pad == "SAME_UPPER" : false;
        w.pad_begin[i] = upper ? half : total - half;
        w.pad_end[i] = total - w.pad_begin[i];
    }
    return w;
}

PlaneWindow plane_window(const Window& w) {
    invariant(w.rank() == 1 || w.rank() == 2, "plane_window: window must be 1-D or 2-D");
    PlaneWindow p;
    const size_t x = w.rank() - 1;  // the W axis
    if (w.rank() == 2) {
        p.in_h = w.in[0];
        p.out_h = w.out[0];
        p.kernel_h = w.kernel[0];
        p.stride_h = w.strides[0];
        p.dilation_h = w.dilations[0];
        p.pad_top = w.pad_begin[0];
        p.pad_bottom = w.pad_end[0];
    }
    p.in_w = w.in[x];
    p.out_w = w.out[x];
    p.kernel_w = w.kernel[x];
    p.stride_w = w.strides[x];
    p.dilation_w = w.dilations[x];
    p.pad_left = w.pad_begin[x];
    p.pad_right = w.pad_end[x];
    return p;
}

}  // namespace espq::float_kernels
