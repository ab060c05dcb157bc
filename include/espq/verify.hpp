// Running a model's embedded test vectors through the emulator and comparing them the way ESP-DL's
// Model::test() does (docs/esp-dl-arithmetic.md §8): same dtype, shape and exponent; then int8 exact, int16 within
// +-1, float within 2e-5 (NaN only matches NaN).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "espq/espdl.hpp"
#include "espq/target.hpp"

namespace espq {

struct TestOutputCheck {
    std::string name;
    DType dtype = DType::Undefined;      // of the embedded (expected) tensor
    Shape shape;                         // of the embedded tensor
    int64_t exponent = 0;                // of the embedded tensor
    bool produced = false;               // the name is a value the graph computes (or an input)
    std::string problem;                 // dtype/shape/exponent mismatch or missing value; empty if comparable
    int64_t elements = 0;
    int64_t exact = 0;                   // elements equal to the expected value
    int64_t off_by_one = 0;              // integer elements differing by exactly 1
    double max_abs_diff = 0;
    int64_t first_failure = -1;          // flat index of the first element beyond the tolerance
    double got_at_failure = 0, want_at_failure = 0;
    bool pass = false;
};

struct TestVectorReport {
    Target target = Target::ESP32S3;
    std::vector<TestOutputCheck> outputs;
    bool pass = false;  // every output passes (and there is at least one)
};

// The target a model file declares in its metadata ("target" -> esp32s3 / esp32p4 / c), if any.
std::optional<Target> model_target(const EspdlModel& model);

// Feeds test_inputs to the graph inputs (by name), runs the emulator and checks every test output.
// UserError when the model has no test values or a graph input has no test tensor.
TestVectorReport verify_test_vectors(const EspdlModel& model, Target target);

}  // namespace espq
