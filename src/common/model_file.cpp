#include "espq/model_file.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "espq/espdl.hpp"
#include "espq/verify.hpp"

namespace espq {

std::map<std::string, Shape> parse_input_shapes_map(const std::vector<std::string>& specs) {
    std::map<std::string, Shape> m;
    for (const auto& s : specs) {
        const auto eq = s.rfind('=');
        if (eq == std::string::npos || eq == 0 || eq + 1 == s.size())
            throw UserError("--input-shape '" + s + "': expected NAME=D0,D1,... e.g. input=1,1,96,96");
        Shape shape;
        std::stringstream ss(s.substr(eq + 1));
        std::string tok;
        while (std::getline(ss, tok, ',')) {
            try {
                size_t used = 0;
                long long d = std::stoll(tok, &used);
                if (used != tok.size() || d <= 0) throw std::invalid_argument("bad");
                shape.push_back(d);
            } catch (const std::exception&) {
                throw UserError("--input-shape '" + s + "': '" + tok + "' is not a positive integer");
            }
        }
        m[s.substr(0, eq)] = shape;
    }
    return m;
}

ModelKind detect_model_kind(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) {
        if (!std::filesystem::exists(path)) throw UserError(path + ": no such file");
        throw UserError(path + ": cannot open for reading");
    }
    char magic[4] = {0, 0, 0, 0};
    f.read(magic, 4);
    const std::string m(magic, static_cast<size_t>(f.gcount()));
    if (m == "EDL1" || m == "EDL2" || m == "PDL1" || m == "PDL2" || m == "PDL3") return ModelKind::Espdl;
    const std::string ext = std::filesystem::path(path).extension().string();
    if (ext == ".espdl") return ModelKind::Espdl;
    return ModelKind::Onnx;
}

Target espdl_model_target(const EspdlModel& model, const std::string& requested, const std::string& path) {
    if (!requested.empty()) return parse_target(requested);
    if (auto t = model_target(model)) return *t;
    throw UserError(path + ": the file does not name its target in its metadata; pass --target " + target_choices());
}

}  // namespace espq
