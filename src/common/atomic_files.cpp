#include "espq/atomic_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "espq/error.hpp"

namespace espq {

namespace {

std::string cannot_write(const std::string& what, const std::string& path) {
    return "cannot write " + (what.empty() ? "" : what + " ") + "'" + path + "': ";
}

void write_all(int fd, const char* data, size_t size) {
    while (size > 0) {
        const ssize_t n = ::write(fd, data, size);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw std::system_error(errno, std::generic_category());
        }
        data += n;
        size -= static_cast<size_t>(n);
    }
}

// Writes one temporary file next to `file.path`, complete and on disk; returns its name.
std::string write_temporary(const FileContents& file, const std::string& what) {
    namespace fs = std::filesystem;
    const fs::path target(file.path);
    const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
    std::error_code ec;
    if (!fs::is_directory(dir, ec))
        throw UserError(cannot_write(what, file.path) + "directory '" + dir.string() +
                        "' does not exist; create it or choose another output location");
    std::string temp = (dir / ("." + target.filename().string() + ".tmp.XXXXXX")).string();
    const int fd = ::mkstemp(temp.data());
    if (fd < 0)
        throw UserError(cannot_write(what, file.path) + std::strerror(errno) +
                        " (check that the directory is writable)");
    try {
        write_all(fd, file.bytes.data(), file.bytes.size());
        if (::fsync(fd) != 0) throw std::system_error(errno, std::generic_category());
    } catch (const std::system_error& e) {
        ::close(fd);
        ::unlink(temp.c_str());
        throw UserError(cannot_write(what, file.path) + e.code().message() + " (disk full?)");
    }
    if (::close(fd) != 0) {
        const int err = errno;
        ::unlink(temp.c_str());
        throw UserError(cannot_write(what, file.path) + std::strerror(err));
    }
    // mkstemp creates the file 0600; give it the permissions an ordinary new file would get.
    const mode_t mask = ::umask(0);
    ::umask(mask);
    ::chmod(temp.c_str(), 0666 & ~mask);
    return temp;
}

}  // namespace

void write_files_atomically(const std::vector<FileContents>& files, const std::string& what) {
    std::vector<std::string> temps;
    try {
        for (const FileContents& f : files) temps.push_back(write_temporary(f, what));
        for (size_t i = 0; i < files.size(); ++i)
            if (std::rename(temps[i].c_str(), files[i].path.c_str()) != 0)
                throw UserError(cannot_write(what, files[i].path) + std::strerror(errno));
    } catch (...) {
        for (const auto& t : temps) ::unlink(t.c_str());
        throw;
    }
}

void write_file_atomic(const std::string& path, const std::string& bytes, const std::string& what) {
    write_files_atomically({{path, bytes}}, what);
}

void write_file_atomic(const std::string& path, const std::vector<uint8_t>& bytes, const std::string& what) {
    write_files_atomically({{path, std::string(bytes.begin(), bytes.end())}}, what);
}

}  // namespace espq
