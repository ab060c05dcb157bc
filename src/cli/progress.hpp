// Progress reporting for long loops: a redrawn bar with ETA when stderr is a terminal, a few plain lines
// otherwise (CI logs), nothing with --quiet or --json.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace espq::cli {

class Progress {
public:
    Progress(std::string label, bool enabled);
    void update(size_t done, size_t total);
    void finish();

private:
    std::string label_;
    bool enabled_, tty_;
    int last_quarter_ = -1;
    std::chrono::steady_clock::time_point start_;
    std::chrono::steady_clock::time_point last_draw_{};
    bool drawn_ = false;
};

}  // namespace espq::cli
