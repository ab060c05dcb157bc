// ConvTranspose (ONNX opsets 11-18): 1-D and 2-D transposed convolution with groups, strides, dilations, pads,
// output_padding, output_shape and auto_pad, NCHW float32.
//
// Per group: columns = W_g^T * X_g (Eigen GEMM; W_g is (C/group) x (M/group * taps)), then col2im scatters
// every column entry to output position o = i*stride + k*dilation - pad_begin, skipping those outside the
// output. A 1-D transposed convolution runs as a 2-D one with H = 1.
#include <algorithm>

#include "float_kernels/conv_shape.hpp"
#include "float_kernels/eigen_maps.hpp"
#include "float_kernels/fused_activation.hpp"

namespace espq::float_kernels {
namespace {

class ConvTransposeKernel : public FloatKernel {
public:
    explicit ConvTransposeKernel(const ConvShape& s) : s_(s), p_(s.win) {}

    void run(const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out,
             KernelScratch& scratch) const override {
        const float* x = in[0]->data<float>();
        const float* w = in[1]->data<float>();
        const float* bias = (in.size() > 2 && in[2]) ? in[2]->data<float>() : nullptr;
        float* y = out[0]->data<float>();
        const int64_t in_plane = p_.in_h * p_.in_w, out_plane = p_.out_h * p_.out_w;
        const int64_t rows = s_.group_out() * p_.taps();
        float* col = scratch.get<float>(0, static_cast<size_t>(rows * in_plane));
        RowMap cm(col, rows, in_plane);
        for (int64_t n = 0; n < s_.batch; ++n) {
            for (int64_t grp = 0; grp < s_.group; ++grp) {
                const float* xg = x + (n * s_.in_channels + grp * s_.group_in()) * in_plane;
                const float* wg = w + grp * s_.group_in() * rows;
                float* yg = y + (n * s_.out_channels + grp * s_.group_out()) * out_plane;
                ConstRowMap wm(wg, s_.group_in(), rows);
                ConstRowMap xm(xg, s_.group_in(), in_plane);
                cm.noalias() = wm.transpose() * xm;
                for (int64_t m = 0; m < s_.group_out(); ++m) {
                    float* ym = yg + m * out_plane;
                    std::fill(ym, ym + out_plane, bias ? bias[grp * s_.group_out() + m] : 0.f);
                    for (int64_t ky = 0; ky < p_.kernel_h; ++ky)
                        for (int64_t kx = 0; kx < p_.kernel_w; ++kx)
                            col2im_row(col + ((m * p_.kernel_h + ky) * p_.kernel_w + kx) * in_plane, ky, kx, ym);
                }
            }
        }
    }

private:
    // Adds one column row (tap ky, kx of one output channel) into that channel's output plane.
    void col2im_row(const float* src, int64_t ky, int64_t kx, float* ym) const {
        const int64_t offset_x = kx * p_.dilation_w - p_.pad_left;
        // Input columns ix whose output column ix*stride + offset_x lies in [0, out_w).
        const int64_t lo = offset_x >= 0 ? 0 : (-offset_x + p_.stride_w - 1) / p_.stride_w;
        const int64_t hi = p_.out_w - offset_x <= 0 ? 0 : std::min(p_.in_w, (p_.out_w - offset_x - 1) / p_.stride_w + 1);
        for (int64_t iy = 0; iy < p_.in_h; ++iy) {
            const int64_t oy = iy * p_.stride_h + ky * p_.dilation_h - p_.pad_top;
            if (oy < 0 || oy >= p_.out_h) continue;
            const float* s = src + iy * p_.in_w;
            float* d = ym + oy * p_.out_w;
            for (int64_t ix = lo; ix < hi; ++ix) d[ix * p_.stride_w + offset_x] += s[ix];
        }
    }

    ConvShape s_;
    PlaneWindow p_;
};

void infer_conv_transpose(InferContext& ctx) { infer_conv_like(ctx, ConvKind::Transposed); }

std::unique_ptr<FloatKernel> prepare_conv_transpose(const Node& node, const Graph& graph) {
    return with_fused_activation(
        node, std::make_unique<ConvTransposeKernel>(prepared_conv_shape(node, graph, ConvKind::Transposed)));
}

}  // namespace

ESPQ_REGISTER_FLOAT_OP(FloatOpDef{"ConvTranspose", infer_conv_transpose, prepare_conv_transpose});

}  // namespace espq::float_kernels
