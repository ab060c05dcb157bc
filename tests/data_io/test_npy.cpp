// .npy reading and writing: round trips for every dtype, the committed bench files, and malformed input.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <random>

#include "espq/npy.hpp"
#include "support.hpp"

namespace espq {
namespace {

std::vector<uint8_t> file_bytes(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), {});
}

// A .npy image built by hand: magic, version, header length of the version's width, header text, data.
std::vector<uint8_t> make_npy(int major, const std::string& header, const std::vector<uint8_t>& data) {
    std::vector<uint8_t> out = {0x93, 'N', 'U', 'M', 'P', 'Y', static_cast<uint8_t>(major), 0};
    const size_t len = header.size();
    out.push_back(len & 0xff);
    out.push_back((len >> 8) & 0xff);
    if (major >= 2) {
        out.push_back((len >> 16) & 0xff);
        out.push_back((len >> 24) & 0xff);
    }
    out.insert(out.end(), header.begin(), header.end());
    out.insert(out.end(), data.begin(), data.end());
    return out;
}

template <typename T>
void round_trip(const std::string& descr) {
    std::mt19937 gen(7);
    std::vector<T> values(2 * 3 * 5);
    for (auto& v : values) v = static_cast<T>(static_cast<int>(gen() % 200) - 100 * std::is_signed<T>::value);
    if constexpr (std::is_floating_point<T>::value) values[3] = static_cast<T>(-1.5e-3);
    const Tensor t = Tensor::from<T>({2, 3, 5}, values);
    const std::vector<uint8_t> bytes = serialize_npy(t);

    // Header text as numpy writes it, data 64-byte aligned.
    const std::string header(bytes.begin() + 10, bytes.begin() + 10 + (bytes[8] | bytes[9] << 8));
    EXPECT_EQ(header.rfind("{'descr': '" + descr + "', 'fortran_order': False, 'shape': (2, 3, 5), }", 0), 0u)
        << header;
    EXPECT_EQ(header.back(), '\n');
    EXPECT_EQ((10 + header.size()) % 64, 0u);
    EXPECT_EQ(bytes.size(), 10 + header.size() + values.size() * sizeof(T));
    EXPECT_EQ(std::memcmp(bytes.data() + 10 + header.size(), values.data(), values.size() * sizeof(T)), 0);

    const Tensor back = parse_npy(bytes, "mem");
    EXPECT_EQ(back.dtype(), dtype_of<T>());
    EXPECT_EQ(back.shape(), (Shape{2, 3, 5}));
    EXPECT_EQ(back.to_vector<T>(), values);

    const std::string path = test::temp_dir() + "/rt_" + descr.substr(1) + ".npy";
    save_npy(path, t);
    EXPECT_EQ(file_bytes(path), bytes);
    EXPECT_EQ(load_npy(path).to_vector<T>(), values);
}

TEST(Npy, RoundTripEveryDtype) {
    round_trip<float>("<f4");
    round_trip<double>("<f8");
    round_trip<int8_t>("|i1");
    round_trip<uint8_t>("|u1");
    round_trip<int16_t>("<i2");
    round_trip<uint16_t>("<u2");
    round_trip<int32_t>("<i4");
    round_trip<uint32_t>("<u4");
    round_trip<int64_t>("<i8");
    round_trip<uint64_t>("<u8");
}

TEST(Npy, RoundTripBoolScalarAndEmpty) {
    Tensor b(DType::Bool, {4});
    b.data<bool>()[0] = true;
    b.data<bool>()[3] = true;
    const std::vector<uint8_t> bytes = serialize_npy(b);
    EXPECT_NE(std::string(bytes.begin(), bytes.end()).find("'descr': '|b1'"), std::string::npos);
    EXPECT_NE(std::string(bytes.begin(), bytes.end()).find("'shape': (4,)"), std::string::npos);
    EXPECT_EQ(parse_npy(bytes, "mem").to_vector<bool>(), (std::vector<bool>{true, false, false, true}));

    const Tensor s = Tensor::scalar<float>(2.5f);
    const std::vector<uint8_t> sb = serialize_npy(s);
    EXPECT_NE(std::string(sb.begin(), sb.end()).find("'shape': ()"), std::string::npos);
    const Tensor sback = parse_npy(sb, "mem");
    EXPECT_EQ(sback.rank(), 0);
    EXPECT_EQ(sback.to_vector<float>(), std::vector<float>{2.5f});

    const Tensor e(DType::Float32, {0, 3});
    const Tensor eback = parse_npy(serialize_npy(e), "mem");
    EXPECT_EQ(eback.shape(), (Shape{0, 3}));
}

