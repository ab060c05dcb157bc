#include "cli/progress.hpp"

#include <unistd.h>

#include <cstdio>

namespace espq::cli {

Progress::Progress(std::string label, bool enabled)
    : label_(std::move(label)), enabled_(enabled), tty_(isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()) {}

void Progress::update(size_t done, size_t total) {
    if (!enabled_ || total == 0) return;
    const auto now = std::chrono::steady_clock::now();
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    if (tty_) {
        if (done < total && drawn_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
        last_draw_ = now;
        drawn_ = true;
        const int width = 30;
        const int filled = static_cast<int>(width * done / total);
        const double eta = done ? elapsed * static_cast<double>(total - done) / static_cast<double>(done) : 0;
        std::fprintf(stderr, "\r%s [%.*s%*s] %zu/%zu  %.1fs, ETA %.1fs ", label_.c_str(), filled,
                     "##############################", width - filled, "", done, total, elapsed, eta);
        std::fflush(stderr);
    } else {
        const int quarter = static_cast<int>(4 * done / total);
        if (quarter == last_quarter_) return;
        last_quarter_ = quarter;
        std::fprintf(stderr, "%s: %zu/%zu (%.1fs)\n", label_.c_str(), done, total, elapsed);
    }
}

void Progress::finish() {
    if (enabled_ && tty_ && drawn_) std::fprintf(stderr, "\n");
    drawn_ = false;
}

}  // namespace espq::cli
