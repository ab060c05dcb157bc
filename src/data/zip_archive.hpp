// Zip archives as numpy writes them (.npz), read from memory through libzip (Debian libzip-dev), which parses
// both directories (including zip64), inflates and checks CRCs. This wrapper adds what hostile input needs:
// declared sizes are checked against the archive before anything is allocated, and every failure is a
// one-line UserError naming the file and the fix.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

struct zip;  // libzip's archive handle (zip_t); its header stays out of this one

namespace espq::data {

struct ZipMember {
    std::string name;
    uint64_t index = 0;   // libzip's entry index
    uint16_t method = 0;  // 0 stored, 8 deflated
    bool encrypted = false;
    uint64_t compressed_size = 0;
    uint64_t uncompressed_size = 0;
};

class ZipArchive {
public:
    // `path` is only used in messages.
    ZipArchive(std::vector<uint8_t> bytes, std::string path);
    ~ZipArchive();
    ZipArchive(const ZipArchive&) = delete;
    ZipArchive& operator=(const ZipArchive&) = delete;

    const std::vector<ZipMember>& members() const { return members_; }
    // The decompressed, CRC-checked bytes of one member of this archive.
    std::vector<uint8_t> extract(const ZipMember& member) const;

private:
    [[noreturn]] void malformed(const std::string& why) const;
    void read_central_directory();

    std::vector<uint8_t> bytes_;  // libzip reads from here: it must outlive archive_
    std::string path_;
    zip* archive_ = nullptr;
    bool local_headers_consistent_ = true;
    std::vector<ZipMember> members_;
};

}  // namespace espq::data