TEST(Npy, BenchFilesParse) {
    const Tensor calib = load_npy(test::data_path("bench/fashion28/calib.npy"));
    EXPECT_EQ(calib.dtype(), DType::UInt8);
    EXPECT_EQ(calib.shape(), (Shape{256, 28, 28}));
    const std::vector<uint8_t> raw = file_bytes(test::data_path("bench/fashion28/calib.npy"));
    ASSERT_EQ(raw.size(), 128u + 256 * 28 * 28);
    // Spot values straight from the file's bytes (data starts at byte 128).
    for (size_t k : {0ul, 400ul, 784ul * 100 + 391, 256ul * 784 - 1}) EXPECT_EQ(calib.data<uint8_t>()[k], raw[128 + k]);
    // Fashion-MNIST images are mostly dark background with bright items.
    int64_t zeros = 0, max = 0;
    for (uint8_t v : calib.to_vector<uint8_t>()) {
        zeros += v == 0;
        max = std::max<int64_t>(max, v);
    }
    EXPECT_GT(zeros, calib.numel() / 4);
    EXPECT_EQ(max, 255);
    // Writing it back reproduces numpy's file byte for byte (header text and padding included).
    EXPECT_EQ(serialize_npy(calib), raw);

    const Tensor labels = load_npy(test::data_path("bench/fashion28/eval1000_labels.npy"));
    EXPECT_EQ(labels.dtype(), DType::Int64);
    EXPECT_EQ(labels.shape(), (Shape{1000}));
    std::vector<int64_t> counts(10, 0);
    for (int64_t l : labels.to_vector<int64_t>()) {
        ASSERT_GE(l, 0);
        ASSERT_LT(l, 10);
        counts[l]++;
    }
    for (int64_t c : counts) EXPECT_GT(c, 50);  // ten classes, roughly balanced
    EXPECT_EQ(serialize_npy(labels), file_bytes(test::data_path("bench/fashion28/eval1000_labels.npy")));
}

TEST(Npy, ReadsVersions2And3AndOddSpellings) {
    const std::vector<uint8_t> data = {1, 0, 2, 0, 3, 0};  // int16 1, 2, 3
    for (int major : {1, 2, 3}) {
        const Tensor t = parse_npy(make_npy(major, "{'descr': '<i2', 'fortran_order': False, 'shape': (3,), }\n", data), "v");
        EXPECT_EQ(t.to_vector<int16_t>(), (std::vector<int16_t>{1, 2, 3})) << major;
    }
    // Keys in another order, double quotes, no trailing comma, Python 2 long suffix, '=' byte order.
    const Tensor t = parse_npy(make_npy(1, "{\"shape\": (1L, 3L), \"fortran_order\": False, \"descr\": \"=i2\"}", data), "v");
    EXPECT_EQ(t.shape(), (Shape{1, 3}));
    // A big-endian marker on one-byte types is meaningless and accepted.
    EXPECT_EQ(parse_npy(make_npy(1, "{'descr': '>u1', 'fortran_order': False, 'shape': (2,)}", {7, 9}), "v").to_vector<uint8_t>(),
              (std::vector<uint8_t>{7, 9}));
}

void expect_user_error(const std::vector<uint8_t>& bytes, const std::string& needle) {
    try {
        parse_npy(bytes, "bad.npy");
        ADD_FAILURE() << "no error; expected one mentioning '" << needle << "'";
    } catch (const UserError& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find("bad.npy"), std::string::npos) << msg;
        EXPECT_NE(msg.find(needle), std::string::npos) << msg;
    }
}

TEST(Npy, MalformedInputIsAUserError) {
    const std::string good = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
    const std::vector<uint8_t> eight(8, 0);
    expect_user_error({}, "magic");
    expect_user_error({'P', 'K', 3, 4, 0, 0, 0, 0, 0, 0}, "magic");
    expect_user_error(make_npy(4, good, eight), "version 4");
    expect_user_error(make_npy(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }", eight), "Fortran");
    expect_user_error(make_npy(1, "{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", eight), "big-endian");
    expect_user_error(make_npy(1, "{'descr': '|O', 'fortran_order': False, 'shape': (2,), }", eight), "object");
    expect_user_error(make_npy(1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", eight),
                      "structured");
    expect_user_error(make_npy(1, "{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", eight), "unsupported");
    expect_user_error(make_npy(1, "{'descr': '<f2', 'fortran_order': False, 'shape': (4,), }", eight), "unsupported");
    expect_user_error(make_npy(1, "{'descr': '<U5', 'fortran_order': False, 'shape': (1,), }", eight), "unsupported");
    expect_user_error(make_npy(1, "{'descr': '<f4', 'shape': (2,), }", eight), "fortran_order");
    expect_user_error(make_npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, -1), }", eight), "header");
    expect_user_error(make_npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,)", eight), "header");
    expect_user_error(make_npy(1, "{'descr': '<f4, 'fortran_order': False, 'shape': (2,)}", eight), "header");
    expect_user_error(make_npy(1, "[1, 2]", eight), "header");
    // Truncated data, and a shape whose size overflows: no allocation is attempted.
    expect_user_error(make_npy(1, good, {0, 0, 0}), "truncated");
    expect_user_error(make_npy(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (999999999999, 999999999999), }", eight),
                      "truncated");
    // Header longer than the file.
    std::vector<uint8_t> cut = make_npy(1, good, eight);
    cut.resize(30);
    expect_user_error(cut, "truncated");
    cut.resize(9);
    expect_user_error(cut, "truncated");
}

TEST(Npy, EveryTruncationOfARealFileIsAUserError) {
    const std::vector<uint8_t> bytes = serialize_npy(Tensor::from<float>({2, 2}, {1, 2, 3, 4}));
    for (size_t n = 0; n < bytes.size(); ++n) {
        std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + n);
        EXPECT_THROW(parse_npy(cut, "cut.npy"), UserError) << n;
    }
}

TEST(Npy, FileErrorsNameThePath) {
    try {
        load_npy("/nonexistent/dir/x.npy");
        FAIL();
    } catch (const UserError& e) {
        EXPECT_NE(std::string(e.what()).find("/nonexistent/dir/x.npy"), std::string::npos);
    }
    EXPECT_THROW(save_npy("/nonexistent/dir/x.npy", Tensor::scalar<float>(1)), UserError);
    EXPECT_THROW(load_npy(test::temp_dir()), UserError);  // a directory
}

}  // namespace
}  // namespace espq
