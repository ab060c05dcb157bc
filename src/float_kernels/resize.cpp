// Resize (ONNX opsets 11-18), float32: inputs X, roi (ignored: tf_crop_and_resize is not supported), scales,
// sizes; opset 18's axes and keep_aspect_ratio_policy. Modes nearest (all four nearest_mode roundings) and
// linear (N-linear over every resized axis, e.g. bilinear over H and W of NCHW); cubic and antialias=1 are
// rejected.
//
// Each output coordinate x maps to an input coordinate x' by coordinate_transformation_mode (half_pixel,
// pytorch_half_pixel, align_corners, asymmetric, tf_half_pixel_for_nn). Nearest rounds x' and clamps it into
// the input; linear clamps x' to [0, in-1] and blends floor(x') and the next index. Like onnxruntime, the
// coordinates and the output size (floor(in * scale)) are computed in float.
//
// Interpolation is separable, so the kernel resizes one axis at a time (innermost runs along the contiguous
// tail of the tensor), ping-ponging between the two scratch buffers; axes that do not change are skipped.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <optional>

#include "float_kernels/op_helpers.hpp"
#include "float_kernels/window.hpp"

namespace espq::float_kernels {
namespace {

enum class Mode { Nearest, Linear };
enum class Transform { HalfPixel, PytorchHalfPixel, AlignCorners, Asymmetric, TfHalfPixelForNn };
enum class NearestMode { PreferFloor, PreferCeil, Floor, Ceil };

struct ResizeAttrs {
    Mode mode = Mode::Nearest;
    Transform transform = Transform::HalfPixel;
    NearestMode nearest_mode = NearestMode::PreferFloor;
};

ResizeAttrs read_attrs(const Node& node) {
    ResizeAttrs a;
    const std::string mode = node.attr_string("mode", "nearest");
    if (mode == "nearest")
        a.mode = Mode::Nearest;
    else if (mode == "linear")
        a.mode = Mode::Linear;
    else if (mode == "cubic")
        throw_node_error(node, "mode='cubic' is not supported (supported: nearest, linear)");
    else
        throw_node_error(node, "mode='" + mode + "' is not one of nearest, linear, cubic");
    const std::string ct = node.attr_string("coordinate_transformation_mode", "half_pixel");
    if (ct == "half_pixel")
        a.transform = Transform::HalfPixel;
    else if (ct == "pytorch_half_pixel")
        a.transform = Transform::PytorchHalfPixel;
    else if (ct == "align_corners")
        a.transform = Transform::AlignCorners;
    else if (ct == "asymmetric")
        a.transform = Transform::Asymmetric;
    else if (ct == "tf_half_pixel_for_nn")
        a.transform = Transform::TfHalfPixelForNn;
    else
        throw_node_error(node, "coordinate_transformation_mode='" + ct +
                                   "' is not supported (supported: half_pixel, "
                                   "pytorch_half_pixel, align_corners, asymmetric, tf_half_pixel_for_nn)");
    const std::string nm = node.attr_string("nearest_mode", "round_prefer_floor");
    if (nm == "round_prefer_floor")
        a.nearest_mode = NearestMode::PreferFloor;
    else if (nm == "round_prefer_ceil")
        a.nearest_mode = NearestMode::PreferCeil;
    else if (nm == "floor")
        a.nearest_mode = NearestMode::Floor;
    else if (nm == "ceil")
        a.nearest_mode = NearestMode::Ceil;
    else
        throw_node_error(node,
                         "nearest_mode='" + nm + "' is not one of round_prefer_floor, round_prefer_ceil, floor, ceil");
    if (node.attr_int("antialias", 0) != 0) throw_node_error(node, "antialias=1 is not supported");
    return a;
}

// The output shape and the per-axis scale used by the coordinate transforms.
struct ResizeGeometry {
    Shape in, out;
    std::vector<float> scales;
};

// A constant input's values, or nullopt if the input is omitted or empty (opset 11 passes an empty scales
// tensor when sizes is used).
std::optional<std::vector<double>> constant_values(const Node& node, const Graph& graph, int i, const char* what) {
    const int id = node.input(i);
    if (id < 0) return std::nullopt;
    const Value& v = graph.value(id);
    if (v.shape_known && shape_numel(v.shape) == 0) return std::nullopt;
    if (!v.constant)
        throw_node_error(node, std::string("input '") + what + "' ('" + v.name +
                                   "') must be a constant (initializer or folded) so that the output shape is static");
    if (v.constant->numel() == 0) return std::nullopt;
    return v.constant->as_doubles();
}

ResizeGeometry resize_geometry(const Node& node, const Graph& graph) {
    ResizeGeometry g;
    g.in = graph.value(node.input(0)).shape;
    const int64_t rank = static_cast<int64_t>(g.in.size());
    std::vector<int> axes;
    if (node.has_attr("axes")) {
        axes = normalize_axes(node, node.attr_ints("axes"), rank, "axes");
    } else {
        for (int a = 0; a < rank; ++a) axes.push_back(a);
    }
    const auto scales = constant_values(node, graph, 2, "scales");
    const auto sizes = constant_values(node, graph, 3, "sizes");
    if (scales && sizes) throw_node_error(node, "only one of 'scales' and 'sizes' may be given");
    if (!scales && !sizes) throw_node_error(node, "one of 'scales' and 'sizes' must be given");
    const auto& given = scales ? *scales : *sizes;
    if (given.size() != axes.size())
        throw_node_error(node, std::string("input '") + (scales ? "scales" : "sizes") + "' has " +
                                   std::to_string(given.size()) + " values; expected " + std::to_string(axes.size()) +
                                   (node.has_attr("axes") ? " (one per entry of 'axes')" : " (one per axis of X)"));
    g.out = g.in;
    g.scales.assign(rank, 1.f);
    if (scales) {
        for (size_t k = 0; k < axes.size(); ++k) {
            const float s = static_cast<float>(given[k]);
            if (!(s > 0.f)) throw_node_error(node, "scales must be positive, got " + std::to_string(given[k]));
            g.scales[axes[k]] = s;
            g.out[axes[k]] = static_cast<int64_t>(std::floor(static_cast<float>(g.in[axes[k]]) * s));
        }
        return g;
    }
    for (double s : given)
        if (s < 0) throw_node_error(node, "sizes must be non-negative, got " + std::to_string(static_cast<int64_t>(s)));
    const std::string policy = node.attr_string("keep_aspect_ratio_policy", "stretch");
    if (policy == "stretch") {
        for (size_t k = 0; k < axes.size(); ++k) {
            g.out[axes[k]] = static_cast<int64_t>(given[k]);
            g.scales[axes[k]] = static_cast<float>(given[k]) / static_cast<float>(g.in[axes[k]]);
        }
        return g;
    }
    if (policy != "not_larger" && policy != "not_smaller")
        throw_node_error(node,
                         "keep_aspect_ratio_policy='" + policy + "' is not one of stretch, not_larger, not_smaller");
    // One scale for every listed axis: the largest (smallest) that keeps each axis within (beyond) its size.
    float scale = policy == "not_larger" ? INFINITY : 0.f;
    for (size_t k = 0; k < axes.size(); ++k) {
        const float s = static_cast<float>(given[k]) / static_cast<float>(g.in[axes[k]]);
        scale = policy == "not_larger" ? std::min(scale, s) : std::max(scale, s);
    }
    for (int a : axes) {
        g.scales[a] = scale;
        g.out[a] = static_cast<int64_t>(std::nearbyint(scale * static_cast<float>(g.in[a])));
    }
    return g;
}

// How one output index along one axis reads the input: nearest uses i0 only; linear blends
// (1 - w) * x[i0] + w * x[i1].
struct Tap {
    int64_t i0 = 0, i1 = 0;
    float w = 0.f;
};

float source_coordinate(Transform t, int64_t x, float scale, int64_t in, int64_t out) {
    const float xf = static_cast<float>(x);
    switch (t) {
        case Transform::HalfPixel: return (xf + 0.5f) / scale - 0.5f;
        case Transform::PytorchHalfPixel: return out > 1 ? (xf + 0.5f) / scale - 0.5f : 0.f;
        case Transform::AlignCorners:
            return out == 1 ? 0.f : xf * static_cast<float>(in - 1) / static_cast<float>(out - 1);
        case Transform::Asymmetric: return xf / scale;
        case Transform::TfHalfPixelForNn: return (xf + 0.5f) / scale;
    }
    return 0.f;
}

std::vector<Tap> axis_taps(const ResizeAttrs& a, int64_t in, int64_t out, float scale) {
    std::vector<Tap> taps(static_cast<size_t>(out));
    for (int64_t x = 0; x < out; ++x) {
        const float src = source_coordinate(a.transform, x, scale, in, out);
        Tap& t = taps[x];
        if (a.mode == Mode::Nearest) {
            float r = 0;
            switch (a.nearest_mode) {
                case NearestMode::PreferFloor:
                    r = std::ceil(src - 0.5f);
                    break;  // ties go down
                case NearestMode::PreferCeil:
                    r = std::floor(src + 0.5f);
                    break;  // ties go up
                case NearestMode::Floor:
                    r = std::floor(src);
                    break;
                case NearestMode::Ceil:
                    r = std::ceil(src);
                    break;
            }
            t.i0 = t.i1 = std::clamp<int64_t>(static_cast<int64_t>(r), 0, in - 1);
        } else {
            const float c = std::clamp(src, 0.f, static_cast<float>(in - 1));
            t.i0 = static_cast<int64_t>(std::floor(c));
            t.i1 = std::min(t.i0 + 1, in - 1);
            t.w = c - static_cast<float>(t.i0);
        }
    }
    return taps;
}

// One separable pass: along `axis`, from shape `before` to `before` with that axis resized to taps.size().
struct AxisPass {
    int64_t outer = 1, in_len = 1, inner = 1;
    std::vector<Tap> taps;
};

class ResizeKernel : public FloatKernel {
public:
    ResizeKernel(const ResizeAttrs& a, const ResizeGeometry& g) : linear_(a.mode == Mode::Linear) {
        Shape cur = g.in;
        for (size_t axis = 0; axis < g.in.size(); ++axis) {
            std::vector<Tap> taps = axis_taps(a, g.in[axis], g.out[axis], g.scales[axis]);
            bool identity = g.in[axis] == g.out[axis];
            for (int64_t x = 0; identity && x < g.out[axis]; ++x)
                identity = taps[x].i0 == x && (taps[x].w == 0.f || taps[x].i1 == x);
            if (identity) continue;
            AxisPass p;
            for (size_t d = 0; d < axis; ++d) p.outer *= cur[d];
            for (size_t d = axis + 1; d < cur.size(); ++d) p.inner *= cur[d];
            p.in_len = cur[axis];
            p.taps = std::move(taps);
            cur[axis] = g.out[axis];
            max_floats_ = std::max(max_floats_, shape_numel(cur));
            passes_.push_back(std::move(p));
        }
    }

