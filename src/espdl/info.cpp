// The .info text dump (docs/espdl-file-format.md §5): the layout of ESP-PPQ's printable_graph, printed from the
// FlatBuffer that write_espdl_bytes produces for the model, so the text describes exactly the bytes of the .espdl file.
// Arrays are formatted like numpy's repr with an unlimited threshold (line width 75, right-aligned columns).
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "espdl/container.hpp"
#include "espdl_generated.h"
#include "espq/espdl.hpp"

namespace espq {
namespace {

namespace fb = flatbuffers;

// ---- Python repr ----

// Decodes UTF-8 into code points, dropping invalid bytes (Python's errors="ignore").
std::vector<uint32_t> utf8_code_points(const std::string& s) {
    std::vector<uint32_t> out;
    size_t i = 0;
    while (i < s.size()) {
        const uint8_t c = static_cast<uint8_t>(s[i]);
        int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        if (len == 0 || i + len > s.size()) {
            ++i;
            continue;
        }
        uint32_t cp = len == 1 ? c : c & (0x7f >> len);
        bool ok = true;
        for (int k = 1; k < len; ++k) {
            const uint8_t cc = static_cast<uint8_t>(s[i + k]);
            ok &= (cc >> 6) == 2;
            cp = cp << 6 | (cc & 0x3f);
        }
        const uint32_t min_cp[] = {0, 0, 0x80, 0x800, 0x10000};
        if (!ok || cp < min_cp[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
            ++i;
            continue;
        }
        out.push_back(cp);
        i += len;
    }
    return out;
}

void append_utf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xc0 | cp >> 6);
        out += static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xe0 | cp >> 12);
        out += static_cast<char>(0x80 | (cp >> 6 & 0x3f));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
        out += static_cast<char>(0xf0 | cp >> 18);
        out += static_cast<char>(0x80 | (cp >> 12 & 0x3f));
        out += static_cast<char>(0x80 | (cp >> 6 & 0x3f));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    }
}

std::string hex_escape(const char* prefix, uint32_t v, int digits) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%s%0*x", prefix, digits, v);
    return buf;
}

// Python's quote choice: single quotes unless the text has a ' and no ".
char python_quote(bool has_single, bool has_double) { return has_single && !has_double ? '"' : '\''; }

// repr() of a Python str made from `text` by ESP-PPQ's _sanitize_str (decode, cut at 64 code points).
std::string py_str_repr(const std::string& text) {
    std::vector<uint32_t> cps = utf8_code_points(text);
    std::string suffix;
    if (cps.size() >= 64) {
        suffix = "...<+len=" + std::to_string(cps.size() - 64) + ">";
        cps.resize(64);
    }
    for (char ch : suffix) cps.push_back(static_cast<uint8_t>(ch));
    const bool has_single = std::find(cps.begin(), cps.end(), '\'') != cps.end();
    const bool has_double = std::find(cps.begin(), cps.end(), '"') != cps.end();
    const char quote = python_quote(has_single, has_double);
    std::string out(1, quote);
    for (uint32_t cp : cps) {
        if (cp == static_cast<uint32_t>(quote) || cp == '\\') out += '\\', out += static_cast<char>(cp);
        else if (cp == '\n') out += "\\n";
        else if (cp == '\r') out += "\\r";
        else if (cp == '\t') out += "\\t";
        else if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0)) out += hex_escape("\\x", cp, 2);
        else append_utf8(out, cp);  // printable (non-ASCII printability approximated: >= U+00A0)
    }
    return out + quote;
}

// repr() of Python bytes.
std::string py_bytes_repr(const std::string& bytes) {
    const bool has_single = bytes.find('\'') != std::string::npos;
    const bool has_double = bytes.find('"') != std::string::npos;
    const char quote = python_quote(has_single, has_double);
    std::string out = "b";
    out += quote;
    for (char ch : bytes) {
        const uint8_t c = static_cast<uint8_t>(ch);
        if (c == static_cast<uint8_t>(quote) || c == '\\') out += '\\', out += ch;
        else if (c == '\n') out += "\\n";
        else if (c == '\r') out += "\\r";
        else if (c == '\t') out += "\\t";
        else if (c < 0x20 || c >= 0x7f) out += hex_escape("\\x", c, 2);
        else out += ch;
    }
    return out + quote;
}

