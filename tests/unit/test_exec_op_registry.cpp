// exec::OpRegistry (the float executor's and the emulator's operator tables).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "emu/emu_op.hpp"
#include "espq/float_ops.hpp"
#include "exec/op_registry.hpp"

using namespace espq;

TEST(ExecOpRegistry, FindsEntriesListsTypesSortedAndRejectsDuplicates) {
    exec::OpRegistry<int> registry("test");
    registry.add("Relu", 1);
    registry.add("Add", 2);
    registry.add("Conv", 3);
    ASSERT_NE(registry.find("Add"), nullptr);
    EXPECT_EQ(*registry.find("Add"), 2);
    EXPECT_EQ(*registry.find("Relu"), 1);
    EXPECT_EQ(registry.find("add"), nullptr);  // op types are case-sensitive, as in ONNX
    EXPECT_EQ(registry.op_types(), (std::vector<std::string>{"Add", "Conv", "Relu"}));
    try {
        registry.add("Conv", 4);
        FAIL() << "no exception";
    } catch (const InternalError& e) {
        EXPECT_STREQ(e.what(), "test op 'Conv' registered twice");
    }
    EXPECT_EQ(*registry.find("Conv"), 3);  // the first registration stays
}

// Both executors' tables are filled by their operator files' static initialisers.
TEST(ExecOpRegistry, BothExecutorsRegisterTheirOperators) {
    for (const char* op : {"Add", "Conv", "Transpose", "Slice", "Concat", "Split"}) {
        EXPECT_NE(find_float_op(op), nullptr) << op;
        EXPECT_NE(emu::find_emu_op(op), nullptr) << op;
    }
    const std::vector<std::string> float_ops = float_op_types(), emu_ops = emu::emu_op_types();
    EXPECT_TRUE(std::is_sorted(float_ops.begin(), float_ops.end()));
    EXPECT_TRUE(std::is_sorted(emu_ops.begin(), emu_ops.end()));
    EXPECT_EQ(find_float_op("NoSuchOp"), nullptr);
    EXPECT_EQ(emu::find_emu_op("NoSuchOp"), nullptr);
    EXPECT_THROW(register_float_op(*find_float_op("Add")), InternalError);
}
