// espq command line entry point: parses the subcommand and maps exceptions to exit codes
// (0 ok, 1 user error, 2 internal error).
#include "cli/app.hpp"

int main(int argc, char** argv) { return espq::cli::run_app(argc, argv); }
