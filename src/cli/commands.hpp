// Each subcommand lives in its own file (src/cli/cmd_<name>.cpp) and contributes a Command here.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <memory>
#include <vector>

namespace espq::cli {

struct GlobalOptions {
    int verbose = 0;
    bool quiet = false;
};

struct Command {
    CLI::App* sub = nullptr;
    std::function<int()> run;  // returns the exit code; throws UserError for bad input
};

// Signature every cmd_<name>.cpp implements: adds its subcommand (with --help text and examples) to `app`.
using CommandFactory = Command (*)(CLI::App& app, const GlobalOptions& global);

std::vector<Command> register_commands(CLI::App& app, const GlobalOptions& global);

// Declarations of the subcommand factories (one per file).
Command make_inspect_command(CLI::App& app, const GlobalOptions& global);
Command make_quantize_command(CLI::App& app, const GlobalOptions& global);
Command make_eval_command(CLI::App& app, const GlobalOptions& global);
Command make_run_command(CLI::App& app, const GlobalOptions& global);
Command make_bench_command(CLI::App& app, const GlobalOptions& global);
Command make_check_command(CLI::App& app, const GlobalOptions& global);
Command make_verify_command(CLI::App& app, const GlobalOptions& global);
Command make_ops_command(CLI::App& app, const GlobalOptions& global);

}  // namespace espq::cli