std::string format_g15(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.15g", v);
    return buf;
}

std::string py_int_list(const fb::Vector<int64_t>* v) {
    std::string s = "[";
    const std::vector<int64_t> values = espdl::vector_values(v);
    for (size_t i = 0; i < values.size(); ++i) s += (i ? ", " : "") + std::to_string(values[i]);
    return s + "]";
}

// ---- numpy repr of a 1-D array ----

std::string shortest_float(double v, bool is_float32, std::chars_format fmt, int precision = -1) {
    char buf[128];
    std::to_chars_result r;
    if (precision >= 0) {
        r = is_float32 ? std::to_chars(buf, buf + sizeof buf, static_cast<float>(v), fmt, precision)
                       : std::to_chars(buf, buf + sizeof buf, v, fmt, precision);
    } else {
        r = is_float32 ? std::to_chars(buf, buf + sizeof buf, static_cast<float>(v), fmt)
                       : std::to_chars(buf, buf + sizeof buf, v, fmt);
    }
    return std::string(buf, r.ptr);
}

// numpy's positional "unique" digits with at most `precision` fractional digits, trailing zeros trimmed but the
// dot kept ("2." , "0.5", "-0.125").
std::string positional_digits(double v, bool is_float32, int precision) {
    std::string s = shortest_float(v, is_float32, std::chars_format::fixed);
    const size_t dot = s.find('.');
    if (dot != std::string::npos && s.size() - dot - 1 > static_cast<size_t>(precision)) {
        s = shortest_float(v, is_float32, std::chars_format::fixed, precision);
        while (!s.empty() && s.back() == '0') s.pop_back();
    }
    if (s.find('.') == std::string::npos) s += '.';
    return s;
}

// Mantissa digits ("1.2345") and exponent (as int) of numpy's unique scientific form.
std::pair<std::string, int> scientific_digits(double v, bool is_float32, int precision) {
    std::string s = shortest_float(v, is_float32, std::chars_format::scientific);
    size_t e = s.find('e');
    std::string mant = s.substr(0, e);
    const size_t dot = mant.find('.');
    if (dot != std::string::npos && mant.size() - dot - 1 > static_cast<size_t>(precision)) {
        s = shortest_float(v, is_float32, std::chars_format::scientific, precision);
        e = s.find('e');
        mant = s.substr(0, e);
        while (mant.back() == '0') mant.pop_back();
    }
    if (mant.find('.') == std::string::npos) mant += '.';
    return {mant, std::stoi(s.substr(e + 1))};
}

