// man-style `--help`: every subcommand prints its one-line description, then a paragraph saying what it
// does (set_manual), its usage and options, and a footer with "Examples:".
#pragma once

#include <CLI/CLI.hpp>

#include <memory>
#include <string>

namespace espq::cli {

// The DESCRIPTION paragraph of `espq <sub> --help` (wrapped to the terminal-friendly width on output).
void set_manual(CLI::App* sub, const std::string& paragraph);
const std::string* find_manual(const CLI::App* sub);

// The formatter that prints those paragraphs; set it on the top-level app before adding subcommands
// (CLI11 copies the parent's formatter into each subcommand when it is created).
std::shared_ptr<CLI::Formatter> make_help_formatter();

// Greedy word wrap to `width` columns; existing newlines start new lines.
std::string wrap_text(const std::string& text, size_t width);

}  // namespace espq::cli
