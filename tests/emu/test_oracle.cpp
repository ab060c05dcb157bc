// Every published .espdl file in tests/data/oracle/{esp32s3,esp32p4,c}: load it, feed its embedded test input,
// and compare every embedded test output: int8 bit-exact, int16 within +-1 (the +-1 count is printed per file),
// float within 2e-5. The embedded outputs are ESP-PPQ's simulation; where the chip computes differently the
// emulator follows the chip, and the expected differences are listed (with the reason) in kKnownDeviations and
// docs/emulator-notes.md.
#include <filesystem>
#include <map>

#include "espq/emulator.hpp"
#include "espq/espdl.hpp"
#include "support.hpp"
#include "emu_harness.hpp"

namespace espq::test {
namespace {

namespace fs = std::filesystem;

struct OracleFile {
    std::string target_dir;
    std::string path;
    std::string name;
};

// How GoogleTest prints a parameter (instead of dumping the struct's bytes).
void PrintTo(const OracleFile& f, std::ostream* os) { *os << f.target_dir << "/" << f.name; }

std::vector<OracleFile> oracle_files() {
    std::vector<OracleFile> files;
    for (const char* dir : {"esp32s3", "esp32p4", "c"}) {
        const fs::path root = fs::path(data_path("oracle")) / dir;
        if (!fs::exists(root)) continue;
        for (const auto& e : fs::directory_iterator(root))
            if (e.path().extension() == ".espdl") files.push_back({dir, e.path().string(), e.path().stem().string()});
    }
    std::sort(files.begin(), files.end(), [](const OracleFile& a, const OracleFile& b) { return a.path < b.path; });
    return files;
}

// int8 elements the emulator is expected to compute differently from ESP-PPQ's embedded simulation, per file
// (file stem -> max number of differing int8 elements, each off by at most `max_diff`). See
// docs/emulator-notes.md for the evidence behind each entry.
struct Deviation {
    int64_t max_elements;
    double max_diff;
};
const std::map<std::string, Deviation> kKnownDeviations = {};

class Oracle : public ::testing::TestWithParam<OracleFile> {};

TEST_P(Oracle, MatchesEmbeddedTestOutputs) {
    const OracleFile& f = GetParam();
#if defined(__SANITIZE_ADDRESS__)
    if (fs::file_size(f.path) > 400 * 1024) GTEST_SKIP() << "large file skipped in the sanitizer build";
#endif
    EspdlModel m = read_espdl(f.path);
    const Target target = parse_target(f.target_dir);
    ASSERT_FALSE(m.test_outputs.empty());
    const Graph& g = m.graph;
    std::vector<Tensor> feed;
    for (int id : g.inputs) {
        auto it = std::find_if(m.test_inputs.begin(), m.test_inputs.end(),
                               [&](const NamedTensor& t) { return t.name == g.value(id).name; });
        ASSERT_NE(it, m.test_inputs.end()) << "no test input for " << g.value(id).name;
        feed.push_back(it->tensor);
    }
    Emulator emu(g, target);
    std::map<std::string, Tensor> got;
    emu.run(feed, [&](int id, const Tensor& t) {
        for (const auto& o : m.test_outputs)
            if (o.name == g.value(id).name) got[o.name] = t;
    });
    for (const auto& want : m.test_outputs) {
        ASSERT_TRUE(got.count(want.name)) << want.name << " was not computed";
        const Tensor& y = got[want.name];
        ASSERT_EQ(y.dtype(), want.tensor.dtype()) << want.name;
        ASSERT_EQ(y.shape(), want.tensor.shape()) << want.name;
        const auto a = y.as_doubles(), b = want.tensor.as_doubles();
        int64_t diff = 0, off1 = 0;
        double max_diff = 0;
        for (size_t i = 0; i < a.size(); ++i) {
            const double d = std::fabs(a[i] - b[i]);
            diff += d != 0;
            off1 += d == 1;
            max_diff = std::max(max_diff, d);
        }
        std::cout << "[oracle] " << f.target_dir << "/" << f.name << " " << want.name << " " << dtype_name(y.dtype())
                  << " " << shape_str(y.shape()) << ": " << a.size() - diff << "/" << a.size() << " exact, +-1: " << off1
                  << ", max |diff| " << max_diff << "\n";
        if (want.tensor.dtype() == DType::Int8) {
            auto dev = kKnownDeviations.find(f.name);
            if (dev == kKnownDeviations.end()) {
                EXPECT_EQ(diff, 0) << want.name << ": int8 must be bit-exact (max |diff| " << max_diff << ")";
            } else {
                EXPECT_LE(diff, dev->second.max_elements) << want.name;
                EXPECT_LE(max_diff, dev->second.max_diff) << want.name;
            }
        } else if (want.tensor.dtype() == DType::Int16) {
            EXPECT_LE(max_diff, 1.0) << want.name << ": int16 may differ by at most 1";
        } else {
            EXPECT_LE(max_diff, 2e-5) << want.name;
        }
    }
}

std::string param_name(const ::testing::TestParamInfo<OracleFile>& info) {
    std::string s = info.param.target_dir + "_" + info.param.name;
    for (char& c : s)
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    return s;
}

INSTANTIATE_TEST_SUITE_P(Files, Oracle, ::testing::ValuesIn(oracle_files()), param_name);

}  // namespace
}  // namespace espq::test
