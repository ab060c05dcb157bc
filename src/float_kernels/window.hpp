// Shared geometry of sliding-window operators (Conv, ConvTranspose, MaxPool, AveragePool): reading and
// validating strides / dilations / pads / auto_pad, and the output spatial size ONNX defines for them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "espq/float_ops.hpp"
#include "espq/ir.hpp"
#include "espq/node_error.hpp"

namespace espq::float_kernels {

// Infer-time checks shared by the float kernels: input `i` is present with a known shape of
// `min_rank`..`max_rank` dimensions (and, for require_float_input, float32). Returns its shape.
const Shape& require_input_shape(const InferContext& ctx, int i, const char* what, int min_rank = 0,
                                 int max_rank = 8);
const Shape& require_float_input(const InferContext& ctx, int i, const char* what, int min_rank = 0,
                                 int max_rank = 8);

// Rejects a node that asks for output `i` (or later) that the kernel does not compute.
void reject_outputs_from(const InferContext& ctx, int i, const char* why);

using Dims = std::vector<int64_t>;

struct Window {
    Dims in;         // spatial input size
    Dims kernel;     // window size (taps, before dilation)
    Dims strides;
    Dims dilations;
    Dims pad_begin;  // may be negative only for ConvTranspose (see transposed_window)
    Dims pad_end;
    Dims out;        // spatial output size

    size_t rank() const { return in.size(); }
    int64_t span(size_t i) const { return (kernel[i] - 1) * dilations[i] + 1; }  // dilated window extent
};

enum class CeilMode { Floor, Ceil };

// Forward window (Conv and the pools): reads strides, dilations (if `has_dilations`), pads and auto_pad from
// the node, checks them against the spatial input size and kernel, and computes the output size. ceil_mode
// follows ONNX (and PyTorch): with Ceil the last window must still start inside the input or left padding.
Window forward_window(const Node& node, const Dims& in, const Dims& kernel, CeilMode ceil_mode, bool has_dilations);

// Transposed window (ConvTranspose): output = stride*(in-1) + output_padding + span - pads, or pads derived
// from the output_shape attribute / SAME auto_pad as ONNX specifies. `out` is the output spatial size and
// output positions are o = i*stride + k*dilation - pad_begin.
Window transposed_window(const Node& node, const Dims& in, const Dims& kernel);

// A 1-D or 2-D window with named axes, the form the kernels loop over; a 1-D window gets a unit H axis
// (kernel 1, stride 1, no padding), so 1-D operators run through the 2-D code.
struct PlaneWindow {
    int64_t in_h = 1, in_w = 1, out_h = 1, out_w = 1;
    int64_t kernel_h = 1, kernel_w = 1, stride_h = 1, stride_w = 1, dilation_h = 1, dilation_w = 1;
    int64_t pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;

    int64_t taps() const { return kernel_h * kernel_w; }
    int64_t in_plane() const { return in_h * in_w; }
    int64_t out_plane() const { return out_h * out_w; }
    bool padded() const { return pad_top || pad_left || pad_bottom || pad_right; }
};
PlaneWindow plane_window(const Window& w);  // w.rank() must be 1 or 2

// Spatial part (dims 2..) of an NCHW shape.
inline Dims spatial_dims(const Shape& s) { return Dims(s.begin() + 2, s.end()); }

}  // namespace espq::float_kernels
