// NumPy .npy reading and writing.
//
// Format (numpy/lib/format.py, versions 1.0-3.0): the magic "\x93NUMPY", a major and minor version byte, the
// header length (uint16 for 1.0, uint32 for 2.0 and 3.0), then a Python dict literal such as
// {'descr': '<f4', 'fortran_order': False, 'shape': (256, 28, 28), } padded with spaces and a newline so
// that the data starts on a 64-byte boundary, then the raw array bytes.
#include <algorithm>
#include <cctype>
#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <variant>

#include "data/file_bytes.hpp"
#include "espq/atomic_files.hpp"
#include "espq/npy.hpp"

namespace espq {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicLen = 6;
constexpr size_t kAlign = 64;
// numpy leaves room for the first dimension to grow to this many digits, so arrays can be appended in place.
constexpr size_t kGrowthAxisMaxDigits = 21;

// One value of the header dict: a string, a boolean, a tuple of integers, or something we do not model
// (a list, for structured dtypes).
struct HeaderValue {
    std::variant<std::string, bool, std::vector<int64_t>> v;
    bool unsupported = false;
};

class HeaderParser {
public:
    HeaderParser(const std::string& text, const std::string& what) : s_(text), what_(what) {}

    std::map<std::string, HeaderValue> parse_dict() {
        std::map<std::string, HeaderValue> dict;
        expect('{');
        while (true) {
            skip_space();
            if (peek() == '}') { ++pos_; break; }
            std::string key = parse_string();
            expect(':');
            dict[key] = parse_value();
            skip_space();
            if (peek() == ',') { ++pos_; continue; }
            expect('}');
            break;
        }
        return dict;
    }

private:
    [[noreturn]] void malformed(const std::string& why) const {
        fail("'" + what_ + "' is not a valid .npy file: malformed header (" + why + " at offset " +
             std::to_string(pos_) + "); re-save it with numpy.save");
    }
    char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
    void skip_space() {
        while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
    }
    void expect(char c) {
        skip_space();
        if (peek() != c) malformed(std::string("expected '") + c + "'");
        ++pos_;
    }
    std::string parse_string() {
        skip_space();
        const char quote = peek();
        if (quote != '\'' && quote != '"') malformed("expected a quoted string");
        ++pos_;
        std::string out;
        while (pos_ < s_.size() && s_[pos_] != quote) {
            if (s_[pos_] == '\\') malformed("escape sequences are not supported");
            out += s_[pos_++];
        }
        if (pos_ >= s_.size()) malformed("unterminated string");
        ++pos_;
        return out;
    }
    int64_t parse_int() {
        skip_space();
        size_t start = pos_;
        while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) ++pos_;
        if (pos_ == start) malformed("expected a non-negative integer");
        if (pos_ - start > 18) malformed("dimension too large");
        int64_t v = std::stoll(s_.substr(start, pos_ - start));
        if (peek() == 'L') ++pos_;  // Python 2 long suffix, seen in old files
        return v;
    }
    HeaderValue parse_value() {
        skip_space();
        const char c = peek();
        HeaderValue out;
        if (c == '\'' || c == '"') {
            out.v = parse_string();
        } else if (s_.compare(pos_, 4, "True") == 0) {
            pos_ += 4;
            out.v = true;
        } else if (s_.compare(pos_, 5, "False") == 0) {
            pos_ += 5;
            out.v = false;
        } else if (c == '(') {
            ++pos_;
            std::vector<int64_t> dims;
            while (true) {
                skip_space();
                if (peek() == ')') { ++pos_; break; }
                dims.push_back(parse_int());
                skip_space();
                if (peek() == ',') { ++pos_; continue; }
                expect(')');
                break;
            }
            out.v = dims;
        } else if (c == '[') {
            skip_bracketed();
            out.unsupported = true;
        } else {
            malformed("unexpected value");
        }
        return out;
    }
    // Skips a (possibly nested) [...] literal: structured dtype descriptions, which we reject later.
    void skip_bracketed() {
        int depth = 0;
        while (pos_ < s_.size()) {
            const char c = s_[pos_];
            if (c == '\'' || c == '"') { parse_string(); continue; }
            ++pos_;
            if (c == '[' || c == '(') ++depth;
            if ((c == ']' || c == ')') && --depth == 0) return;
        }
        malformed("unterminated list");
    }

