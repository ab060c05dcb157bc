// man-style --help: every subcommand has a description paragraph, every option a description, and an
// "Examples:" footer whose commands are real invocations of that subcommand; the top-level help documents the
// exit status.
#include <gtest/gtest.h>

#include "cli/commands.hpp"
#include "cli/help.hpp"
#include "cli_helpers.hpp"

using namespace espq;

namespace {

// The subcommand names listed under "Subcommands:" in `espq --help`.
std::vector<std::string> listed_subcommands(const std::string& help) {
    std::vector<std::string> names;
    bool in = false;
    for (const auto& l : test::lines_of(help)) {
        if (l == "Subcommands:") {
            in = true;
            continue;
        }
        if (!in) continue;
        if (l.empty()) break;
        names.push_back(l.substr(2, l.find(' ', 2) - 2));
    }
    return names;
}

// The example commands after "Examples:" (a line ending in '\' continues on the next one).
std::vector<std::string> examples(const std::string& help) {
    std::vector<std::string> out;
    bool in = false, continued = false;
    for (const auto& l : test::lines_of(help)) {
        if (l == "Examples:") {
            in = true;
            continue;
        }
        if (!in) continue;
        if (l.rfind("  ", 0) != 0) break;
        const std::string text = l.substr(l.find_first_not_of(' '));
        if (continued) out.back() += " " + text;
        else out.push_back(text);
        continued = !text.empty() && text.back() == '\\';
    }
    return out;
}

}  // namespace

TEST(CliHelp, TopLevelListsCommandsAndExitStatus) {
    const auto r = test::run_cli({"--help"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto subs = listed_subcommands(r.out);
    EXPECT_EQ(subs, (std::vector<std::string>{"check", "quantize", "eval", "run", "verify", "inspect", "bench", "ops"}));
    EXPECT_NE(r.out.find("Exit status:"), std::string::npos) << r.out;
    for (const char* code : {"\n  0  ", "\n  1  ", "\n  2  "}) EXPECT_NE(r.out.find(code), std::string::npos) << code;
    for (const auto& e : examples(r.out)) EXPECT_EQ(e.rfind("espq ", 0), 0u) << e;
}

TEST(CliHelp, EverySubcommandHasDescriptionOptionsAndExamples) {
    const auto top = test::run_cli({"--help"});
    for (const auto& cmd : listed_subcommands(top.out)) {
        SCOPED_TRACE(cmd);
        const auto r = test::run_cli({cmd, "--help"});
        EXPECT_EQ(r.exit_code, 0) << r.err;
        EXPECT_NE(r.out.find("Usage: espq " + cmd), std::string::npos) << r.out;
        EXPECT_NE(r.out.find("Examples:"), std::string::npos) << r.out;
        const auto ex = examples(r.out);
        EXPECT_GE(ex.size(), 2u) << r.out;
        EXPECT_LE(ex.size(), 4u) << r.out;
        for (const auto& e : ex)
            EXPECT_TRUE(e == "espq " + cmd || e.rfind("espq " + cmd + " ", 0) == 0) << "example '" << e << "'";
        // The description paragraph sits between the one-line summary and "Usage:".
        const auto usage = r.out.find("Usage:");
        ASSERT_NE(usage, std::string::npos);
        EXPECT_GT(test::lines_of(r.out.substr(0, usage)).size(), 3u) << "no description paragraph:\n" << r.out;
    }
}

TEST(CliHelp, EveryOptionIsDocumented) {
    // In process: the same registration the binary runs, every option and positional checked.
    CLI::App app{"espq", "espq"};
    app.formatter(cli::make_help_formatter());
    cli::GlobalOptions global;
    const auto commands = cli::register_commands(app, global);
    EXPECT_EQ(commands.size(), app.get_subcommands({}).size());
    for (const auto& c : commands) {
        SCOPED_TRACE(c.sub->get_name());
        EXPECT_FALSE(c.sub->get_description().empty());
        const std::string* manual = cli::find_manual(c.sub);
        ASSERT_NE(manual, nullptr) << "call set_manual() in cmd_" << c.sub->get_name() << ".cpp";
        EXPECT_GT(manual->size(), 150u) << *manual;
        EXPECT_NE(c.sub->get_footer().find("Examples:"), std::string::npos);
        for (const CLI::Option* o : c.sub->get_options())
            EXPECT_FALSE(o->get_description().empty()) << o->get_name();
    }
}

TEST(CliHelp, WrapKeepsWordsAndWidth) {
    const std::string text = "aaa bbb ccc ddd eee\nfff";
    EXPECT_EQ(cli::wrap_text(text, 7), "aaa bbb\nccc ddd\neee\nfff");
    EXPECT_EQ(cli::wrap_text("averyveryverylongword x", 5), "averyveryverylongword\nx");
}
