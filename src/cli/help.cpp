#include "cli/help.hpp"

#include <map>
#include <sstream>

namespace espq::cli {

namespace {

std::map<const CLI::App*, std::string>& manuals() {
    static std::map<const CLI::App*, std::string> m;
    return m;
}

class ManualFormatter : public CLI::Formatter {
public:
    std::string make_description(const CLI::App* app) const override {
        std::string d = CLI::Formatter::make_description(app);
        if (const std::string* manual = find_manual(app)) d += "\n" + wrap_text(*manual, 100) + "\n\n";
        return d;
    }
};

}  // namespace

void set_manual(CLI::App* sub, const std::string& paragraph) { manuals()[sub] = paragraph; }

const std::string* find_manual(const CLI::App* sub) {
    auto it = manuals().find(sub);
    return it == manuals().end() ? nullptr : &it->second;
}

std::shared_ptr<CLI::Formatter> make_help_formatter() {
    auto f = std::make_shared<ManualFormatter>();
    f->column_width(30);
    return f;
}

std::string wrap_text(const std::string& text, size_t width) {
    std::string out;
    std::istringstream lines(text);
    std::string line;
    bool first_line = true;
    while (std::getline(lines, line)) {
        if (!first_line) out += "\n";
        first_line = false;
        std::istringstream words(line);
        std::string word;
        size_t column = 0;
        while (words >> word) {
            if (column > 0 && column + 1 + word.size() > width) {
                out += "\n";
                column = 0;
            } else if (column > 0) {
                out += " ";
                ++column;
            }
            out += word;
            column += word.size();
        }
    }
    return out;
}

}  // namespace espq::cli
