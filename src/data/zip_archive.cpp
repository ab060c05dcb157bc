// libzip reads the archive from the bytes in memory (a buffer source), so a truncated or fuzzed archive is
// never more than a bounded byte range. libzip allocates a member's output only as the caller reads, but the
// caller sizes its buffer from the declared size: extract() bounds that size by the archive first.
#include "data/zip_archive.hpp"

#include <zip.h>

#include "espq/error.hpp"

namespace espq::data {
namespace {

// The end-of-central-directory record alone is 22 bytes.
constexpr uint64_t kEndOfCentralDirSize = 22;
// Deflate cannot expand data by more than about 1032:1; a larger declared size means a corrupt archive (and
// would otherwise make us allocate whatever it claims).
constexpr uint64_t kMaxDeflateRatio = 1032;

std::string libzip_message(int code) {
    zip_error_t error;
    zip_error_init_with_code(&error, code);
    std::string message = zip_error_strerror(&error);
    zip_error_fini(&error);
    return message;
}

// Frees a libzip member handle on every path out of extract().
struct OpenMember {
    zip_file_t* file;
    ~OpenMember() {
        if (file) zip_fclose(file);
    }
};

// Opens the archive in `bytes` with libzip; null with `code` set when libzip refuses it.
zip_t* open_archive(const std::vector<uint8_t>& bytes, int flags, int& code) {
    zip_error_t error;
    zip_error_init(&error);
    zip_source_t* source = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
    if (!source) throw InternalError("libzip cannot create a buffer source");
    zip_t* archive = zip_open_from_source(source, flags, &error);
    code = zip_error_code_zip(&error);
    zip_error_fini(&error);
    if (!archive) zip_source_free(source);  // on failure the source stays ours
    return archive;
}

}  // namespace

ZipArchive::ZipArchive(std::vector<uint8_t> bytes, std::string path) : bytes_(std::move(bytes)), path_(std::move(path)) {
    if (bytes_.size() < kEndOfCentralDirSize) malformed("file too short for a zip end record");
    int code = ZIP_ER_OK;
    archive_ = open_archive(bytes_, ZIP_RDONLY, code);
    if (!archive_) {
        if (code == ZIP_ER_NOZIP) malformed("no end-of-central-directory record (truncated, or not a zip file)");
        if (code == ZIP_ER_MEMORY) malformed("its directory claims more entries than memory can hold");
        malformed(libzip_message(code) + " (truncated archive, or a directory entry count or offset out of range)");
    }
    // libzip reads a member's local header only for the length of its name and extra field; ZIP_CHECKCONS
    // compares every local header with its central record. That verdict is kept for extract(), so that a
    // damaged member first gets a message of its own (encrypted, method, size, CRC).
    zip_t* checked = open_archive(bytes_, ZIP_RDONLY | ZIP_CHECKCONS, code);
    local_headers_consistent_ = checked != nullptr;
    if (checked) zip_discard(checked);
    read_central_directory();
}

ZipArchive::~ZipArchive() {
    if (archive_) zip_discard(archive_);
}

void ZipArchive::malformed(const std::string& why) const {
    fail("'" + path_ + "' is not a valid .npz (zip) archive: " + why + "; re-save it with numpy.savez");
}

void ZipArchive::read_central_directory() {
    const zip_int64_t count = zip_get_num_entries(archive_, 0);
    for (zip_int64_t i = 0; i < count; ++i) {
        zip_stat_t st;
        zip_stat_init(&st);
        constexpr zip_uint64_t kNeeded = ZIP_STAT_NAME | ZIP_STAT_SIZE | ZIP_STAT_COMP_SIZE | ZIP_STAT_COMP_METHOD |
                                         ZIP_STAT_ENCRYPTION_METHOD;
        if (zip_stat_index(archive_, static_cast<zip_uint64_t>(i), 0, &st) != 0 || (st.valid & kNeeded) != kNeeded)
            malformed("central directory record " + std::to_string(i) + " is unreadable");
        ZipMember m;
        m.name = st.name;
        m.index = static_cast<uint64_t>(i);
        m.method = st.comp_method;
        m.encrypted = st.encryption_method != ZIP_EM_NONE;
        m.compressed_size = st.comp_size;
        m.uncompressed_size = st.size;
        members_.push_back(std::move(m));
    }
}

std::vector<uint8_t> ZipArchive::extract(const ZipMember& m) const {
    const std::string who = "member '" + m.name + "'";
    if (m.encrypted) fail("'" + path_ + "': " + who + " is encrypted; espq reads unencrypted .npz only");
    if (m.method != ZIP_CM_STORE && m.method != ZIP_CM_DEFLATE)
        fail("'" + path_ + "': " + who + " uses zip compression method " + std::to_string(m.method) +
             "; espq reads stored or deflated members (numpy.savez / numpy.savez_compressed)");
    // Declared sizes are bounded by the archive before the output is allocated (a member may claim 2^40 bytes).
    if (m.compressed_size > bytes_.size()) malformed(who + " data runs past the end of the file (truncated archive?)");
    if (m.method == ZIP_CM_STORE && m.uncompressed_size != m.compressed_size)
        malformed(who + " is stored but its two sizes differ");
    if (m.method == ZIP_CM_DEFLATE && m.uncompressed_size > m.compressed_size * kMaxDeflateRatio + 1024)
        malformed(who + " declares an impossible uncompressed size " + std::to_string(m.uncompressed_size));

    const OpenMember member{zip_fopen_index(archive_, m.index, 0)};
    if (!member.file)
        malformed(who + " cannot be opened: " + zip_error_strerror(zip_get_error(archive_)) +
                  " (damaged local header?)");
    std::vector<uint8_t> out(static_cast<size_t>(m.uncompressed_size));
    // Reading one byte past the declared size reaches the end of the data, where libzip checks the CRC.
    uint8_t extra = 0;
    const zip_int64_t got = zip_fread(member.file, out.data(), out.size());
    const zip_int64_t beyond = got == static_cast<zip_int64_t>(out.size()) ? zip_fread(member.file, &extra, 1) : 0;
    if (got < 0 || beyond < 0) {
        const int code = zip_error_code_zip(zip_file_get_error(member.file));
        if (code == ZIP_ER_CRC) malformed(who + " fails its CRC-32 check (corrupt data)");
        malformed(who + " has corrupt data: " + zip_error_strerror(zip_file_get_error(member.file)));
    }
    if (got != static_cast<zip_int64_t>(out.size()) || beyond != 0)
        malformed(who + " does not hold the " + std::to_string(out.size()) + " bytes its directory declares");
    if (!local_headers_consistent_)
        malformed("a local header is damaged or disagrees with the central directory (bad signature, name, method "
                  "or sizes)");
    return out;
}

}  // namespace espq::data
