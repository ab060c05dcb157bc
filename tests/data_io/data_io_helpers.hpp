// Small helpers shared by the data_io tests.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "espq/error.hpp"

namespace espq::test {

// The message of the UserError that `f` throws, or "<no UserError>".
inline std::string user_error_message(const std::function<void()>& f) {
    try {
        f();
    } catch (const UserError& e) {
        return e.what();
    }
    return "<no UserError>";
}

}  // namespace espq::test

#define EXPECT_CONTAINS(haystack, needle) \
    EXPECT_NE(std::string(haystack).find(needle), std::string::npos) << "in: " << (haystack)
