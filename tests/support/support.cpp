#include "support.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace espq::test {

std::string data_path(const std::string& rel) { return std::string(ESPQ_TEST_DATA_DIR) + "/" + rel; }
std::string model_path(const std::string& rel) { return std::string(ESPQ_MODELS_DIR) + "/" + rel; }
std::string espq_binary() { return ESPQ_BINARY; }

std::string temp_dir() {
    static std::string dir = [] {
        std::string templ = (std::filesystem::temp_directory_path() / "espq_test_XXXXXX").string();
        std::vector<char> buf(templ.begin(), templ.end());
        buf.push_back('\0');
        const char* d = mkdtemp(buf.data());
        if (!d) throw std::runtime_error("mkdtemp failed");
        return std::string(d);
    }();
    return dir;
}

namespace {
std::string quote(const std::string& s) {
    std::string q = "'";
    for (char c : s) q += (c == '\'') ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}
std::string slurp(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}
}  // namespace

RunResult run_cli(const std::vector<std::string>& args) {
    static int counter = 0;
    std::string base = temp_dir() + "/cli_" + std::to_string(getpid()) + "_" + std::to_string(counter++);
    std::string cmd = quote(espq_binary());
    for (const auto& a : args) cmd += " " + quote(a);
    cmd += " >" + quote(base + ".out") + " 2>" + quote(base + ".err") + " </dev/null";
    int status = std::system(cmd.c_str());
    RunResult r;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = slurp(base + ".out");
    r.err = slurp(base + ".err");
    return r;
}

double max_abs_diff(const Tensor& a, const Tensor& b) {
    if (a.shape() != b.shape()) return INFINITY;
    auto x = a.as_doubles(), y = b.as_doubles();
    double m = 0;
    for (size_t i = 0; i < x.size(); ++i) m = std::max(m, std::fabs(x[i] - y[i]));
    return m;
}

double max_abs(const Tensor& a) {
    double m = 0;
    for (double v : a.as_doubles()) m = std::max(m, std::fabs(v));
    return m;
}

}  // namespace espq::test
