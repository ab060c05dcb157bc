// Parsing and JSON description of the preprocessing options (espq/dataset.hpp).
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "espq/dataset.hpp"

namespace espq {
namespace {

std::string trim(const std::string& s) {
    size_t b = 0, e = s.size();
    while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
    while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
    return s.substr(b, e - b);
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}

// A finite decimal number consuming all of `text`.
bool parse_plain_number(const std::string& text, double& out) {
    const std::string t = trim(text);
    if (t.empty()) return false;
    char* end = nullptr;
    errno = 0;
    out = std::strtod(t.c_str(), &end);
    return errno == 0 && end == t.c_str() + t.size() && std::isfinite(out);
}

// "a" or "a/b".
bool parse_number_or_fraction(const std::string& text, double& out) {
    const size_t slash = text.find('/');
    if (slash == std::string::npos) return parse_plain_number(text, out);
    double num = 0, den = 0;
    if (!parse_plain_number(text.substr(0, slash), num) || !parse_plain_number(text.substr(slash + 1), den) ||
        den == 0)
        return false;
    out = num / den;
    return std::isfinite(out);
}

bool parse_positive_int(const std::string& text, int64_t& out) {
    const std::string t = trim(text);
    if (t.empty() || t.size() > 6 || !std::all_of(t.begin(), t.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
        return false;
    out = std::stoll(t);
    return out > 0;
}

}  // namespace

double parse_scale(const std::string& text, const std::string& flag) {
    double v = 0;
    if (!parse_number_or_fraction(text, v) || v == 0)
        fail(flag + " '" + text + "' is not a non-zero number: write e.g. 1/255 or 0.00392");
    return v;
}

std::pair<int64_t, int64_t> parse_resize(const std::string& text, const std::string& flag) {
    const std::string t = lower(trim(text));
    const size_t x = t.find('x');
    int64_t w = 0, h = 0;
    const bool ok = x == std::string::npos ? parse_positive_int(t, w) && parse_positive_int(t, h)
                                           : parse_positive_int(t.substr(0, x), w) && parse_positive_int(t.substr(x + 1), h);
    if (!ok) fail(flag + " '" + text + "' is not a size: write WIDTHxHEIGHT, e.g. 96x96");
    return {w, h};
}

std::vector<float> parse_float_list(const std::string& text, const std::string& flag) {
    std::vector<float> values;
    std::string item;
    auto flush = [&] {
        if (trim(item).empty()) {
            item.clear();
            return;
        }
        double v = 0;
        if (!parse_number_or_fraction(item, v))
            fail(flag + " '" + text + "': '" + trim(item) + "' is not a number; write e.g. 0.485,0.456,0.406");
        values.push_back(static_cast<float>(v));
        item.clear();
    };
    for (char c : text) {
        if (c == ',' || std::isspace(static_cast<unsigned char>(c))) flush();
        else item += c;
    }
    flush();
    if (values.empty()) fail(flag + " is empty: give one value, or one per channel, e.g. 0.485,0.456,0.406");
    return values;
}

ColorMode parse_color_mode(const std::string& text) {
    const std::string t = lower(trim(text));
    if (t == "keep" || t == "none") return ColorMode::Keep;
    if (t == "grayscale" || t == "greyscale" || t == "gray" || t == "grey" || t == "l") return ColorMode::Grayscale;
    if (t == "rgb") return ColorMode::Rgb;
    if (t == "bgr") return ColorMode::Bgr;
    fail("colour mode '" + text + "' is not one of keep, grayscale, rgb, bgr");
}

InputLayout parse_layout(const std::string& text) {
    const std::string t = lower(trim(text));
    if (t == "nchw") return InputLayout::NCHW;
    if (t == "nhwc") return InputLayout::NHWC;
    fail("--layout '" + text + "' is not nchw or nhwc");
}

const char* color_mode_name(ColorMode m) {
    switch (m) {
        case ColorMode::Keep: return "keep";
        case ColorMode::Grayscale: return "grayscale";
        case ColorMode::Rgb: return "rgb";
        case ColorMode::Bgr: return "bgr";
    }
    return "?";
}

const char* layout_name(InputLayout l) { return l == InputLayout::NCHW ? "nchw" : "nhwc"; }

nlohmann::json preprocess_to_json(const Preprocess& p) {
    nlohmann::json j;
    j["order"] = "colour conversion, resize, x = (x * scale - mean[c]) / std[c], layout";
    j["color"] = color_mode_name(p.color);
    if (p.color == ColorMode::Grayscale) j["grayscale_formula"] = "BT.601: R*299/1000 + G*587/1000 + B*114/1000";
    if (p.resize_width > 0)
        j["resize"] = {{"width", p.resize_width},
                       {"height", p.resize_height},
                       {"method", "bilinear"},
                       {"align_corners", false},
                       {"antialias", false}};
    else
        j["resize"] = nullptr;
    j["scale"] = p.scale;
    j["mean"] = p.mean.empty() ? std::vector<float>{0.0f} : p.mean;
    j["std"] = p.std.empty() ? std::vector<float>{1.0f} : p.std;
    j["layout"] = layout_name(p.layout);
    return j;
}

}  // namespace espq