std::vector<std::string> format_floats(const std::vector<double>& x, bool is_float32) {
    constexpr int kPrecision = 8;
    std::vector<double> finite;
    for (double v : x)
        if (std::isfinite(v)) finite.push_back(v);
    double max_abs = 0, min_abs = 0;
    bool any_nonzero = false;
    for (double v : finite)
        if (v != 0) {
            const double a = std::fabs(v);
            max_abs = any_nonzero ? std::max(max_abs, a) : a;
            min_abs = any_nonzero ? std::min(min_abs, a) : a;
            any_nonzero = true;
        }
    const bool exp_format = any_nonzero && (max_abs >= 1e8 || min_abs < 0.0001 || max_abs / min_abs > 1000.0);
    std::vector<std::string> words;
    size_t pad_left = 0, pad_right = 0;
    if (!exp_format) {
        for (double v : finite) {
            const std::string s = positional_digits(v, is_float32, kPrecision);
            const size_t dot = s.find('.');
            pad_left = std::max(pad_left, dot);
            pad_right = std::max(pad_right, s.size() - dot - 1);
        }
        for (double v : x) {
            std::string s;
            if (std::isfinite(v)) {
                s = positional_digits(v, is_float32, kPrecision);
                const size_t dot = s.find('.');
                s = std::string(pad_left - dot, ' ') + s + std::string(pad_right - (s.size() - dot - 1), ' ');
            } else {
                s = std::isnan(v) ? "nan" : v > 0 ? "inf" : "-inf";
                const size_t width = std::max(pad_left + pad_right + 1, s.size());
                s = std::string(width - s.size(), ' ') + s;
            }
            words.push_back(s);
        }
        return words;
    }
    size_t frac = 0, exp_digits = 2, int_width = 0;
    for (double v : finite) {
        const auto [mant, e] = scientific_digits(v, is_float32, kPrecision);
        const size_t dot = mant.find('.');
        frac = std::max(frac, mant.size() - dot - 1);
        int_width = std::max(int_width, dot);
        exp_digits = std::max(exp_digits, std::to_string(std::abs(e)).size());
    }
    for (double v : x) {
        std::string s;
        if (std::isfinite(v)) {
            auto [mant, e] = scientific_digits(v, is_float32, kPrecision);
            const size_t dot = mant.find('.');
            mant += std::string(frac - (mant.size() - dot - 1), '0');
            std::string es = std::to_string(std::abs(e));
            es = std::string(exp_digits - es.size(), '0') + es;
            s = std::string(int_width - dot, ' ') + mant + "e" + (e < 0 ? "-" : "+") + es;
        } else {
            s = std::isnan(v) ? "nan" : v > 0 ? "inf" : "-inf";
            const size_t width = int_width + 1 + frac + 2 + exp_digits;
            s = std::string(width > s.size() ? width - s.size() : 0, ' ') + s;
        }
        words.push_back(s);
    }
    return words;
}

template <typename T>
std::vector<std::string> format_integers(const std::vector<T>& x) {
    std::vector<std::string> words;
    size_t width = 0;
    for (T v : x) {
        words.push_back(std::to_string(v));
        width = std::max(width, words.back().size());
    }
    for (auto& w : words) w = std::string(width - w.size(), ' ') + w;
    return words;
}

template <typename T>
std::vector<T> elements(const uint8_t* data, size_t count) {
    std::vector<T> v(count);
    if (count) std::memcpy(v.data(), data, count * sizeof(T));
    return v;
}

// numpy dtype name, or "" for the dtypes whose repr omits it (float64, int64, bool).
const char* numpy_dtype(DType t) {
    switch (t) {
        case DType::Int8: return "int8";
        case DType::UInt8: return "uint8";
        case DType::Int16: return "int16";
        case DType::UInt16: return "uint16";
        case DType::Int32: return "int32";
        case DType::UInt32: return "uint32";
        case DType::UInt64: return "uint64";
        case DType::Float32: return "float32";
        case DType::Float16: return "float16";
        default: return "";
    }
}

float half_to_float(uint16_t h) {
    const uint32_t sign = (h >> 15) & 1, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
    float v = exp == 0 ? std::ldexp(static_cast<float>(mant), -24)
              : exp == 31 ? (mant ? NAN : INFINITY)
                          : std::ldexp(static_cast<float>(mant | 0x400), static_cast<int>(exp) - 25);
    return sign ? -v : v;
}

