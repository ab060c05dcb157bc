// The data flags shared by `quantize`, `eval` and `run`: source count/seed and preprocessing.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "espq/dataset.hpp"

namespace espq::cli {

struct DataFlags {
    size_t count = 0;
    uint64_t seed = 0;
    std::string resize, color = "keep", scale = "1", mean, std, layout = "nchw";
    bool grayscale = false, rgb = false, bgr = false;

    // Adds --resize --grayscale --rgb --bgr --scale --mean --std --layout (and --<count_flag> --seed).
    void add_to(CLI::App* app, const std::string& count_flag);
    DatasetOptions options(const std::string& purpose) const;  // UserError on bad values
};

}  // namespace espq::cli
