// Messages about one node of a graph. Every stage that rejects a node starts its message the same way, so
// that a user can find the node in the model: "node 'NAME' (Op): <what>".
#pragma once

#include <string>

#include "espq/error.hpp"
#include "espq/ir.hpp"

namespace espq {

// "node 'NAME' (Op)".
std::string node_label(const Node& node);
// Throws UserError "node 'NAME' (Op): <what>": the node breaks a rule of its operator or of the model.
[[noreturn]] void throw_node_error(const Node& node, const std::string& what);
// Throws UnsupportedError "node 'NAME' (Op): <what>": a valid node that a stage or target cannot handle.
[[noreturn]] void throw_node_unsupported(const Node& node, const std::string& what);

}  // namespace espq
