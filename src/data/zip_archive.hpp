// A minimal reader for zip archives as numpy writes them (.npz): central directory (including zip64
// records), members stored or deflated, CRC-checked. Every offset and size is bounds-checked, so a malformed
// archive gives a UserError naming the file, never a crash or a huge allocation.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace espq::data {

struct ZipMember {
    std::string name;
    uint16_t flags = 0;
    uint16_t method = 0;  // 0 stored, 8 deflated
    uint32_t crc32 = 0;
    uint64_t compressed_size = 0;
    uint64_t uncompressed_size = 0;
    uint64_t local_header_offset = 0;
};

class ZipArchive {
public:
    // `path` is only used in messages.
    ZipArchive(std::vector<uint8_t> bytes, std::string path);

    const std::vector<ZipMember>& members() const { return members_; }
    std::vector<uint8_t> extract(const ZipMember& member) const;

private:
    [[noreturn]] void malformed(const std::string& why) const;
    void read_central_directory();

    std::vector<uint8_t> bytes_;
    std::string path_;
    std::vector<ZipMember> members_;
};

}  // namespace espq::data
