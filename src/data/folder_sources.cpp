// Samples from a folder: one image or one .npy file per sample, read again on every access.
#include <nlohmann/json.hpp>

#include "data/image.hpp"
#include "data/sample_pipeline.hpp"
#include "data/sample_source.hpp"
#include "espq/npy.hpp"

namespace espq::data {
namespace {

class FolderSource : public RawSampleSource {
public:
    FolderSource(std::string root, std::vector<std::string> relative_paths, const char* kind)
        : root_(std::move(root)), relative_(std::move(relative_paths)), kind_(kind) {
        invariant(!relative_.empty(), "FolderSource: empty listing");
    }
    size_t size() const override { return relative_.size(); }
    std::string name(size_t i) const override {
        return root_.empty() || root_ == "." ? relative_.at(i)
               : root_.back() == '/'         ? root_ + relative_.at(i)
                                             : root_ + "/" + relative_.at(i);
    }
    const std::vector<std::string>* relative_paths() const override { return &relative_; }
    void describe(nlohmann::json& out) const override {
        out["source"] = root_;
        out["kind"] = kind_;
    }

protected:
    std::string root_;
    std::vector<std::string> relative_;
    const char* kind_;
};

class ImageFolderSource : public FolderSource {
public:
    using FolderSource::FolderSource;

    RawSample load(size_t i) const override {
        Image img = decode_image(name(i));
        RawSample raw;
        raw.shape = {img.height, img.width, img.channels};
        raw.values = std::move(img.pixels);
        raw.channels_last = true;
        return raw;
    }

    // Headers only: a wrong size or an unreadable file is reported before calibration starts.
    void validate(const std::vector<size_t>& selected, const SamplePipeline& pipeline) const override {
        for (size_t i : selected) {
            const ImageInfo info = probe_image(name(i));
            pipeline.check_image(name(i), info.height, info.width, info.channels);
        }
    }
};

class NpyFolderSource : public FolderSource {
public:
    using FolderSource::FolderSource;

    RawSample load(size_t i) const override {
        const std::string path = name(i);
        const Tensor t = load_npy(path);
        check_sample_dtype(t, path);
        RawSample raw;
        raw.shape = t.shape();
        raw.values.reserve(static_cast<size_t>(t.numel()));
        append_as_float(t, 0, static_cast<size_t>(t.numel()), raw.values);
        raw.from_float = t.dtype() == DType::Float32 || t.dtype() == DType::Float64;
        return raw;
    }

    // Each file is checked when it is loaded (loading them all up front could mean reading hundreds of MB).
    void validate(const std::vector<size_t>&, const SamplePipeline&) const override {}
};

}  // namespace

std::unique_ptr<RawSampleSource> make_image_folder_source(std::string root, std::vector<std::string> relative_paths) {
    return std::make_unique<ImageFolderSource>(std::move(root), std::move(relative_paths), "image_folder");
}

std::unique_ptr<RawSampleSource> make_npy_folder_source(std::string root, std::vector<std::string> relative_paths) {
    return std::make_unique<NpyFolderSource>(std::move(root), std::move(relative_paths), "npy_folder");
}

}  // namespace espq::data
