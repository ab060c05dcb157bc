// Calibration and evaluation data: where samples come from, how each one is preprocessed into exactly the
// shape of a model input, and the labels used to score a model.
//
// Sources (Dataset::open):
//   - a folder of images (png jpg jpeg bmp pgm ppm pnm), searched recursively and sorted by relative path
//     (byte order); other files and hidden entries (".name") are skipped;
//   - a folder of .npy files, one sample per file, sorted the same way;
//   - a .npy array [N, ...] (float32, float64, uint8 or int8), or an .npz (its first array, or `file.npz:name`).
// A folder holding both images and .npy files is refused, as ambiguous.
//
// Each sample becomes a float32 tensor of the model input's shape. For a 4-D (image) input the steps are
//   decode -> colour conversion -> bilinear resize (in float) -> x = (x * scale - mean[c]) / std[c] -> layout.
// uint8 data (decoded images, uint8 arrays) enters as pixel values 0..255, so the same flags apply to images and
// arrays. Array samples may be [H, W], [H, W, C] or [C, H, W] (leading 1s are ignored); when a 3-D sample
// could be either, the interpretation matching the model input wins, else the one with 1..4 channels, else
// the model's layout. Inputs of other ranks take samples of the same shape (leading 1s aside) and allow only
// scale/mean/std.
//
// Samples are produced on access (sample(i)): arrays are kept as loaded (uint8 stays uint8), files are read
// and decoded again each time. sample() is const and thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "espq/tensor.hpp"

namespace espq {

enum class ColorMode {
    Keep,       // use the data's own channels
    Grayscale,  // BT.601 luma: L = R*299/1000 + G*587/1000 + B*114/1000 (PIL "L", not rounded)
    Rgb,        // grey is replicated; alpha is dropped
    Bgr,
};
enum class InputLayout { NCHW, NHWC };

struct Preprocess {
    int64_t resize_width = 0;  // 0 = no resize; else bilinear, PyTorch align_corners=False, no antialias
    int64_t resize_height = 0;
    ColorMode color = ColorMode::Keep;
    double scale = 1.0;
    std::vector<float> mean;  // empty = 0; one value for every channel, or one per channel
    std::vector<float> std;   // empty = 1; idem; must not contain 0
    InputLayout layout = InputLayout::NCHW;  // of the model input
};

// Command-line spellings. Each throws UserError naming `flag` when the text is invalid.
double parse_scale(const std::string& text, const std::string& flag = "--scale");  // "1/255", "0.5", "4e-3"
// "96x96" (width x height) or "96" (square). Returns {width, height}.
std::pair<int64_t, int64_t> parse_resize(const std::string& text, const std::string& flag = "--resize");
// "0.485,0.456,0.406" (commas or spaces; each value may be a fraction such as "1/2").
std::vector<float> parse_float_list(const std::string& text, const std::string& flag);
ColorMode parse_color_mode(const std::string& text);  // keep | grayscale (gray, grey, l) | rgb | bgr
InputLayout parse_layout(const std::string& text);    // nchw | nhwc
const char* color_mode_name(ColorMode m);
const char* layout_name(InputLayout l);
nlohmann::json preprocess_to_json(const Preprocess& p);

struct ModelInput {
    std::string name;
    Shape shape;  // static, e.g. {1, 1, 96, 96}
};

struct DatasetOptions {
    Preprocess preprocess;
    size_t count = 0;  // 0 = every sample; otherwise at most `count`, chosen with `seed` (see select_indices)
    uint64_t seed = 0;
    std::string purpose = "calibration";  // word used in messages: "calibration sample 'x' has shape ..."
};

// `count` of `total` indices chosen uniformly without replacement, in ascending order; all of them when
// count is 0 or >= total. Partial Fisher-Yates driven by std::mt19937_64(seed) with our own unbiased
// bounded draw, so the choice is the same with every standard library.
std::vector<size_t> select_indices(size_t total, size_t count, uint64_t seed);

class Dataset {
public:
    // `source`: see the top of this file. Checks what it can up front (every selected image header, every
    // selected array sample, the first sample of a .npy folder) and throws UserError naming the file.
    static Dataset open(const std::string& source, const ModelInput& input, const DatasetOptions& options = {});

    size_t size() const;                          // selected samples
    size_t total() const;                         // samples in the source before `count`
    const std::vector<size_t>& indices() const;   // source index of each selected sample, ascending
    Tensor sample(size_t i) const;                // float32, shaped exactly like the model input
    std::string sample_name(size_t i) const;      // "dir/cat/001.png" or "calib.npy[17]"

    // Labels from one subfolder per class (class index = position of the subfolder name in sorted order), when
    // every file of a folder source sits in a subfolder; nullopt otherwise. Aligned with sample(i).
    std::optional<std::vector<int64_t>> labels() const;
    const std::vector<std::string>& class_names() const;  // sorted subfolder names (empty without)
    // Labels from a file with one entry per source sample (see load_labels), reduced to the selection.
    std::vector<int64_t> labels_from_file(const std::string& path) const;

    // Where the data came from and how it was preprocessed, for the quantization record.
    nlohmann::json describe() const;

    struct Impl;

private:
    std::shared_ptr<const Impl> impl_;
};

// Labels, one per sample:
//   - .npy of integers, shape [N] or [N, 1];
//   - a text file (any other extension) with one entry per line: if every line is an integer they are the
//     labels; otherwise each line is a class name and the label is the name's index among the sorted
//     (byte order) unique names, which are returned in `class_names`. Blank lines at the end are ignored;
//     surrounding whitespace is trimmed.
// UserError when the count differs from expected_count, a label is negative, or the file is malformed.
std::vector<int64_t> load_labels(const std::string& path, size_t expected_count,
                                 std::vector<std::string>* class_names = nullptr);

}  // namespace espq
