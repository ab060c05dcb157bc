#include "espq/op_table.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "espq/op_probes.hpp"
#include "espq/espdl.hpp"
#include "espq/float_ops.hpp"
#include "espq/onnx_import.hpp"
#include "espq/pipeline.hpp"

namespace espq {

namespace {

// A private directory for the probe files (load_onnx reads from a path), removed on scope exit.
class ScratchDir {
public:
    ScratchDir() {
        std::string templ = (std::filesystem::temp_directory_path() / "espq_ops_XXXXXX").string();
        std::vector<char> buf(templ.begin(), templ.end());
        buf.push_back('\0');
        if (!mkdtemp(buf.data())) throw UserError("cannot create a temporary directory in " + templ);
        path_ = buf.data();
    }
    ~ScratchDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

// Keeps the pipeline's warnings (expected for some probes) out of the user's terminal.
class QuietLogs {
public:
    QuietLogs() : saved_(spdlog::get_level()) { spdlog::set_level(spdlog::level::err); }
    ~QuietLogs() { spdlog::set_level(saved_); }

private:
    spdlog::level::level_enum saved_;
};

// "…node 'probe' (Resize): ESP-DL's int16 Resize …" -> "ESP-DL's int16 Resize …"; the probe file's path and
// node names mean nothing to the reader of the table.
std::string reason_of(const std::string& message, const std::string& file) {
    std::string m = message;
    // The same reason for the probe's other nodes of the op adds nothing to the table.
    if (const auto more = m.find(" (and "); more != std::string::npos && m.find("'espq check' lists", more) != std::string::npos)
        m.erase(more);
    const auto node = m.find("node '");
    if (node != std::string::npos) {
        const auto end = m.find("): ", node);
        if (end != std::string::npos) return m.substr(end + 3);
    }
    if (m.rfind(file + ": ", 0) == 0) m = m.substr(file.size() + 2);
    return m;
}

std::vector<Tensor> samples_for(const ProbeModel& m, size_t index) {
    std::vector<Tensor> out;
    uint32_t s = static_cast<uint32_t>(index) * 2246822519u + 7u;
    for (const Shape& shape : m.input_shapes()) {
        Tensor t(DType::Float32, shape);
        for (int64_t i = 0; i < t.numel(); ++i) {
            s = s * 1664525u + 1013904223u;
            const float u = static_cast<float>(s >> 8) / static_cast<float>(1u << 24);  // [0, 1)
            t.data<float>()[i] = m.positive_samples ? 0.25f + 1.75f * u : 4.f * u - 2.f;
        }
        out.push_back(std::move(t));
    }
    return out;
}

int count_op(const Graph& g, const std::string& op) {
    int n = 0;
    for (const Node& node : g.nodes) n += node.op_type == op;
    return n;
}

// Which optimizer pass removes the op from the loaded probe graph (each pass tried alone).
std::string removing_passes(const Graph& loaded, const std::string& op) {
    const auto names = all_pass_names();
    std::vector<std::string> found;
    for (const auto& name : names) {
        PassOptions po;
        for (const auto& other : names)
            if (other != name) po.disabled.insert(other);
        Graph g = loaded;
        run_passes(g, po);
        if (count_op(g, op) < count_op(loaded, op)) found.push_back(name);
    }
    if (found.empty()) return "rewritten by the optimizer passes";
    std::string s = "rewritten by pass " + found[0];
    for (size_t i = 1; i < found.size(); ++i) s += ", " + found[i];
    return s;
}

// Quantizes, exports, re-reads and emulates the probe; "" when every stage succeeds, else the reason.
std::string try_quantize(const Graph& g, const ProbeModel& m, Target target, int bits, const std::string& file) {
    QuantizeOptions o;
    o.plan.target = target;
    o.plan.bits = bits;
    o.plan.narrow_to_supported_widths = false;  // measure what this width itself supports
    o.plan.method = CalibMethod::MinMax;  // the probes test support; the refinement search adds nothing here
    o.calibration.threads = 1;
    o.test_values = true;  // runs the lowered model in the emulator
    const SampleSource source{4, [&m](size_t i) { return samples_for(m, i); }};
    try {
        const QuantizeResult r = quantize_model(g, source, o);
        for (const Node& n : r.lowered.model.graph.nodes) {
            const OpSupport s = espdl_op_support(n.op_type, target);
            if (s.support != RuntimeSupport::Native) return "lowered to " + n.op_type + ", which ESP-DL cannot load";
        }
        read_espdl_bytes(write_espdl_bytes(r.lowered.model), file);
        return "";
    } catch (const UserError& e) {
        return reason_of(e.what(), file);
    } catch (const std::exception& e) {
        return std::string("internal error: ") + e.what();
    }
}

std::string join(const std::vector<std::string>& parts, const std::string& sep) {
    std::string s;
    for (const auto& p : parts) s += (s.empty() ? "" : sep) + p;
    return s;
}

std::string bits_cell(const OpTargetSupport& t, const std::string& sep) {
    if (t.bits.empty()) return "no";
    std::vector<std::string> b;
    for (int x : t.bits) b.push_back(std::to_string(x));
    return join(b, sep);
}

// The note: how the op is handled, the restrictions (from the support table), then what fails where.
std::string compose_note(const OpTableRow& row, const OpSupportEntry* entry, const std::vector<Target>& targets) {
    std::vector<std::string> parts;
    bool anywhere = false;
    for (const auto& [t, s] : row.targets) anywhere |= !s.bits.empty();
    if (row.handling != "lowered" && anywhere) parts.push_back(row.handling);
    if (!entry) {
        parts.push_back("no entry in the operator support table (src/support/support.cpp)");
    } else if (!anywhere) {
        const std::string reason = unsupported_reason(*entry);
        if (!reason.empty()) parts.push_back(reason);
        else if (row.handling == "no probe") parts.push_back("no probe model in src/support/op_probes.cpp");
        else parts.push_back("ESP-DL has a " + row.op + " module; espq cannot lower it yet");
    }
    const std::string restriction = entry ? entry->restrictions : "";
    if (!restriction.empty()) parts.push_back(restriction);
    if (anywhere) {
        // Failures at some widths or on some targets where it works elsewhere, with the pipeline's reason.
        for (int bits : {8, 16}) {
            std::vector<std::string> failing;
            std::string reason;
            for (Target t : targets) {
                const auto& s = row.targets.at(t);
                auto it = s.failures.find(bits);
                if (it == s.failures.end()) continue;
                failing.push_back(target_name(t));
                if (reason.empty()) reason = it->second;
            }
            if (failing.empty()) continue;
            const std::string where = failing.size() == targets.size() ? "" : " on " + join(failing, ", ");
            parts.push_back(std::to_string(bits) + "-bit" + where + ": " + reason);
        }
    }
    std::string note = join(parts, "; ");
    if (!note.empty() && note.back() == '.') note.pop_back();
    return note;
}

std::string escape_markdown_cell(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (c == '|') out += "\\|";
        else if (c == '\n') out += ' ';
        else out += c;
    }
    return out;
}

}  // namespace

std::vector<OpTableRow> build_op_table(const std::vector<Target>& targets) {
    const QuietLogs quiet;
    const ScratchDir dir;
    std::map<std::string, const OpProbe*> probes;
    for (const auto& p : op_probes()) probes[p.op] = &p;
    std::vector<OpTableRow> rows;
    int file_counter = 0;
    for (const std::string& op : float_op_types()) {
        OpTableRow row;
        row.op = op;
        const OpSupportEntry* entry = find_op_support(op);
        row.declared_handling = entry ? handling_text(*entry) : "no table entry";
        row.espdl = !entry ? RuntimeSupport::Missing
                    : entry->espdl_module ? RuntimeSupport::Native
                    : entry->handling == OpHandling::FoldedAtLoad || entry->handling == OpHandling::Rewritten
                        ? RuntimeSupport::Rewritten
                        : RuntimeSupport::Missing;
        auto it = probes.find(op);
        if (it == probes.end()) {
            row.handling = "no probe";
            for (Target t : targets)
                for (int bits : {8, 16}) row.targets[t].failures[bits] = "no probe model";
            row.note = compose_note(row, entry, targets);
            rows.push_back(std::move(row));
            continue;
        }
        const OpProbe& probe = *it->second;
        ProbeModel m(probe.opset);
        m.set_probed_op(op);
        probe.build(m);
        const std::string file = dir.path() + "/probe" + std::to_string(file_counter++) + ".onnx";
        {
            std::ofstream f(file, std::ios::binary);
            if (!m.proto().SerializeToOstream(&f)) throw UserError(file + ": cannot write the probe model");
        }
        Graph g;
        std::string load_error;
        try {
            g = load_onnx(file);
        } catch (const UserError& e) {
            load_error = reason_of(e.what(), file);
        }
        if (!load_error.empty()) {
            row.handling = "lowered";
            for (Target t : targets)
                for (int bits : {8, 16}) row.targets[t].failures[bits] = load_error;
        } else {
            if (count_op(g, op) == 0) {
                row.handling = "folded at load";
            } else {
                Graph optimized = g;
                run_passes(optimized, PassOptions{});
                row.handling = count_op(optimized, op) == 0 ? removing_passes(g, op) : "lowered";
            }
            for (Target t : targets)
                for (int bits : {8, 16}) {
                    const std::string why = try_quantize(g, m, t, bits, file);
                    if (why.empty()) row.targets[t].bits.push_back(bits);
                    else row.targets[t].failures[bits] = why;
                }
        }
        row.note = compose_note(row, entry, targets);
        rows.push_back(std::move(row));
    }
    return rows;
}

std::string op_table_markdown(const std::vector<OpTableRow>& rows, const std::vector<Target>& targets) {
    std::ostringstream s;
    s << "| operator |";
    for (Target t : targets) s << " " << target_name(t) << " |";
    s << " notes |\n|---|";
    for (size_t i = 0; i < targets.size(); ++i) s << "---|";
    s << "---|\n";
    for (const auto& r : rows) {
        s << "| " << r.op << " |";
        for (Target t : targets) s << " " << bits_cell(r.targets.at(t), ", ") << " |";
        s << " " << escape_markdown_cell(r.note) << " |\n";
    }
    return s.str();
}

std::string op_table_text(const std::vector<OpTableRow>& rows, const std::vector<Target>& targets) {
    size_t width = 8;
    for (const auto& r : rows) width = std::max(width, r.op.size());
    std::ostringstream s;
    auto pad = [](const std::string& x, size_t w) { return x + std::string(w > x.size() ? w - x.size() : 0, ' '); };
    s << pad("operator", width + 2);
    for (Target t : targets) s << pad(target_name(t), 9);
    s << "notes\n";
    for (const auto& r : rows) {
        std::string line = pad(r.op, width + 2);
        for (Target t : targets) line += pad(bits_cell(r.targets.at(t), ","), 9);
        line += r.note;
        while (!line.empty() && line.back() == ' ') line.pop_back();
        s << line << "\n";
    }
    s << "(bit widths at which a model using the operator quantizes, exports and runs in the emulator; "
         "'espq ops --help' explains)\n";
    return s.str();
}

nlohmann::json op_table_json(const std::vector<OpTableRow>& rows, const std::vector<Target>& targets) {
    nlohmann::json j;
    j["command"] = "ops";
    j["targets"] = nlohmann::json::array();
    for (Target t : targets) j["targets"].push_back(target_name(t));
    j["operators"] = nlohmann::json::array();
    for (const auto& r : rows) {
        nlohmann::json o;
        o["op"] = r.op;
        o["handling"] = r.handling;
        o["declared_handling"] = r.declared_handling;
        o["espdl_module"] = runtime_support_name(r.espdl);
        o["note"] = r.note;
        nlohmann::json per = nlohmann::json::object();
        for (Target t : targets) {
            const auto& s = r.targets.at(t);
            nlohmann::json failures = nlohmann::json::object();
            for (const auto& [bits, why] : s.failures) failures[std::to_string(bits)] = why;
            per[target_name(t)] = {{"bits", s.bits}, {"failures", failures}};
        }
        o["targets"] = per;
        j["operators"].push_back(o);
    }
    return j;
}

}  // namespace espq