std::vector<std::string> format_elements(DType t, const uint8_t* data, size_t count) {
    switch (t) {
        case DType::Int8: return format_integers(elements<int8_t>(data, count));
        case DType::UInt8: return format_integers(elements<uint8_t>(data, count));
        case DType::Int16: return format_integers(elements<int16_t>(data, count));
        case DType::UInt16: return format_integers(elements<uint16_t>(data, count));
        case DType::Int32: return format_integers(elements<int32_t>(data, count));
        case DType::UInt32: return format_integers(elements<uint32_t>(data, count));
        case DType::Int64: return format_integers(elements<int64_t>(data, count));
        case DType::UInt64: return format_integers(elements<uint64_t>(data, count));
        case DType::Bool: {
            std::vector<std::string> w;
            for (size_t i = 0; i < count; ++i) w.push_back(data[i] ? " True" : "False");
            return w;
        }
        case DType::Float32: {
            const auto f = elements<float>(data, count);
            return format_floats(std::vector<double>(f.begin(), f.end()), true);
        }
        case DType::Float64: return format_floats(elements<double>(data, count), false);
        case DType::Float16: {
            std::vector<double> d;
            for (uint16_t h : elements<uint16_t>(data, count)) d.push_back(half_to_float(h));
            return format_floats(d, true);  // float16 values are exact in float32; digits may differ from numpy
        }
        default: return {};
    }
}

std::string numpy_repr(DType t, const uint8_t* data, size_t count) {
    constexpr size_t kLineWidth = 75;
    const std::string dtype = numpy_dtype(t);
    const std::string prefix = "array(";
    const std::string suffix = dtype.empty() ? ")" : ",";
    const std::string hanging(1 + prefix.size(), ' ');
    const size_t elem_width = kLineWidth - suffix.size() - 1;
    std::string body;
    if (count == 0) {
        body = "[]";
    } else {
        const std::vector<std::string> words = format_elements(t, data, count);
        std::string s, line = hanging;
        for (size_t i = 0; i < words.size(); ++i) {
            if (line.size() + words[i].size() > elem_width && line.size() > hanging.size()) {
                s += line.substr(0, line.find_last_not_of(' ') + 1) + "\n";
                line = hanging;
            }
            line += words[i];
            if (i + 1 < words.size()) line += ", ";
        }
        s += line;
        body = "[" + s.substr(hanging.size()) + "]";
    }
    std::string out = prefix + body + suffix;
    if (dtype.empty()) return out;
    const std::string dtype_str = "dtype=" + dtype + ")";
    const size_t last_line = out.size() - (out.rfind('\n') == std::string::npos ? 0 : out.rfind('\n') + 1);
    out += last_line + dtype_str.size() + 1 > kLineWidth ? "\n" + std::string(prefix.size(), ' ') : " ";
    return out + dtype_str;
}

// ---- printable_graph ----

std::string str(const fb::String* s) { return s ? s->str() : std::string(); }

std::string dtype_label(int32_t code) {
    return code >= 0 && code <= static_cast<int32_t>(DType::UInt64) ? dtype_name(static_cast<DType>(code)) : "";
}

std::string printable_type(const fbs::TypeInfo* t) {
    if (t->value_type() == fbs::TypeInfoValue::NONE) return "";
    const auto* tt = t->value_as_tensor_type();
    if (!tt) return "Unknown type";
    std::string s = dtype_label(static_cast<int32_t>(tt->elem_type()));
    if (const auto* shape = tt->shape()) {
        if (shape->dim() && shape->dim()->size()) {
            s += ", ";
            for (fb::uoffset_t i = 0; i < shape->dim()->size(); ++i) {
                const auto* dv = shape->dim()->Get(i)->value();
                const auto type = dv ? dv->dim_type() : fbs::DimensionValueType::UNKNOWN;
                s += i ? "x" : "";
                s += type == fbs::DimensionValueType::VALUE   ? std::to_string(dv->dim_value())
                     : type == fbs::DimensionValueType::PARAM ? str(dv->dim_param())
                                                              : "?";
            }
        } else {
            s += ", scalar";
        }
    }
    return s;
}

std::string printable_value_info(const fbs::ValueInfo* v) {
    std::string s = "%" + str(v->name());
    if (v->value_info_type()) s += "[" + printable_type(v->value_info_type()) + "]";
    if (v->exponents() && v->exponents()->size()) s += ", exponents: " + py_int_list(v->exponents());
    return s;
}

