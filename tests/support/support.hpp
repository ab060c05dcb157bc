// Shared helpers for the test suites: paths to committed test data and small comparison utilities.
#pragma once

#include <string>
#include <vector>

#include "espq/tensor.hpp"

namespace espq::test {

std::string data_path(const std::string& rel);   // tests/data/<rel>
std::string model_path(const std::string& rel);  // models/<rel>
std::string espq_binary();                       // the built espq CLI
std::string temp_dir();                          // a fresh directory for this test process

struct RunResult {
    int exit_code = -1;
    std::string out;  // stdout
    std::string err;  // stderr
};
// Runs the espq CLI with the given arguments (no shell quoting needed for simple args).
RunResult run_cli(const std::vector<std::string>& args);

// max |a-b| over all elements of two float tensors of equal shape.
double max_abs_diff(const Tensor& a, const Tensor& b);
double max_abs(const Tensor& a);

}  // namespace espq::test
