// Zip layout (PKWARE APPNOTE): local file headers with data, then the central directory (one record per
// member with the authoritative sizes and offsets), then the end-of-central-directory record, optionally
// preceded by zip64 records. numpy's savez writes members with force_zip64, so the sizes in the local headers
// are 0xFFFFFFFF placeholders; we therefore take sizes from the central directory and use the local header only
// to find where the data starts.
#include "data/zip_archive.hpp"

#include <zlib.h>

#include <algorithm>
#include <limits>

#include "espq/error.hpp"

namespace espq::data {
namespace {

constexpr uint32_t kLocalHeaderSig = 0x04034b50;
constexpr uint32_t kCentralHeaderSig = 0x02014b50;
constexpr uint32_t kEndOfCentralDirSig = 0x06054b50;
constexpr uint32_t kZip64EndOfCentralDirSig = 0x06064b50;
constexpr uint32_t kZip64LocatorSig = 0x07064b50;
constexpr size_t kEndOfCentralDirSize = 22;
constexpr size_t kZip64LocatorSize = 20;
constexpr size_t kZip64EndOfCentralDirSize = 56;
constexpr size_t kCentralHeaderSize = 46;
constexpr size_t kLocalHeaderSize = 30;
constexpr uint16_t kZip64ExtraId = 0x0001;
constexpr uint16_t kFlagEncrypted = 0x0001;
// Deflate cannot expand data by more than about 1032:1; a larger declared size means a corrupt archive (and
// would otherwise make us allocate whatever it claims).
constexpr uint64_t kMaxDeflateRatio = 1032;

// Little-endian reader over a bounded byte range; reading past the end is reported, not undefined.
class Cursor {
public:
    Cursor(const std::vector<uint8_t>& bytes, uint64_t pos) : bytes_(bytes), pos_(pos) {}
    bool has(uint64_t n) const { return pos_ <= bytes_.size() && n <= bytes_.size() - pos_; }
    uint64_t uint(int nbytes) {
        uint64_t v = 0;
        for (int i = nbytes - 1; i >= 0; --i) v = (v << 8) | bytes_[pos_ + i];
        pos_ += nbytes;
        return v;
    }
    uint16_t u16() { return static_cast<uint16_t>(uint(2)); }
    uint32_t u32() { return static_cast<uint32_t>(uint(4)); }
    uint64_t u64() { return uint(8); }
    void skip(uint64_t n) { pos_ += n; }
    uint64_t pos() const { return pos_; }

private:
    const std::vector<uint8_t>& bytes_;
    uint64_t pos_;
};

struct InflateStream {
    z_stream zs{};
    bool initialised = false;
    ~InflateStream() {
        if (initialised) inflateEnd(&zs);
    }
};

}  // namespace

ZipArchive::ZipArchive(std::vector<uint8_t> bytes, std::string path) : bytes_(std::move(bytes)), path_(std::move(path)) {
    read_central_directory();
}

void ZipArchive::malformed(const std::string& why) const {
    fail("'" + path_ + "' is not a valid .npz (zip) archive: " + why + "; re-save it with numpy.savez");
}

void ZipArchive::read_central_directory() {
    if (bytes_.size() < kEndOfCentralDirSize) malformed("file too short for a zip end record");
    // The end record sits at the very end, followed only by an archive comment of at most 65535 bytes.
    const uint64_t last = bytes_.size() - kEndOfCentralDirSize;
    const uint64_t first = last > 0xffff ? last - 0xffff : 0;
    uint64_t eocd = 0;
    bool found = false;
    for (uint64_t pos = last + 1; pos-- > first;) {
        Cursor c(bytes_, pos);
        if (c.u32() != kEndOfCentralDirSig) continue;
        c.skip(16);
        const uint16_t comment_len = c.u16();
        if (pos + kEndOfCentralDirSize + comment_len <= bytes_.size()) {
            eocd = pos;
            found = true;
            break;
        }
    }
    if (!found) malformed("no end-of-central-directory record (truncated or not a zip file)");

    Cursor end(bytes_, eocd + 4);
    const uint16_t disk = end.u16();
    const uint16_t cd_disk = end.u16();
    end.u16();  // entries on this disk
    uint64_t entries = end.u16();
    uint64_t cd_size = end.u32();
    uint64_t cd_offset = end.u32();
    if (disk != 0 || cd_disk != 0) malformed("multi-volume archives are not supported");

    // Zip64: a locator just before the end record points at the zip64 end record with 64-bit fields.
    if (eocd >= kZip64LocatorSize) {
        Cursor loc(bytes_, eocd - kZip64LocatorSize);
        if (loc.u32() == kZip64LocatorSig) {
            loc.u32();  // disk with the zip64 end record
            const uint64_t z64 = loc.u64();
            Cursor rec(bytes_, z64);
            if (!rec.has(kZip64EndOfCentralDirSize)) malformed("zip64 end record out of range");
            if (rec.u32() != kZip64EndOfCentralDirSig) malformed("bad zip64 end record signature");
            rec.skip(8 + 2 + 2 + 4 + 4 + 8);  // size, versions, disk numbers, entries on this disk
            entries = rec.u64();
            cd_size = rec.u64();
            cd_offset = rec.u64();
        }
    }
    if (cd_offset > bytes_.size() || cd_size > bytes_.size() - cd_offset)
        malformed("central directory out of range (truncated file?)");
    // Each record is at least 46 bytes: this bounds the loop below for absurd entry counts.
    if (entries > cd_size / kCentralHeaderSize) malformed("central directory entry count exceeds its size");

    Cursor c(bytes_, cd_offset);
    const uint64_t cd_end = cd_offset + cd_size;
    members_.reserve(static_cast<size_t>(entries));
    for (uint64_t i = 0; i < entries; ++i) {
        if (!c.has(kCentralHeaderSize) || c.pos() + kCentralHeaderSize > cd_end)
            malformed("central directory record " + std::to_string(i) + " out of range");
        if (c.u32() != kCentralHeaderSig) malformed("bad central directory signature at record " + std::to_string(i));
        ZipMember m;
        c.skip(4);  // versions
        m.flags = c.u16();
        m.method = c.u16();
        c.skip(4);  // time, date
        m.crc32 = c.u32();
        m.compressed_size = c.u32();
        m.uncompressed_size = c.u32();
        const uint16_t name_len = c.u16();
        const uint16_t extra_len = c.u16();
        const uint16_t comment_len = c.u16();
        c.skip(2 + 2 + 4);  // disk start, internal and external attributes
        m.local_header_offset = c.u32();
        if (!c.has(uint64_t{name_len} + extra_len + comment_len) ||
            c.pos() + name_len + extra_len + comment_len > cd_end)
            malformed("central directory record " + std::to_string(i) + " runs past the directory");
        m.name.assign(reinterpret_cast<const char*>(bytes_.data() + c.pos()), name_len);
        c.skip(name_len);

        // Zip64 extra field: 64-bit values for exactly those fields that hold 0xFFFFFFFF, in this order.
        const uint64_t extra_end = c.pos() + extra_len;
        while (c.pos() + 4 <= extra_end) {
            const uint16_t id = c.u16();
            const uint16_t len = c.u16();
            if (c.pos() + len > extra_end) malformed("extra field of '" + m.name + "' runs past its record");
            const uint64_t field_end = c.pos() + len;
            if (id == kZip64ExtraId) {
                auto take = [&](uint64_t& field) {
                    if (field != 0xffffffffu) return;
                    if (c.pos() + 8 > field_end) malformed("zip64 extra field of '" + m.name + "' too short");
                    field = c.u64();
                };
                take(m.uncompressed_size);
                take(m.compressed_size);
                take(m.local_header_offset);
            }
            c.skip(field_end - c.pos());
        }
        c.skip(extra_end - c.pos());
        c.skip(comment_len);
        members_.push_back(std::move(m));
    }
}

std::vector<uint8_t> ZipArchive::extract(const ZipMember& m) const {
    const std::string who = "member '" + m.name + "'";
    if (m.flags & kFlagEncrypted) fail("'" + path_ + "': " + who + " is encrypted; espq reads unencrypted .npz only");
    Cursor local(bytes_, m.local_header_offset);
    if (!local.has(kLocalHeaderSize)) malformed(who + " has a local header offset past the end of the file");
    if (local.u32() != kLocalHeaderSig) malformed(who + " has a bad local header signature");
    local.skip(22);  // version, flags, method, time, date, crc, sizes (placeholders in numpy's zip64 headers)
    const uint16_t name_len = local.u16();
    const uint16_t extra_len = local.u16();
    const uint64_t data_offset = local.pos() + name_len + extra_len;
    if (data_offset > bytes_.size() || m.compressed_size > bytes_.size() - data_offset)
        malformed(who + " data runs past the end of the file (truncated archive?)");
    const uint8_t* src = bytes_.data() + data_offset;

    std::vector<uint8_t> out;
    if (m.method == 0) {
        if (m.uncompressed_size != m.compressed_size) malformed(who + " is stored but its two sizes differ");
        out.assign(src, src + m.compressed_size);
    } else if (m.method == 8) {
        if (m.uncompressed_size > m.compressed_size * kMaxDeflateRatio + 1024)
            malformed(who + " declares an impossible uncompressed size " + std::to_string(m.uncompressed_size));
        out.resize(static_cast<size_t>(m.uncompressed_size));
        InflateStream stream;
        if (inflateInit2(&stream.zs, -MAX_WBITS) != Z_OK) throw InternalError("zlib inflateInit2 failed");
        stream.initialised = true;
        uint64_t in_left = m.compressed_size, out_left = m.uncompressed_size;
        stream.zs.next_in = const_cast<Bytef*>(src);
        uint8_t no_output = 0;  // zlib rejects a null next_out even when nothing is to be written
        stream.zs.next_out = out.empty() ? &no_output : out.data();
        constexpr uint64_t kChunk = std::numeric_limits<uInt>::max();  // avail_in/out are 32-bit
        int rc = Z_OK;
        while (rc == Z_OK) {
            const uInt in_chunk = static_cast<uInt>(std::min(in_left, kChunk));
            const uInt out_chunk = static_cast<uInt>(std::min(out_left, kChunk));
            stream.zs.avail_in = in_chunk;
            stream.zs.avail_out = out_chunk;
            rc = inflate(&stream.zs, Z_NO_FLUSH);
            in_left -= in_chunk - stream.zs.avail_in;
            out_left -= out_chunk - stream.zs.avail_out;
            if (rc == Z_BUF_ERROR && in_left > 0 && out_left > 0) rc = Z_OK;  // only a chunk boundary
        }
        if (rc != Z_STREAM_END)
            malformed(who + " has corrupt deflate data" + (stream.zs.msg ? std::string(" (") + stream.zs.msg + ")" : "") +
                      (out_left == 0 ? " or more data than its declared size" : ""));
        if (out_left != 0) malformed(who + " inflates to fewer bytes than its declared size");
    } else {
        fail("'" + path_ + "': " + who + " uses zip compression method " + std::to_string(m.method) +
             "; espq reads stored or deflated members (numpy.savez / numpy.savez_compressed)");
    }
    const uLong crc = ::crc32_z(::crc32(0L, Z_NULL, 0), out.data(), out.size());
    if (crc != m.crc32) malformed(who + " fails its CRC-32 check (corrupt data)");
    return out;
}

}  // namespace espq::data