std::string printable_tensor(const fbs::Tensor* t) {
    std::string s = "%" + str(t->name()) + "[" + dtype_label(static_cast<int32_t>(t->data_type()));
    const std::vector<int64_t> dims = espdl::vector_values(t->dims());
    if (!dims.empty()) {
        s += ", ";
        for (size_t i = 0; i < dims.size(); ++i) s += (i ? "x" : "") + std::to_string(dims[i]);
    } else {
        s += ", scalar";
    }
    return s + "]";
}

std::string printable_tensor_value(const fbs::Tensor* t) {
    std::string s = "%" + str(t->name()) + ", ";
    if (t->dims()) s += "shape: " + py_int_list(t->dims()) + ", ";
    if (t->exponents()) s += "exponents: " + py_int_list(t->exponents()) + ", ";
    if (t->doc_string()) s += "docString: " + py_bytes_repr(t->doc_string()->str()) + ", ";
    if (const auto* raw = t->raw_data()) {
        const DType dtype = static_cast<DType>(t->data_type());
        const size_t es = dtype_size(dtype);
        const size_t count = es ? raw->size() * sizeof(fbs::AlignedBytes) / es : 0;
        s += "\nvalue: " + numpy_repr(dtype, raw->Data(), count);
    }
    return s;
}

std::string printable_attribute(const fbs::Attribute* a) {
    std::string s = str(a->name()) + " = ";
    switch (a->attr_type()) {
        case fbs::AttributeType::INT: return s + std::to_string(a->i() ? a->i()->i() : 0);
        case fbs::AttributeType::FLOAT: return s + format_g15(a->f() ? a->f()->f() : 0.0f);
        case fbs::AttributeType::STRING:
            return s + py_str_repr(a->s() ? std::string(reinterpret_cast<const char*>(a->s()->Data()), a->s()->size())
                                          : std::string());
        case fbs::AttributeType::TENSOR:
            return s + (a->t() && a->t()->dims() && a->t()->dims()->size() ? "<Tensor>" : "<Scalar Tensor>");
        case fbs::AttributeType::FLOATS: {
            std::string l = "[";
            if (a->floats())
                for (fb::uoffset_t i = 0; i < a->floats()->size(); ++i) l += (i ? ", " : "") + format_g15(a->floats()->Get(i));
            return s + l + "]";
        }
        case fbs::AttributeType::INTS: return s + py_int_list(a->ints());
        case fbs::AttributeType::STRINGS: {
            std::string l = "[";
            if (a->strings())
                for (fb::uoffset_t i = 0; i < a->strings()->size(); ++i)
                    l += (i ? ", " : "") + py_str_repr(str(a->strings()->Get(i)));
            return s + l + "]";
        }
        case fbs::AttributeType::TENSORS: return s + "[<Tensor>, ...]";
        default: return s + "<Unknown>";
    }
}

std::string printable_node(const fbs::Node* n, const std::string& indent) {
    std::string s = indent;
    if (n->output() && n->output()->size()) {
        for (fb::uoffset_t i = 0; i < n->output()->size(); ++i) s += (i ? ", %" : "%") + str(n->output()->Get(i));
        s += " = ";
    }
    s += str(n->op_type());
    if (n->attribute() && n->attribute()->size()) {
        std::vector<std::string> attrs;
        for (const auto* a : *n->attribute()) attrs.push_back(printable_attribute(a));
        std::sort(attrs.begin(), attrs.end());
        s += "[";
        for (size_t i = 0; i < attrs.size(); ++i) s += (i ? ", " : "") + attrs[i];
        s += "]";
    }
    s += "(";
    if (n->input())
        for (fb::uoffset_t i = 0; i < n->input()->size(); ++i) s += (i ? ", %" : "%") + str(n->input()->Get(i));
    return s + ")";
}

template <typename T, typename F>
std::string joined(const fb::Vector<fb::Offset<T>>* list, F&& print) {
    std::string s;
    if (list)
        for (fb::uoffset_t i = 0; i < list->size(); ++i) s += (i ? "\n" : "") + print(list->Get(i));
    return s;
}

