#include "cli/output_files.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "espq/error.hpp"

namespace espq::cli {

void write_files_atomically(const std::vector<std::pair<std::string, std::string>>& files) {
    namespace fs = std::filesystem;
    std::vector<std::string> temps;
    auto cleanup = [&] {
        for (const auto& t : temps) std::remove(t.c_str());
    };
    try {
        for (const auto& [path, bytes] : files) {
            const fs::path p(path);
            const fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
            std::error_code ec;
            if (!fs::is_directory(dir, ec))
                throw UserError(path + ": cannot write, directory '" + dir.string() + "' does not exist");
            const std::string tmp = (dir / ("." + p.filename().string() + ".tmp" + std::to_string(getpid()))).string();
            temps.push_back(tmp);
            std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
            if (!f) throw UserError(path + ": cannot write (" + std::strerror(errno) + "); choose another -o location");
            f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
            f.close();
            if (!f) throw UserError(path + ": write failed (" + std::strerror(errno) + "; disk full?)");
        }
        for (size_t i = 0; i < files.size(); ++i)
            if (std::rename(temps[i].c_str(), files[i].first.c_str()) != 0)
                throw UserError(files[i].first + ": cannot replace (" + std::strerror(errno) + ")");
        temps.clear();
    } catch (...) {
        cleanup();
        throw;
    }
}

}  // namespace espq::cli
