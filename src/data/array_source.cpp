// Samples from one array [N, ...] loaded from a .npy or an .npz member. The array is kept as loaded (uint8
// data stays uint8, a quarter of the float size) and each sample is converted on access.
#include <nlohmann/json.hpp>

#include "data/sample_pipeline.hpp"
#include "data/sample_source.hpp"

namespace espq::data {

void check_sample_dtype(const Tensor& t, const std::string& what) {
    const DType d = t.dtype();
    if (d == DType::Float32 || d == DType::Float64 || d == DType::UInt8 || d == DType::Int8) return;
    fail("'" + what + "' holds " + dtype_name(d) + " data; samples must be float32, uint8 or int8 " +
         "(convert with arr.astype(np.float32))");
}

void append_as_float(const Tensor& t, size_t first, size_t n, std::vector<float>& out) {
    auto append = [&](const auto* p) {
        for (size_t k = first; k < first + n; ++k) out.push_back(static_cast<float>(p[k]));
    };
    switch (t.dtype()) {
        case DType::Float32: append(t.data<float>()); break;
        case DType::Float64: append(t.data<double>()); break;
        case DType::UInt8: append(t.data<uint8_t>()); break;
        case DType::Int8: append(t.data<int8_t>()); break;
        default: throw InternalError("append_as_float: unchecked sample dtype");
    }
}

namespace {

class ArraySource : public RawSampleSource {
public:
    ArraySource(Tensor array, std::string path, std::string member, std::string kind)
        : array_(std::move(array)), path_(std::move(path)), member_(std::move(member)), kind_(std::move(kind)) {
        const std::string what = label();
        check_sample_dtype(array_, what);
        check(array_.rank() >= 1, "'" + what + "' is a scalar; sample arrays are [N, ...] with one sample per row");
        check(array_.dim(0) > 0, "'" + what + "' holds no samples (shape " + shape_str(array_.shape()) + ")");
        sample_shape_.assign(array_.shape().begin() + 1, array_.shape().end());
        sample_numel_ = static_cast<size_t>(shape_numel(sample_shape_));
    }

    size_t size() const override { return static_cast<size_t>(array_.dim(0)); }
    std::string name(size_t i) const override { return label() + "[" + std::to_string(i) + "]"; }

    RawSample load(size_t i) const override {
        RawSample raw;
        raw.shape = sample_shape_;
        raw.values.reserve(sample_numel_);
        append_as_float(array_, i * sample_numel_, sample_numel_, raw.values);
        raw.from_float = is_float();
        return raw;
    }

    void validate(const std::vector<size_t>& selected, const SamplePipeline& pipeline) const override {
        if (!is_float()) return;
        for (size_t i : selected) {
            const RawSample raw = load(i);
            pipeline.check_finite(raw.values.data(), raw.values.size(), name(i), i);
        }
    }

    void describe(nlohmann::json& out) const override {
        out["source"] = path_;
        out["kind"] = kind_;
        if (!member_.empty()) out["array"] = member_;
        out["array_shape"] = array_.shape();
        out["array_dtype"] = dtype_name(array_.dtype());
    }

private:
    std::string label() const { return member_.empty() ? path_ : path_ + ":" + member_; }
    bool is_float() const { return array_.dtype() == DType::Float32 || array_.dtype() == DType::Float64; }

    Tensor array_;
    std::string path_, member_, kind_;
    Shape sample_shape_;
    size_t sample_numel_ = 0;
};

}  // namespace

std::unique_ptr<RawSampleSource> make_array_source(Tensor array, std::string path, std::string member,
                                                   std::string kind) {
    return std::make_unique<ArraySource>(std::move(array), std::move(path), std::move(member), std::move(kind));
}

}  // namespace espq::data
