// exec::dispatch_dtype: every dtype in the list reaches the lambda with its own C++ type; others are a bug.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <type_traits>

#include "exec/dtype_dispatch.hpp"

using namespace espq;

namespace {

// What the lambda's type looks like, compared with what the dtype says, without the lookup under test: the
// size, float/bool/signedness together tell every dtype with a C++ type apart.
struct TypeTraits {
    size_t bytes;
    bool floating, boolean, is_signed;
    bool operator==(const TypeTraits& o) const {
        return bytes == o.bytes && floating == o.floating && boolean == o.boolean && is_signed == o.is_signed;
    }
};

TypeTraits expected_traits(DType t) {
    const bool floating = t == DType::Float32 || t == DType::Float64;
    const bool signed_int = t == DType::Int8 || t == DType::Int16 || t == DType::Int32 || t == DType::Int64;
    return {dtype_size(t), floating, t == DType::Bool, floating || signed_int};
}

TypeTraits seen_by_numeric_dispatch(DType t) {
    using D = DType;
    return exec::dispatch_dtype<D::Float32, D::Float64, D::Int8, D::UInt8, D::Int16, D::UInt16, D::Int32, D::UInt32,
                                D::Int64, D::UInt64, D::Bool>(t, [](auto tag) {
        using T = decltype(tag);
        return TypeTraits{sizeof(T), std::is_floating_point_v<T>, std::is_same_v<T, bool>, std::is_signed_v<T>};
    });
}

}  // namespace

TEST(ExecDtypeDispatch, EachListedDtypeReachesItsCppType) {
    for (DType t : {DType::Float32, DType::Float64, DType::Int8, DType::UInt8, DType::Int16, DType::UInt16,
                    DType::Int32, DType::UInt32, DType::Int64, DType::UInt64, DType::Bool}) {
        EXPECT_TRUE(seen_by_numeric_dispatch(t) == expected_traits(t)) << dtype_name(t);
    }
}

TEST(ExecDtypeDispatch, VoidLambdasAndDtypesOutsideTheListAreInternalErrors) {
    size_t bytes = 0;
    exec::dispatch_dtype<DType::Int8, DType::Int16>(DType::Int16, [&](auto tag) { bytes = sizeof(tag); });
    EXPECT_EQ(bytes, 2u);
    auto int_only = [](DType t) { exec::dispatch_dtype<DType::Int8, DType::Int16>(t, [](auto) {}); };
    EXPECT_THROW(int_only(DType::Float32), InternalError);
    EXPECT_THROW(seen_by_numeric_dispatch(DType::Float16), InternalError);
    EXPECT_THROW(seen_by_numeric_dispatch(DType::String), InternalError);
}

TEST(ExecDtypeDispatch, WordWidthDispatchPicksAnUnsignedTypeOfThatSize) {
    for (size_t bytes : {1, 2, 4, 8}) {
        ASSERT_TRUE(exec::is_word_width(bytes));
        size_t seen = 0;
        bool is_unsigned = false;
        exec::dispatch_word_width(bytes, [&](auto word) {
            seen = sizeof(word);
            is_unsigned = std::is_unsigned_v<decltype(word)>;
        });
        EXPECT_EQ(seen, bytes);
        EXPECT_TRUE(is_unsigned);
    }
    EXPECT_FALSE(exec::is_word_width(3));
    EXPECT_THROW(exec::dispatch_word_width(3, [](auto) {}), InternalError);
}
