// .npz reading: archives built here (stored, deflated, numpy's zip64 style), real data inside them, and
// malformed archives, which must give a UserError and never crash.
#include <gtest/gtest.h>
#include <zlib.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "data/zip_archive.hpp"
#include "espq/dataset.hpp"
#include "espq/npy.hpp"
#include "support.hpp"

namespace espq {
namespace {

struct Member {
    std::string name;
    std::vector<uint8_t> data;
    bool deflate = false;
    uint16_t flags = 0;
};

void put16(std::vector<uint8_t>& out, uint32_t v) {
    out.push_back(v & 0xff);
    out.push_back((v >> 8) & 0xff);
}
void put32(std::vector<uint8_t>& out, uint32_t v) {
    put16(out, v & 0xffff);
    put16(out, v >> 16);
}
void put64(std::vector<uint8_t>& out, uint64_t v) {
    put32(out, static_cast<uint32_t>(v));
    put32(out, static_cast<uint32_t>(v >> 32));
}

std::vector<uint8_t> raw_deflate(const std::vector<uint8_t>& in) {
    z_stream zs{};
    EXPECT_EQ(deflateInit2(&zs, 6, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
    std::vector<uint8_t> out(deflateBound(&zs, in.size()));
    zs.next_in = const_cast<Bytef*>(in.data());
    zs.avail_in = static_cast<uInt>(in.size());
    zs.next_out = out.data();
    zs.avail_out = static_cast<uInt>(out.size());
    EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    return out;
}

// A zip archive written field by field after the PKWARE APPNOTE. `zip64` mimics what numpy.savez produces
// (force_zip64: 0xFFFFFFFF placeholders and a zip64 extra field in every local header); with
// `zip64_directory` it also uses zip64 central records and the zip64 end record (what numpy writes for members
// or archives beyond 4 GiB), so every zip64 path of the reader is exercised.
std::vector<uint8_t> make_zip(const std::vector<Member>& members, bool zip64 = false, bool zip64_directory = true) {
    const bool zip64_central = zip64 && zip64_directory;
    std::vector<uint8_t> out, central;
    for (const Member& m : members) {
        const std::vector<uint8_t> payload = m.deflate ? raw_deflate(m.data) : m.data;
        const uint32_t crc = crc32(0, m.data.data(), static_cast<uInt>(m.data.size()));
        const uint32_t offset = static_cast<uint32_t>(out.size());
        put32(out, 0x04034b50);
        put16(out, zip64 ? 45 : 20);
        put16(out, m.flags);
        put16(out, m.deflate ? 8 : 0);
        put16(out, 0);
        put16(out, 0x21);
        put32(out, crc);
        put32(out, zip64 ? 0xffffffffu : payload.size());
        put32(out, zip64 ? 0xffffffffu : m.data.size());
        put16(out, m.name.size());
        put16(out, zip64 ? 20 : 0);
        out.insert(out.end(), m.name.begin(), m.name.end());
        if (zip64) {
            put16(out, 1);
            put16(out, 16);
            put64(out, m.data.size());
            put64(out, payload.size());
        }
        out.insert(out.end(), payload.begin(), payload.end());

        put32(central, 0x02014b50);
        put16(central, 20);
        put16(central, zip64 ? 45 : 20);  // version needed: as in the local header (Python writes it so)
        put16(central, m.flags);
        put16(central, m.deflate ? 8 : 0);
        put16(central, 0);
        put16(central, 0x21);
        put32(central, crc);
        put32(central, zip64_central ? 0xffffffffu : payload.size());
        put32(central, zip64_central ? 0xffffffffu : m.data.size());
        put16(central, m.name.size());
        put16(central, zip64_central ? 28 : 0);
        put16(central, 0);
        put16(central, 0);
        put16(central, 0);
        put32(central, 0);
        put32(central, zip64_central ? 0xffffffffu : offset);
        central.insert(central.end(), m.name.begin(), m.name.end());
        if (zip64_central) {  // usize, csize, offset: in this order, as the fields holding 0xFFFFFFFF
            put16(central, 1);
            put16(central, 24);
            put64(central, m.data.size());
            put64(central, payload.size());
            put64(central, offset);
        }
    }
    const uint64_t cd_offset = out.size();
    out.insert(out.end(), central.begin(), central.end());
    if (zip64_central) {
        const uint64_t z64_offset = out.size();
        put32(out, 0x06064b50);
        put64(out, 44);
        put16(out, 45);
        put16(out, 45);
        put32(out, 0);
        put32(out, 0);
        put64(out, members.size());
        put64(out, members.size());
        put64(out, central.size());
        put64(out, cd_offset);
        put32(out, 0x07064b50);
        put32(out, 0);
        put64(out, z64_offset);
        put32(out, 1);
    }
    put32(out, 0x06054b50);
    put16(out, 0);
    put16(out, 0);
    put16(out, zip64_central ? 0xffff : members.size());
    put16(out, zip64_central ? 0xffff : members.size());
    put32(out, zip64_central ? 0xffffffffu : central.size());
    put32(out, zip64_central ? 0xffffffffu : cd_offset);
    put16(out, 0);
    return out;
}

std::string write_file(const std::string& name, const std::vector<uint8_t>& bytes) {
    const std::string path = test::temp_dir() + "/" + name;
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    return path;
}

const Tensor kA = Tensor::from<float>({2, 3}, {1.5f, -2, 3, 4, 5e-3f, 6});
const Tensor kB = Tensor::from<uint8_t>({4}, {0, 7, 128, 255});

void expect_ab(const std::vector<std::pair<std::string, Tensor>>& arrays) {
    ASSERT_EQ(arrays.size(), 2u);
    EXPECT_EQ(arrays[0].first, "a");
    EXPECT_EQ(arrays[0].second.shape(), kA.shape());
    EXPECT_EQ(arrays[0].second.to_vector<float>(), kA.to_vector<float>());
    EXPECT_EQ(arrays[1].first, "b");
    EXPECT_EQ(arrays[1].second.to_vector<uint8_t>(), kB.to_vector<uint8_t>());
}

TEST(Npz, StoredDeflatedAndZip64) {
    for (bool deflate : {false, true})
        for (int zip64 : {0, 1, 2}) {  // plain; numpy's (zip64 local headers only); zip64 everywhere
            const std::vector<uint8_t> zip = make_zip(
                {{"a.npy", serialize_npy(kA), deflate}, {"b.npy", serialize_npy(kB), deflate}}, zip64 > 0, zip64 == 2);
            const std::string path = write_file("ab_" + std::to_string(deflate) + std::to_string(zip64) + ".npz", zip);
            SCOPED_TRACE(path);
            expect_ab(load_npz(path));
            EXPECT_EQ(load_npz_array(path).to_vector<float>(), kA.to_vector<float>());
            EXPECT_EQ(load_npz_array(path, "b").to_vector<uint8_t>(), kB.to_vector<uint8_t>());
            EXPECT_EQ(load_npz_array(path, "b.npy").to_vector<uint8_t>(), kB.to_vector<uint8_t>());
        }
}

TEST(Npz, ArchivesWrittenByPythonZipfile) {
    // Written by Python's zipfile exactly as numpy.savez(_compressed) calls it (tests/data/npz/make_fixtures.py):
    // an independent writer, not this file's make_zip.
    for (const char* name : {"npz/python_savez.npz", "npz/python_savez_compressed.npz"}) {
        SCOPED_TRACE(name);
        expect_ab(load_npz(test::data_path(name)));
    }
}

TEST(Npz, DeflatedRealData) {
    // 200 KB of Fashion-MNIST pixels through zlib: the member must come back bit-identical.
    const std::string calib_path = test::data_path("bench/fashion28/calib.npy");
    const Tensor calib = load_npy(calib_path);
    const std::vector<uint8_t> npy = serialize_npy(calib);
    const std::vector<uint8_t> compressed = raw_deflate(npy);
    EXPECT_LT(compressed.size(), npy.size() * 3 / 4);
    const std::string path = write_file("calib.npz", make_zip({{"x.npy", npy, true}, {"y.npy", serialize_npy(kB), false}}, true));
    const Tensor back = load_npz_array(path, "x");
    EXPECT_EQ(back.shape(), calib.shape());
    EXPECT_EQ(back.to_vector<uint8_t>(), calib.to_vector<uint8_t>());

    // The same archive as a Dataset source: first array, and a named one.
    const ModelInput input{"input", {1, 1, 28, 28}};
    const Dataset first = Dataset::open(path, input);
    EXPECT_EQ(first.size(), 256u);
    const Tensor s = first.sample(5);
    for (int64_t k = 0; k < 784; ++k) ASSERT_EQ(s.data<float>()[k], calib.data<uint8_t>()[5 * 784 + k]);
    EXPECT_EQ(first.describe()["kind"], "npz");
    EXPECT_THROW(Dataset::open(path + ":y", input), UserError);  // y is [4]: not images
    try {
        Dataset::open(path + ":nope", input);
        FAIL();
    } catch (const UserError& e) {
        EXPECT_NE(std::string(e.what()).find("has no array 'nope' (it has: x, y)"), std::string::npos) << e.what();
    }
}

TEST(Npz, SkipsOtherMembersAndFindsNamedOnes) {
    const std::string path = write_file(
        "mixed.npz", make_zip({{"notes.txt", {'h', 'i'}}, {"dir/", {}}, {"a.npy", serialize_npy(kA)}, {"b.npy", serialize_npy(kB), true}}));
    expect_ab(load_npz(path));
    EXPECT_EQ(load_npz_array(path).shape(), kA.shape());
    try {
        load_npz_array(path, "c");
        FAIL();
    } catch (const UserError& e) {
        EXPECT_NE(std::string(e.what()).find("mixed.npz"), std::string::npos);
        EXPECT_NE(std::string(e.what()).find("(it has: a, b)"), std::string::npos) << e.what();
    }
    const std::string empty = write_file("empty.npz", make_zip({}));
    EXPECT_TRUE(load_npz(empty).empty());
    EXPECT_THROW(load_npz_array(empty), UserError);
}

TEST(Npz, MemberNamesWithAPath) {
    // numpy names the array after the member without ".npy", folders included.
    const std::string path = write_file(
        "nested.npz", make_zip({{"train/x.npy", serialize_npy(kA), true}, {"train/y.npy", serialize_npy(kB)}}, true));
    const auto arrays = load_npz(path);
    ASSERT_EQ(arrays.size(), 2u);
    EXPECT_EQ(arrays[0].first, "train/x");
    EXPECT_EQ(arrays[1].first, "train/y");
    EXPECT_EQ(load_npz_array(path, "train/y").to_vector<uint8_t>(), kB.to_vector<uint8_t>());
    EXPECT_EQ(load_npz_array(path, "train/x.npy").to_vector<float>(), kA.to_vector<float>());
    EXPECT_THROW(load_npz_array(path, "x"), UserError);
}

void expect_user_error(const std::vector<uint8_t>& zip, const std::string& needle) {
    const std::string path = write_file("bad.npz", zip);
    try {
        load_npz(path);
        ADD_FAILURE() << "no error; expected one mentioning '" << needle << "'";
    } catch (const UserError& e) {
        EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << "expected '" << needle << "' in: " << e.what();
    }
}

size_t find(const std::vector<uint8_t>& v, uint32_t sig, size_t from = 0) {
    for (size_t i = from; i + 4 <= v.size(); ++i)
        if ((v[i] | v[i + 1] << 8 | v[i + 2] << 16 | static_cast<uint32_t>(v[i + 3]) << 24) == sig) return i;
    return std::string::npos;
}

TEST(Npz, MalformedArchivesAreUserErrors) {
    const std::vector<uint8_t> good = make_zip({{"a.npy", serialize_npy(kA), true}});
    expect_user_error({}, "too short");
    expect_user_error(std::vector<uint8_t>(100, 'x'), "end-of-central-directory");
    expect_user_error(serialize_npy(kA), "end-of-central-directory");  // a .npy renamed .npz

    std::vector<uint8_t> z = good;
    z[z.size() - 6] = 0xff;  // central directory offset far past the end
    expect_user_error(z, "out of range");

    z = good;
    z[z.size() - 12] = 0xff;  // entry count larger than the directory can hold
    z[z.size() - 11] = 0xff;
    z[z.size() - 14] = 0xff;
    z[z.size() - 13] = 0xff;
    expect_user_error(z, "entry count");

    z = good;
    z[find(z, 0x02014b50) + 16] ^= 0xff;  // CRC in the central directory
    expect_user_error(z, "CRC");

    z = good;
    z[find(z, 0x02014b50) + 10] = 12;  // bzip2
    expect_user_error(z, "compression method 12");

    z = good;
    z[find(z, 0x02014b50) + 8] |= 1;  // encrypted
    expect_user_error(z, "encrypted");

    z = good;
    z[0] = 'X';  // local header signature
    expect_user_error(z, "local header");

    z = good;
    z[find(z, 0x02014b50) + 24] = 0xff;  // uncompressed size >> 1032 x compressed size
    z[find(z, 0x02014b50) + 25] = 0xff;
    z[find(z, 0x02014b50) + 26] = 0xff;
    expect_user_error(z, "impossible");

    z = good;
    for (size_t i = 40; i < 60; ++i) z[i] ^= 0x5a;  // garbage in the deflate stream
    expect_user_error(z, "a.npy");

    z = make_zip({{"a.npy", serialize_npy(kA), false}});
    z[40] ^= 1;  // a stored byte flipped: the CRC catches it
    expect_user_error(z, "CRC");

    // Hostile sizes in zip64 records: refused before anything of that size is allocated.
    const uint64_t kHuge = uint64_t{1} << 40;
    auto zip64_with_sizes = [](bool deflate, uint64_t uncompressed, uint64_t compressed) {
        std::vector<uint8_t> z = make_zip({{"a.npy", serialize_npy(kA), deflate}}, true);
        const size_t extra = find(z, 0x02014b50) + 46 + 5 + 4;  // record, name "a.npy", extra id and length
        for (int k = 0; k < 8; ++k) {
            z[extra + k] = static_cast<uint8_t>(uncompressed >> (8 * k));
            z[extra + 8 + k] = static_cast<uint8_t>(compressed >> (8 * k));
        }
        return z;
    };
    expect_user_error(zip64_with_sizes(false, kHuge, kHuge), "a.npy");
    expect_user_error(zip64_with_sizes(true, kHuge, 100), "impossible");
    z = make_zip({{"a.npy", serialize_npy(kA), true}}, true);
    const size_t z64_end = find(z, 0x06064b50);
    for (size_t field : {24, 32})  // entries on this disk, total entries: 2^40 each
        for (int k = 0; k < 8; ++k) z[z64_end + field + k] = static_cast<uint8_t>(kHuge >> (8 * k));
    expect_user_error(z, "bad.npz");

    // A member whose bytes are fine but are not a .npy.
    expect_user_error(make_zip({{"a.npy", {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}}}), "bad.npz:a");
}

TEST(Npz, TruncationsAndRandomCorruptionNeverCrash) {
    const std::vector<uint8_t> good = make_zip(
        {{"a.npy", serialize_npy(kA), true}, {"b.npy", serialize_npy(kB), false}}, true);
    // In memory (the file layer is covered above): the archive reader, then every member through parse_npy.
    auto attempt = [&](const std::vector<uint8_t>& bytes) {
        try {
            const data::ZipArchive zip(bytes, "fuzz.npz");
            for (const data::ZipMember& m : zip.members()) parse_npy(zip.extract(m), m.name);
            return true;
        } catch (const UserError&) {
            return false;
        }  // any other exception fails the test
    };
    EXPECT_TRUE(attempt(good));
    for (size_t n = 0; n < good.size(); ++n) EXPECT_FALSE(attempt({good.begin(), good.begin() + n})) << n;
    std::mt19937 gen(1234);
    int loaded = 0;
    for (int round = 0; round < 20000; ++round) {
        std::vector<uint8_t> z = good;
        const int flips = 1 + gen() % 4;
        for (int f = 0; f < flips; ++f) z[gen() % z.size()] ^= static_cast<uint8_t>(1 + gen() % 255);
        loaded += attempt(z);
    }
    EXPECT_LT(loaded, 20000);  // most corruptions are detected (flips in ignored fields are harmless)
}

}  // namespace
}  // namespace espq
