// The operator registry of an executor: each operator file registers its entry from a static initialiser
// (ESPQ_REGISTER_FLOAT_OP, ESPQ_REGISTER_EMU_OP). The map is a function-local static of the caller, so
// registration works whatever order the initialisers run in.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "espq/error.hpp"

namespace espq::exec {

template <typename Entry>
class OpRegistry {
public:
    // `executor` names the registry in the duplicate-registration error ("float", "emulator").
    explicit OpRegistry(const char* executor) : executor_(executor) {}

    // Registering an op type twice is an espq bug.
    void add(const std::string& op_type, Entry entry) {
        if (!entries_.emplace(op_type, std::move(entry)).second)
            throw InternalError(executor_ + " op '" + op_type + "' registered twice");
    }
    const Entry* find(const std::string& op_type) const {
        const auto it = entries_.find(op_type);
        return it == entries_.end() ? nullptr : &it->second;
    }
    std::vector<std::string> op_types() const {  // sorted
        std::vector<std::string> types;
        for (const auto& entry : entries_) types.push_back(entry.first);
        return types;
    }

private:
    std::string executor_;
    std::map<std::string, Entry> entries_;
};

}  // namespace espq::exec
