#include "cli/commands.hpp"

namespace espq::cli {

// The order here is the order `espq --help` lists the subcommands in.
std::vector<Command> register_commands(CLI::App& app, const GlobalOptions& global) {
    std::vector<Command> c;
    c.push_back(make_check_command(app, global));
    c.push_back(make_quantize_command(app, global));
    c.push_back(make_eval_command(app, global));
    c.push_back(make_run_command(app, global));
    c.push_back(make_verify_command(app, global));
    c.push_back(make_inspect_command(app, global));
    c.push_back(make_bench_command(app, global));
    c.push_back(make_ops_command(app, global));
    return c;
}

}  // namespace espq::cli
