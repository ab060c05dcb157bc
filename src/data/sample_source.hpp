// Where raw samples come from (private to src/data): image folders, .npy folders, arrays from .npy/.npz.
#pragma once

#include <cstddef>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "espq/tensor.hpp"

namespace espq::data {

class SamplePipeline;

// One sample as stored, converted to float but not yet preprocessed.
struct RawSample {
    Shape shape;
    std::vector<float> values;
    bool channels_last = false;  // a decoded image: shape is exactly [H, W, C]
    bool from_float = false;     // came from float data, so NaN/Inf are possible
};

// Samples as stored, before preprocessing (espq::SampleSource in espq/calibration.hpp hands out model inputs).
class RawSampleSource {
public:
    virtual ~RawSampleSource() = default;
    virtual size_t size() const = 0;
    virtual std::string name(size_t i) const = 0;  // for messages and the record
    virtual RawSample load(size_t i) const = 0;    // thread-safe
    // Checks that are cheap to run on every selected sample before any work starts (image headers,
    // NaN/Inf in arrays). Everything is also checked again on load.
    virtual void validate(const std::vector<size_t>& selected, const SamplePipeline& pipeline) const = 0;
    virtual void describe(nlohmann::json& out) const = 0;  // "source", "kind", ...
    // Folder sources: the path of each sample relative to the folder; nullptr for arrays.
    virtual const std::vector<std::string>* relative_paths() const { return nullptr; }
};

// Dispatches on what `source` is (see espq/dataset.hpp). `purpose` is used in messages.
std::unique_ptr<RawSampleSource> open_sample_source(const std::string& source, const std::string& purpose);

}  // namespace espq::data

namespace espq::data {

// The concrete sources (one file each).
std::unique_ptr<RawSampleSource> make_image_folder_source(std::string root, std::vector<std::string> relative_paths);
std::unique_ptr<RawSampleSource> make_npy_folder_source(std::string root, std::vector<std::string> relative_paths);
// `array` is [N, ...]; `label` names it in messages ("calib.npy" or "data.npz:x"); `kind` is "npy" or "npz".
std::unique_ptr<RawSampleSource> make_array_source(Tensor array, std::string path, std::string member,
                                                   std::string kind);

// Sample arrays may hold float32, float64, uint8 or int8 (UserError naming `what` otherwise).
void check_sample_dtype(const Tensor& t, const std::string& what);
// Appends elements [first, first + n) of a float32/float64/uint8/int8 tensor as float.
void append_as_float(const Tensor& t, size_t first, size_t n, std::vector<float>& out);

struct FolderListing {
    std::vector<std::string> images;  // relative paths, sorted
    std::vector<std::string> arrays;  // .npy files, relative paths, sorted
};
// Recursive; hidden files and folders (".name") and other files are skipped with a debug log.
FolderListing list_data_folder(const std::string& root);

}  // namespace espq::data
