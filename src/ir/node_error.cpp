#include "espq/node_error.hpp"

#include "espq/error.hpp"

namespace espq {

std::string node_label(const Node& node) {
    return "node '" + node.name + "' (" + node.op_type + ")";
}

void throw_node_error(const Node& node, const std::string& what) {
    throw UserError(node_label(node) + ": " + what);
}

void throw_node_unsupported(const Node& node, const std::string& what) {
    throw UnsupportedError(node_label(node) + ": " + what);
}

}  // namespace espq