    void run(const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out,
             KernelScratch& scratch) const override {
        const float* src = in[0]->data<float>();
        float* dst_final = out[0]->data<float>();
        if (passes_.empty()) {
            std::memcpy(dst_final, src, sizeof(float) * static_cast<size_t>(in[0]->numel()));
            return;
        }
        float* buffers[2] = {scratch.get<float>(0, static_cast<size_t>(max_floats_)),
                             scratch.get<float>(1, static_cast<size_t>(max_floats_))};
        for (size_t k = 0; k < passes_.size(); ++k) {
            float* dst = k + 1 == passes_.size() ? dst_final : buffers[k % 2];
            apply(passes_[k], src, dst);
            src = dst;
        }
    }

private:
    void apply(const AxisPass& p, const float* src, float* dst) const {
        const int64_t out_len = static_cast<int64_t>(p.taps.size());
        for (int64_t o = 0; o < p.outer; ++o) {
            const float* s = src + o * p.in_len * p.inner;
            float* d = dst + o * out_len * p.inner;
            for (int64_t x = 0; x < out_len; ++x) {
                const Tap& t = p.taps[x];
                float* row = d + x * p.inner;
                const float* a = s + t.i0 * p.inner;
                if (!linear_ || t.w == 0.f) {
                    std::memcpy(row, a, sizeof(float) * static_cast<size_t>(p.inner));
                } else {
                    const float* b = s + t.i1 * p.inner;
                    const float w1 = t.w, w0 = 1.f - t.w;
                    for (int64_t i = 0; i < p.inner; ++i) row[i] = w0 * a[i] + w1 * b[i];
                }
            }
        }
    }

