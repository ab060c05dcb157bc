#include "cli/app.hpp"

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include <iostream>

#include "cli/commands.hpp"
#include "cli/help.hpp"
#include "espq/error.hpp"

namespace espq::cli {

int run_app(int argc, char** argv) {
    CLI::App app{"espq: post-training quantization of ONNX models for Espressif's ESP-DL runtime", "espq"};
    app.set_version_flag("--version", std::string("espq ") + ESPQ_VERSION);
    app.require_subcommand(1);
    // -v / -q are accepted after the subcommand too (espq quantize ... -q), as users and makefiles write them.
    app.fallthrough();
    app.formatter(make_help_formatter());  // before the subcommands are added: they copy it
    app.footer(
        "Exit status:\n"
        "  0  success (check: the target can run every node; verify: every test output passes)\n"
        "  1  bad input: a one-line message on stderr names the file, node or tensor, the rule and the fix;\n"
        "     also 'check' finding problems and 'verify' finding a mismatch. No output file is left behind.\n"
        "  2  internal error (a bug in espq: please report it with the command you ran)\n\n"
        "Examples:\n"
        "  espq check model.onnx --target esp32s3\n"
        "  espq quantize model.onnx --calib data/ --target esp32s3\n"
        "  espq verify model.espdl\n"
        "  espq ops --target esp32s3\n"
        "Run 'espq <command> --help' for the description, options and examples of a command.");
    GlobalOptions global;
    app.add_flag("-v,--verbose", global.verbose, "More log output (repeat for debug)");
    app.add_flag("-q,--quiet", global.quiet, "Only errors");

    auto commands = register_commands(app, global);

    // Logs go to stderr so that --json output on stdout stays machine-readable.
    auto logger = spdlog::stderr_color_mt("espq");
    logger->set_pattern("%^[%l]%$ %v");
    spdlog::set_default_logger(logger);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
        // A usage error is a user error like any other: one line, exit status 1.
        std::string where = "espq";
        for (const CLI::App* sub : app.get_subcommands()) where += " " + sub->get_name();
        std::string what = e.what();
        if (where == "espq" && argc > 1 && argv[1][0] != '-') {
            std::string names;
            for (const auto& c : commands) names += (names.empty() ? "" : ", ") + c.sub->get_name();
            what = std::string("unknown command '") + argv[1] + "'; the commands are " + names;
        }
        std::cerr << "espq: error: " << what << " (see '" << where << " --help')\n";
        return 1;
    }
    spdlog::set_level(global.quiet ? spdlog::level::err
                      : global.verbose >= 2 ? spdlog::level::debug
                      : global.verbose == 1 ? spdlog::level::info
                                            : spdlog::level::warn);
    try {
        for (auto& c : commands)
            if (c.sub->parsed()) return c.run();
    } catch (const UserError& e) {
        std::cerr << "espq: error: " << e.what() << "\n";
        return 1;
    } catch (const std::bad_alloc&) {
        std::cerr << "espq: error: out of memory\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "espq: internal error: " << e.what() << " (please report this with the command you ran)\n";
        return 2;
    }
    return 2;
}

}  // namespace espq::cli
