#include "float_kernels/space_depth.hpp"

#include "float_kernels/element_width.hpp"
#include "float_kernels/window.hpp"

namespace espq::float_kernels {

int64_t blocksize_attr(const Node& node) {
    if (!node.has_attr("blocksize")) throw_node_error(node, "attribute 'blocksize' is required");
    const int64_t b = node.attr_int("blocksize", 0);
    if (b < 1) throw_node_error(node, "attribute blocksize=" + std::to_string(b) + " must be >= 1");
    return b;
}

namespace {

class BlockKernel : public FloatKernel {
public:
    BlockKernel(BlockDirection direction, const Shape& space, int64_t b, bool crd)
        : to_space_(direction == BlockDirection::DepthToSpace), space_(space), b_(b), crd_(crd) {}

    void run(const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out, KernelScratch&) const override {
        visit_element_width(in[0]->dtype(), [&](auto tag) {
            using T = decltype(tag);
            copy(reinterpret_cast<const T*>(in[0]->raw()), reinterpret_cast<T*>(out[0]->raw()));
        });
    }

private:
    template <typename T>
    void copy(const T* src, T* dst) const {
        const int64_t n = space_[0], c = space_[1], b = b_;
        const int64_t h = space_[2] / b, w = space_[3] / b;  // the depth side's spatial size
        for (int64_t in = 0; in < n; ++in)
            for (int64_t ic = 0; ic < c; ++ic)
                for (int64_t i = 0; i < b; ++i)
                    for (int64_t j = 0; j < b; ++j) {
                        const int64_t depth_c = crd_ ? (ic * b + i) * b + j : (i * b + j) * c + ic;
                        const int64_t depth_base = (in * c * b * b + depth_c) * h * w;
                        const int64_t space_base = (in * c + ic) * h * b * w * b + i * w * b + j;
                        for (int64_t y = 0; y < h; ++y)
                            for (int64_t x = 0; x < w; ++x) {
                                const int64_t d = depth_base + y * w + x;
                                const int64_t s = space_base + y * b * w * b + x * b;
                                if (to_space_)
                                    dst[s] = src[d];
                                else
                                    dst[d] = src[s];
                            }
                    }
    }

    bool to_space_;
    Shape space_;
    int64_t b_;
    bool crd_;
};

}  // namespace

void infer_block_op(InferContext& ctx, Shape (*output_shape)(const Node&, const Shape&)) {
    const Shape& x = require_input_shape(ctx, 0, "input", 4, 4);
    const DType dtype = ctx.in(0)->dtype;
    if (!has_element_width(dtype)) ctx.error(std::string("input dtype ") + dtype_name(dtype) + " is not supported");
    reject_outputs_from(ctx, 1, "the operator has one output");
    Value& y = ctx.out(0);
    y.dtype = dtype;
    y.shape = output_shape(ctx.node, x);
}

std::unique_ptr<FloatKernel> make_block_kernel(BlockDirection direction, const Shape& space_shape, int64_t b,
                                               bool crd) {
    return std::make_unique<BlockKernel>(direction, space_shape, b, crd);
}

}  // namespace espq::float_kernels
