// Error types shared by every stage.
//
// A UserError is a problem with what the user gave us (a file, a flag, a model): the CLI prints its one-line
// message and exits 1. Anything else that escapes is an internal error (exit 2). Messages name the file, node
// or tensor, the rule that was broken and what to do about it, so they are useful on their own in a CI log.
#pragma once

#include <stdexcept>
#include <string>

namespace espq {

class UserError : public std::runtime_error {
public:
    explicit UserError(const std::string& message) : std::runtime_error(message) {}
};

// Thrown when a model uses an operator (or an attribute of one) that a stage cannot handle.
class UnsupportedError : public UserError {
public:
    explicit UnsupportedError(const std::string& message) : UserError(message) {}
};

// Invariant check for conditions that only a bug in espq can break.
class InternalError : public std::logic_error {
public:
    explicit InternalError(const std::string& message) : std::logic_error(message) {}
};

[[noreturn]] inline void fail(const std::string& message) { throw UserError(message); }

inline void check(bool condition, const std::string& message) {
    if (!condition) throw UserError(message);
}

inline void invariant(bool condition, const char* message) {
    if (!condition) throw InternalError(message);
}

}  // namespace espq
