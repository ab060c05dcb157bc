// The adding-an-operator checklist (docs/adding-an-operator.md), enforced: every operator the ONNX loader accepts
// (the float operator registry) has shape inference, a float kernel, a probe model for `espq ops`, a support
// table entry and a float-kernel test; every operator the table calls lowered has a lowering rule and an
// emulator kernel for the ESP-DL node it becomes. A step left out for any operator fails here, naming the file.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "emu/emu_op.hpp"
#include "espq/float_ops.hpp"
#include "espq/op_probes.hpp"
#include "espq/passes.hpp"
#include "espq/support.hpp"
#include "quant/lower_context.hpp"

namespace espq {
namespace {

namespace fs = std::filesystem;

// Float kernels whose tests live outside tests/float_kernels, with the file that tests them.
const std::map<std::string, std::string> kFloatKernelsTestedElsewhere = {
    {"Swish", "tests/passes/test_passes.cpp"},  // espq's own fused op, created by pass fuse_swish
};

std::string read_text(const fs::path& p) {
    std::ifstream f(p);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

fs::path repo_root() {
    return fs::path(ESPQ_TEST_DATA_DIR).parent_path().parent_path();
}

TEST(OperatorChecklist, EveryLoaderOperatorHasEveryStep) {
    std::set<std::string> probed;
    for (const OpProbe& p : op_probes()) probed.insert(p.op);
    for (const std::string& op : float_op_types()) {
        SCOPED_TRACE(op);
        const FloatOpDef* def = find_float_op(op);
        ASSERT_NE(def, nullptr);
        EXPECT_TRUE(def->infer) << op << ": no shape inference in its src/float_kernels file";
        EXPECT_TRUE(def->prepare) << op << ": no float kernel in src/float_kernels";
        EXPECT_TRUE(probed.count(op)) << op << ": no probe model in src/support/op_probes.cpp";
        EXPECT_NE(find_op_support(op), nullptr) << op << ": no entry in the support table, src/support/support.cpp";
    }
    for (const std::string& op : probed)
        EXPECT_NE(find_float_op(op), nullptr) << op << ": a probe for an operator the loader does not accept";
}

TEST(OperatorChecklist, TheSupportTableMatchesTheRegistries) {
    const auto passes = all_pass_names();
    for (const OpSupportEntry& e : op_support_table()) {
        SCOPED_TRACE(e.op);
        EXPECT_NE(find_float_op(e.op), nullptr) << e.op << ": a table entry for an operator the loader does not accept";
        switch (e.handling) {
            case OpHandling::Lowered:
                EXPECT_NE(quant::find_lowering(e.op), nullptr)
                    << e.op << ": the table says lowered, but no ESPQ_REGISTER_LOWERING in src/quant/lower_*.cpp";
                // A decomposed operator (ConvTranspose: InsertZeros then Conv) needs every node of its sequence.
                for (const std::string& espdl_op :
                     e.espdl_runs_as.empty() ? std::vector<std::string>{e.espdl_op} : e.espdl_runs_as) {
                    EXPECT_TRUE(espdl_has_module(espdl_op)) << e.op << " becomes " << espdl_op << ", which ESP-DL lacks";
                    EXPECT_NE(emu::find_emu_op(espdl_op), nullptr)
                        << e.op << " becomes " << espdl_op << ": no emulator kernel (ESPQ_REGISTER_EMU_OP in src/emu)";
                }
                if (!e.espdl_runs_as.empty()) EXPECT_EQ(e.espdl_op, e.espdl_runs_as.back()) << e.op;
                EXPECT_TRUE(e.fix.empty()) << e.op << ": a lowered operator needs no fix";
                break;
            case OpHandling::Rewritten:
                ASSERT_FALSE(e.passes.empty()) << e.op;
                for (const std::string& p : e.passes)
                    EXPECT_NE(std::find(passes.begin(), passes.end(), p), passes.end()) << e.op << ": no pass " << p;
                break;
            case OpHandling::FoldedAtLoad:
                break;
            case OpHandling::NotLoweredYet:
                EXPECT_TRUE(e.espdl_module || !e.espdl_runs_as.empty())
                    << e.op << ": 'not lowered yet' is for operators ESP-DL runs";
                EXPECT_EQ(quant::find_lowering(e.op), nullptr)
                    << e.op << ": has a lowering rule; the table must say lowered";
                break;
            case OpHandling::NoEspdlModule:
                EXPECT_FALSE(e.espdl_module) << e.op;
                EXPECT_FALSE(e.fix.empty()) << e.op << ": tell the user what to use instead";
                break;
        }
    }
    for (const std::string& op : lowering_glue_ops()) EXPECT_NE(emu::find_emu_op(op), nullptr) << op;
}

TEST(OperatorChecklist, EveryFloatKernelHasATest) {
    std::string tests;
    for (const auto& f : fs::directory_iterator(repo_root() / "tests" / "float_kernels"))
        if (f.path().filename().string().rfind("test_", 0) == 0) tests += read_text(f.path());
    ASSERT_FALSE(tests.empty()) << "tests/float_kernels not found under " << repo_root();
    for (const std::string& op : float_op_types()) {
        const std::string quoted = "\"" + op + "\"";
        if (tests.find(quoted) != std::string::npos) continue;
        auto elsewhere = kFloatKernelsTestedElsewhere.find(op);
        ASSERT_NE(elsewhere, kFloatKernelsTestedElsewhere.end())
            << op
            << ": no test in tests/float_kernels/test_*.cpp names it; add one (or list the test that covers it "
               "in kFloatKernelsTestedElsewhere)";
        EXPECT_NE(read_text(repo_root() / elsewhere->second).find(quoted), std::string::npos)
            << op << ": " << elsewhere->second << " does not mention it";
    }
}

}  // namespace
}  // namespace espq
