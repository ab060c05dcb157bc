#include <spdlog/spdlog.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "data/sample_pipeline.hpp"
#include "data/sample_source.hpp"
#include "espq/dataset.hpp"

namespace espq {

struct Dataset::Impl {
    Impl(std::unique_ptr<data::RawSampleSource> s, data::SamplePipeline p, DatasetOptions o)
        : source(std::move(s)), pipeline(std::move(p)), options(std::move(o)) {}

    std::unique_ptr<data::RawSampleSource> source;
    data::SamplePipeline pipeline;
    DatasetOptions options;
    std::vector<size_t> selected;
    std::vector<std::string> class_names;
    std::optional<std::vector<int64_t>> folder_labels;  // aligned with `selected`
};

namespace {

// One class per first-level subfolder, when every sample sits in one.
void assign_folder_labels(Dataset::Impl& impl) {
    const std::vector<std::string>* paths = impl.source->relative_paths();
    if (!paths) return;
    std::vector<std::string> class_of;
    for (const std::string& p : *paths) {
        const size_t slash = p.find('/');
        if (slash == std::string::npos) return;
        class_of.push_back(p.substr(0, slash));
    }
    impl.class_names = class_of;
    std::sort(impl.class_names.begin(), impl.class_names.end());
    impl.class_names.erase(std::unique(impl.class_names.begin(), impl.class_names.end()), impl.class_names.end());
    std::vector<int64_t> labels;
    for (size_t i : impl.selected) {
        const auto it = std::lower_bound(impl.class_names.begin(), impl.class_names.end(), class_of[i]);
        labels.push_back(it - impl.class_names.begin());
    }
    impl.folder_labels = std::move(labels);
}

}  // namespace

Dataset Dataset::open(const std::string& source, const ModelInput& input, const DatasetOptions& options) {
    data::SamplePipeline pipeline(input, options.preprocess, options.purpose);
    auto impl = std::make_shared<Impl>(data::open_sample_source(source, options.purpose), std::move(pipeline), options);
    const size_t total = impl->source->size();
    impl->selected = select_indices(total, options.count, options.seed);
    if (options.count > total)
        spdlog::info("{} data '{}' has {} samples, fewer than the {} requested: using all", options.purpose, source,
                     total, options.count);
    impl->source->validate(impl->selected, impl->pipeline);
    assign_folder_labels(*impl);
    Dataset ds;
    ds.impl_ = std::move(impl);
    ds.sample(0);  // the full pipeline once, so shape problems surface now rather than mid-run
    spdlog::debug("{} data '{}': {} of {} samples", options.purpose, source, ds.size(), total);
    return ds;
}

size_t Dataset::size() const {
    invariant(impl_ != nullptr, "Dataset used before Dataset::open");
    return impl_->selected.size();
}
size_t Dataset::total() const { return impl_->source->size(); }
const std::vector<size_t>& Dataset::indices() const { return impl_->selected; }

std::string Dataset::sample_name(size_t i) const {
    invariant(i < size(), "Dataset::sample_name: index out of range");
    return impl_->source->name(impl_->selected[i]);
}

Tensor Dataset::sample(size_t i) const {
    invariant(i < size(), "Dataset::sample: index out of range");
    const size_t index = impl_->selected[i];
    const std::string name = impl_->source->name(index);
    const data::RawSample raw = impl_->source->load(index);
    if (raw.from_float) impl_->pipeline.check_finite(raw.values.data(), raw.values.size(), name, index);
    return impl_->pipeline.run(raw, name);
}

std::optional<std::vector<int64_t>> Dataset::labels() const { return impl_->folder_labels; }
const std::vector<std::string>& Dataset::class_names() const { return impl_->class_names; }

std::vector<int64_t> Dataset::labels_from_file(const std::string& path) const {
    const std::vector<int64_t> all = load_labels(path, total());
    std::vector<int64_t> out;
    out.reserve(size());
    for (size_t i : impl_->selected) out.push_back(all[i]);
    return out;
}

nlohmann::json Dataset::describe() const {
    nlohmann::json j;
    impl_->source->describe(j);
    j["total"] = total();
    j["count"] = size();
    if (size() == total()) {
        j["sampling"] = "all";
    } else {
        j["sampling"] = "random subset: mt19937_64(seed), partial Fisher-Yates, ascending order";
        j["seed"] = impl_->options.seed;
        j["indices"] = impl_->selected;
    }
    const ModelInput& in = impl_->pipeline.input();
    j["input"] = {{"name", in.name}, {"shape", in.shape}};
    j["preprocess"] = preprocess_to_json(impl_->pipeline.preprocess());
    if (impl_->folder_labels) j["labels"] = {{"from", "subfolders"}, {"classes", impl_->class_names}};
    return j;
}

}  // namespace espq
