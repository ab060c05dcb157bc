// `espq verify MODEL.espdl [--target T] [--key HEX] [--json]`: run the model's embedded test inputs through the
// emulator and compare with its embedded test outputs the way ESP-DL's Model::test() does.
#include <nlohmann/json.hpp>

#include <iomanip>
#include <iostream>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/help.hpp"
#include "espq/model_file.hpp"
#include "espq/verify.hpp"

namespace espq::cli {

namespace {

struct VerifyFlags {
    std::string model, target, key;
    bool json = false;
};

std::vector<uint8_t> parse_key(const std::string& hex) {
    std::string h;
    for (char c : hex)
        if (c != ':' && c != ' ' && c != '-') h += c;
    if (h.rfind("0x", 0) == 0 || h.rfind("0X", 0) == 0) h = h.substr(2);
    if (h.size() != 32 || h.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
        throw UserError("--key: '" + hex + "' is not a 16-byte AES key in hex (32 hex digits)");
    std::vector<uint8_t> key(16);
    for (size_t i = 0; i < 16; ++i) key[i] = static_cast<uint8_t>(std::stoi(h.substr(2 * i, 2), nullptr, 16));
    return key;
}

std::string fmt(double v) {
    std::ostringstream s;
    s << std::setprecision(6) << v;
    return s.str();
}

std::string verdict(const TestOutputCheck& c) {
    if (!c.problem.empty()) return "FAIL: " + c.problem;
    std::string s;
    if (c.exact == c.elements) s = "exact";
    else s = std::to_string(c.exact) + "/" + std::to_string(c.elements) + " exact, max |diff| " + fmt(c.max_abs_diff);
    if (c.dtype != DType::Float32 && c.off_by_one > 0) s += ", " + std::to_string(c.off_by_one) + " off by 1";
    if (!c.pass)
        s += "; FAIL at element " + std::to_string(c.first_failure) + ": got " + fmt(c.got_at_failure) +
             ", expected " + fmt(c.want_at_failure);
    return s;
}

int run_verify(const VerifyFlags& f) {
    EspdlReadOptions ro;
    if (!f.key.empty()) ro.key = parse_key(f.key);
    const EspdlModel model = read_espdl(f.model, ro);
    const Target target = espdl_model_target(model, f.target, f.model);
    const TestVectorReport r = verify_test_vectors(model, target);
    if (f.json) {
        nlohmann::json j;
        j["command"] = "verify";
        j["file"] = f.model;
        j["target"] = target_name(target);
        j["pass"] = r.pass;
        j["outputs"] = nlohmann::json::array();
        for (const auto& c : r.outputs) {
            nlohmann::json o{{"name", c.name},
                             {"dtype", dtype_name(c.dtype)},
                             {"shape", c.shape},
                             {"exponent", c.exponent},
                             {"elements", c.elements},
                             {"exact", c.exact},
                             {"off_by_one", c.off_by_one},
                             {"max_abs_diff", c.max_abs_diff},
                             {"pass", c.pass}};
            if (!c.problem.empty()) o["problem"] = c.problem;
            if (c.first_failure >= 0)
                o["first_failure"] = {{"index", c.first_failure}, {"got", c.got_at_failure}, {"expected", c.want_at_failure}};
            j["outputs"].push_back(o);
        }
        std::cout << j.dump(2) << "\n";
    } else {
        std::cout << f.model << " (" << target_name(target) << "):\n";
        for (const auto& c : r.outputs)
            std::cout << "  " << c.name << "  " << dtype_name(c.dtype) << " [" << shape_str(c.shape) << "]  "
                      << verdict(c) << "\n";
        std::cout << (r.pass ? "PASS: every test output is within ESP-DL's Model::test() tolerance\n"
                             : "FAIL: see the outputs marked FAIL above\n");
    }
    if (!r.pass) {
        for (const auto& c : r.outputs)
            if (!c.pass) {
                std::cerr << "espq verify: output '" << c.name << "' "
                          << (c.problem.empty() ? "differs at element " + std::to_string(c.first_failure) + " (got " +
                                                      fmt(c.got_at_failure) + ", expected " + fmt(c.want_at_failure) + ")"
                                                : c.problem)
                          << "\n";
                break;
            }
        return 1;
    }
    return 0;
}

}  // namespace

Command make_verify_command(CLI::App& app, const GlobalOptions& /*global*/) {
    auto f = std::make_shared<VerifyFlags>();
    CLI::App* sub = app.add_subcommand(
        "verify", "Run an .espdl model's embedded test inputs in the emulator and compare with its test outputs");
    sub->add_option("model", f->model, "Model file (.espdl with embedded test values)")->required();
    sub->add_option("--target", f->target, "esp32s3, esp32p4, esp32s31 or c (default: the file's metadata 'target')");
    sub->add_option("--key", f->key, "AES-128 key in hex for an encrypted model (32 hex digits)");
    sub->add_flag("--json", f->json, "Print one JSON object on stdout instead of text");
    set_manual(sub,
               "Runs the test input embedded in an .espdl file (quantize embeds one by default) through the "
               "bit-exact emulator of the target's integer kernels and compares the result with the embedded test "
               "output, with the tolerances of ESP-DL's Model::test(): int8 exact, int16 within +-1, float within "
               "2e-5. This is what the device checks when the application calls Model::test(). The target comes "
               "from the file's metadata unless --target is given. Exit status: 0 when every test output passes, "
               "1 otherwise (or on bad input).");
    sub->footer(
        "Examples:\n"
        "  espq verify model.espdl\n"
        "  espq verify model.espdl --target esp32s3 --json\n"
        "  espq verify encrypted.espdl --key 000102030405060708090a0b0c0d0e0f");
    return {sub, [f]() { return run_verify(*f); }};
}

}  // namespace espq::cli