    bool linear_;
    std::vector<AxisPass> passes_;
    int64_t max_floats_ = 0;
};

void infer_resize(InferContext& ctx) {
    require_float_input(ctx, 0, "X", 1);
    read_attrs(ctx.node);  // validates the attributes
    if (ctx.in(2) && ctx.in(2)->dtype != DType::Float32)
        ctx.error(std::string("scales must be FLOAT, got ") + dtype_name(ctx.in(2)->dtype));
    if (ctx.in(3) && ctx.in(3)->dtype != DType::Int64)
        ctx.error(std::string("sizes must be INT64, got ") + dtype_name(ctx.in(3)->dtype));
    const ResizeGeometry g = resize_geometry(ctx.node, ctx.graph);
    for (size_t d = 0; d < g.in.size(); ++d)
        if (g.in[d] == 0 && g.out[d] > 0) ctx.error("cannot resize the empty axis " + std::to_string(d));
    reject_outputs_from(ctx, 1, "the operator has one output");
    Value& y = ctx.out(0);
    y.dtype = DType::Float32;
    y.shape = g.out;
}

std::unique_ptr<FloatKernel> prepare_resize(const Node& node, const Graph& graph) {
    return std::make_unique<ResizeKernel>(read_attrs(node), resize_geometry(node, graph));
}

}  // namespace

ESPQ_REGISTER_FLOAT_OP(FloatOpDef{"Resize", infer_resize, prepare_resize});

}  // namespace espq::float_kernels