    const std::string& s_;
    const std::string& what_;
    size_t pos_ = 0;
};

struct DTypeCode {
    char kind;
    size_t size;
    DType dtype;
};
constexpr DTypeCode kDTypeCodes[] = {
    {'f', 4, DType::Float32}, {'f', 8, DType::Float64}, {'i', 1, DType::Int8},   {'u', 1, DType::UInt8},
    {'i', 2, DType::Int16},   {'u', 2, DType::UInt16},  {'i', 4, DType::Int32},  {'u', 4, DType::UInt32},
    {'i', 8, DType::Int64},   {'u', 8, DType::UInt64},  {'b', 1, DType::Bool},
};

DType dtype_from_descr(const std::string& descr, const std::string& what) {
    const std::string supported = "supported: f4 f8 i1 u1 i2 u2 i4 u4 i8 u8 b1";
    if (descr.size() < 2) fail("'" + what + "': unsupported .npy dtype '" + descr + "' (" + supported + ")");
    const char order = descr[0];
    const char kind = descr[1];
    if (kind == 'O')
        fail("'" + what + "' holds an object array (pickled Python objects), which espq cannot read; save a " +
             "numeric array (e.g. arr.astype(np.float32)) instead");
    if (order != '<' && order != '>' && order != '|' && order != '=')
        fail("'" + what + "': unsupported .npy dtype '" + descr + "' (" + supported + ")");
    const std::string size_text = descr.substr(2);
    size_t size = 0;
    if (size_text.empty() || size_text.size() > 2 ||
        !std::all_of(size_text.begin(), size_text.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
        fail("'" + what + "': unsupported .npy dtype '" + descr + "' (" + supported + ")");
    size = static_cast<size_t>(std::stoi(size_text));
    for (const DTypeCode& code : kDTypeCodes) {
        if (code.kind != kind || code.size != size) continue;
        if (order == '>' && size > 1)
            fail("'" + what + "' is big-endian (dtype '" + descr + "'); espq reads little-endian arrays only: " +
                 "save arr.astype(arr.dtype.newbyteorder('<'))");
        return code.dtype;
    }
    fail("'" + what + "': unsupported .npy dtype '" + descr + "' (" + supported + ")");
}

std::string descr_of(DType t) {
    for (const DTypeCode& code : kDTypeCodes)
        if (code.dtype == t) return std::string(code.size == 1 ? "|" : "<") + code.kind + std::to_string(code.size);
    throw InternalError(std::string("serialize_npy: no .npy dtype for ") + dtype_name(t));
}

uint32_t read_le(const uint8_t* p, int nbytes) {
    uint32_t v = 0;
    for (int i = nbytes - 1; i >= 0; --i) v = (v << 8) | p[i];
    return v;
}

}  // namespace

Tensor parse_npy(const std::vector<uint8_t>& bytes, const std::string& what) {
    if (bytes.size() < kMagicLen + 2 || std::memcmp(bytes.data(), kMagic, kMagicLen) != 0)
        fail("'" + what + "' is not a .npy file (missing the \\x93NUMPY magic); save arrays with numpy.save");
    const int major = bytes[6];
    if (major < 1 || major > 3)
        fail("'" + what + "': unsupported .npy format version " + std::to_string(major) + "." +
             std::to_string(bytes[7]) + " (espq reads 1.0 to 3.0)");
    const size_t len_bytes = major == 1 ? 2 : 4;
    const size_t prefix = kMagicLen + 2 + len_bytes;
    if (bytes.size() < prefix) fail("'" + what + "' is truncated: the .npy header is incomplete");
    const size_t header_len = read_le(bytes.data() + kMagicLen + 2, static_cast<int>(len_bytes));
    if (header_len > bytes.size() - prefix)
        fail("'" + what + "' is truncated: the .npy header claims " + std::to_string(header_len) +
             " bytes but the file has " + std::to_string(bytes.size() - prefix) + " after the prefix");
    const std::string header(reinterpret_cast<const char*>(bytes.data() + prefix), header_len);

    const auto dict = HeaderParser(header, what).parse_dict();
    auto get = [&](const char* key) -> const HeaderValue& {
        auto it = dict.find(key);
        if (it == dict.end())
            fail("'" + what + "' is not a valid .npy file: its header has no '" + key + "' entry");
        return it->second;
    };
    const HeaderValue& descr = get("descr");
    if (descr.unsupported || !std::holds_alternative<std::string>(descr.v))
        fail("'" + what + "' holds a structured (record) array; espq reads plain numeric arrays only");
    const HeaderValue& fortran = get("fortran_order");
    if (!std::holds_alternative<bool>(fortran.v))
        fail("'" + what + "' is not a valid .npy file: 'fortran_order' must be True or False");
    const HeaderValue& shape_value = get("shape");
    if (!std::holds_alternative<std::vector<int64_t>>(shape_value.v))
        fail("'" + what + "' is not a valid .npy file: 'shape' must be a tuple of integers");

    const DType dtype = dtype_from_descr(std::get<std::string>(descr.v), what);
    if (std::get<bool>(fortran.v))
        fail("'" + what + "' is stored in Fortran (column-major) order; espq reads C order only: save " +
             "np.ascontiguousarray(arr)");
    const Shape shape = std::get<std::vector<int64_t>>(shape_value.v);

    // Check the size before allocating, so a corrupt shape cannot ask for terabytes.
    const size_t available = bytes.size() - prefix - header_len;
    const size_t elem = dtype_size(dtype);
    size_t needed = elem;
    bool overflow = false;
    for (int64_t d : shape) {
        if (d != 0 && needed > std::numeric_limits<size_t>::max() / static_cast<size_t>(d)) overflow = true;
        needed *= static_cast<size_t>(d);
    }
    if (overflow || needed > available)
        fail("'" + what + "' is truncated: shape (" + shape_str(shape, ", ") + ") of " +
             std::get<std::string>(descr.v) + " needs " + (overflow ? std::string("more") : std::to_string(needed)) +
             " data bytes but only " + std::to_string(available) + " are present");

    Tensor t(dtype, shape);
    if (needed) std::memcpy(t.raw(), bytes.data() + prefix + header_len, needed);
    return t;
}

Tensor load_npy(const std::string& path) { return parse_npy(data::read_file_bytes(path, "numpy file"), path); }

std::vector<uint8_t> serialize_npy(const Tensor& t) {
    if (t.empty()) throw InternalError("serialize_npy: empty tensor");
    const Shape& shape = t.shape();
    // Python's repr of a tuple: "()", "(5,)", "(2, 3)".
    std::string shape_text = "(";
    for (size_t i = 0; i < shape.size(); ++i) shape_text += (i ? ", " : "") + std::to_string(shape[i]);
    if (shape.size() == 1) shape_text += ",";
    shape_text += ")";
    std::string header = "{'descr': '" + descr_of(t.dtype()) + "', 'fortran_order': False, 'shape': " +
                         shape_text + ", }";
    if (!shape.empty()) header.append(kGrowthAxisMaxDigits - std::to_string(shape[0]).size(), ' ');
    // Spaces and a final newline so that magic + version + length + header is a multiple of 64 bytes
    // (numpy adds a full 64 when it is already aligned).
    const size_t unpadded = kMagicLen + 2 + 2 + header.size() + 1;
    header.append(kAlign - unpadded % kAlign, ' ');
    header += '\n';
    if (header.size() > 0xffff) throw InternalError("serialize_npy: header too long for format 1.0");

    // Built as one string first: GCC 12 mis-diagnoses a vector insert from the magic literal (-Wstringop-overflow).
    std::string prefix(kMagic, kMagicLen);
    prefix += '\x01';
    prefix += '\x00';
    prefix += static_cast<char>(header.size() & 0xff);
    prefix += static_cast<char>(header.size() >> 8);
    prefix += header;
    std::vector<uint8_t> out(prefix.size() + t.nbytes());
    std::memcpy(out.data(), prefix.data(), prefix.size());
    if (t.nbytes()) std::memcpy(out.data() + prefix.size(), t.raw(), t.nbytes());
    return out;
}

void save_npy(const std::string& path, const Tensor& t) {
    write_file_atomic(path, serialize_npy(t), "numpy file");
}

}  // namespace espq