std::string printable_graph(const fbs::Model* model) {
    const auto* graph = model->graph();
    std::vector<std::string> content;
    std::string props = "model properties:\nmetadata_props:\n";
    if (model->metadata_props())
        for (const auto* kv : *model->metadata_props()) props += str(kv->key()) + ": " + str(kv->value()) + "\n";
    content.push_back(props + "\n");

    const std::string indent = "  ";
    std::vector<std::string> header = {"graph", str(graph->name())};
    auto flush_header = [&] {
        std::string h;
        for (size_t i = 0; i < header.size(); ++i) h += (i ? " " : "") + header[i];
        content.push_back(h);
        header.clear();
    };
    std::vector<std::string> initializer_names;
    if (graph->initializer())
        for (const auto* t : *graph->initializer()) initializer_names.push_back(str(t->name()));
    auto is_initializer = [&](const std::string& name) {
        return std::find(initializer_names.begin(), initializer_names.end(), name) != initializer_names.end();
    };
    if (graph->input() && graph->input()->size()) {
        header.push_back("(");
        std::vector<std::string> required, with_init;
        for (const auto* in : *graph->input())
            (is_initializer(str(in->name())) ? with_init : required).push_back(printable_value_info(in));
        if (!required.empty()) {
            flush_header();
            for (const auto& line : required) content.push_back(indent + line);
        }
        header.push_back(")");
        if (!with_init.empty()) {
            header.push_back("optional inputs with matching initializers (");
            flush_header();
            for (const auto& line : with_init) content.push_back(indent + line);
            header.push_back(")");
        }
        // Initializers names are a set in ESP-PPQ: duplicates count once.
        std::vector<std::string> unique_inits = initializer_names;
        std::sort(unique_inits.begin(), unique_inits.end());
        unique_inits.erase(std::unique(unique_inits.begin(), unique_inits.end()), unique_inits.end());
        if (with_init.size() < unique_inits.size()) {
            header.push_back("initializers (");
            flush_header();
            std::vector<std::string> input_names;
            for (const auto* in : *graph->input()) input_names.push_back(str(in->name()));
            for (const auto* t : *graph->initializer())
                if (std::find(input_names.begin(), input_names.end(), str(t->name())) == input_names.end())
                    content.push_back(indent + printable_tensor(t));
            header.push_back(")");
        }
    }
    header.push_back("{");
    flush_header();
    if (graph->node())
        for (const auto* n : *graph->node()) content.push_back(printable_node(n, indent));
    std::string tail = indent + "return";
    if (graph->output() && graph->output()->size()) {
        tail += " ";
        for (fb::uoffset_t i = 0; i < graph->output()->size(); ++i)
            tail += (i ? ", %" : "%") + str(graph->output()->Get(i)->name());
    }
    content.push_back(tail);
    content.push_back("}");

    content.push_back("\n\ninitializers value:\n" + joined(graph->initializer(), printable_tensor_value));
    content.push_back("\n\nvalues info:\n" + joined(graph->value_info(), printable_value_info));
    content.push_back("\n\ntest inputs value:\n" + joined(graph->test_inputs_value(), printable_tensor_value));
    content.push_back("\n\ntest outputs value:\n" + joined(graph->test_outputs_value(), printable_tensor_value));

    std::string out;
    for (size_t i = 0; i < content.size(); ++i) out += (i ? "\n" : "") + content[i];
    return out;
}

}  // namespace

std::string format_espdl_info(const EspdlModel& model) {
    const std::vector<uint8_t> file = write_espdl_bytes(model);
    // Copy the payload to its own (malloc-aligned) buffer so the FlatBuffer's aligned fields are aligned in memory.
    const std::vector<uint8_t> payload(file.begin() + espdl::kEdl2HeaderSize, file.end());
    return printable_graph(fbs::GetModel(payload.data()));
}

}  // namespace espq
