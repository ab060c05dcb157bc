// Evaluation labels: .npy of integers, text files of integers or class names, and alignment with sampling.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "espq/dataset.hpp"
#include "espq/npy.hpp"
#include "data_io_helpers.hpp"
#include "support.hpp"

namespace espq {
namespace {

std::string write_text(const std::string& name, const std::string& text) {
    const std::string path = test::temp_dir() + "/" + name;
    std::ofstream(path, std::ios::binary) << text;
    return path;
}

using test::user_error_message;

TEST(Labels, BenchNpy) {
    const std::string path = test::data_path("bench/fashion28/eval1000_labels.npy");
    const std::vector<int64_t> labels = load_labels(path, 1000);
    EXPECT_EQ(labels, load_npy(path).to_vector<int64_t>());
    EXPECT_CONTAINS(user_error_message([&] { load_labels(path, 999); }), "has 1000 entries but the data has 999 samples");
}

TEST(Labels, NpyShapesAndTypes) {
    const std::string dir = test::temp_dir();
    save_npy(dir + "/col.npy", Tensor::from<int32_t>({3, 1}, {2, 0, 1}));
    EXPECT_EQ(load_labels(dir + "/col.npy", 3), (std::vector<int64_t>{2, 0, 1}));
    save_npy(dir + "/u8.npy", Tensor::from<uint8_t>({2}, {9, 255}));
    EXPECT_EQ(load_labels(dir + "/u8.npy", 2), (std::vector<int64_t>{9, 255}));
    save_npy(dir + "/float.npy", Tensor::from<float>({2}, {1, 2}));
    EXPECT_CONTAINS(user_error_message([&] { load_labels(dir + "/float.npy", 2); }), "labels must be integers");
    save_npy(dir + "/matrix.npy", Tensor::from<int64_t>({2, 2}, {1, 2, 3, 4}));
    EXPECT_CONTAINS(user_error_message([&] { load_labels(dir + "/matrix.npy", 4); }), "has shape 2x2");
    save_npy(dir + "/neg.npy", Tensor::from<int64_t>({2}, {1, -1}));
    EXPECT_CONTAINS(user_error_message([&] { load_labels(dir + "/neg.npy", 2); }), "entry 1 is -1");
    EXPECT_CONTAINS(user_error_message([&] { load_labels(dir + "/missing.npy", 2); }), "missing.npy");
    EXPECT_CONTAINS(user_error_message([&] { load_labels(dir, 2); }), "is a folder");
}

TEST(Labels, TextIntegersAndNames) {
    std::vector<std::string> names = {"stale"};
    EXPECT_EQ(load_labels(write_text("ints.txt", "3\n0\r\n 12 \n\n\n"), 3, &names), (std::vector<int64_t>{3, 0, 12}));
    EXPECT_TRUE(names.empty());
    // Names: index among sorted unique names (byte order: "Dog" < "cat" < "dog").
    EXPECT_EQ(load_labels(write_text("names.txt", "dog\ncat\nDog\ncat\n"), 4, &names), (std::vector<int64_t>{2, 1, 0, 1}));
    EXPECT_EQ(names, (std::vector<std::string>{"Dog", "cat", "dog"}));
    // One non-integer line makes every line a name.
    EXPECT_EQ(load_labels(write_text("mixed.txt", "10\n9\nx"), 3, &names), (std::vector<int64_t>{0, 1, 2}));
    EXPECT_EQ(names, (std::vector<std::string>{"10", "9", "x"}));
    EXPECT_CONTAINS(user_error_message([] { load_labels(write_text("gap.txt", "1\n\n2\n"), 2); }), "line 2 is empty");
    EXPECT_CONTAINS(user_error_message([] { load_labels(write_text("neg.txt", "1\n-2\n"), 2); }), "entry 1 is -2");
    EXPECT_CONTAINS(user_error_message([] { load_labels(write_text("short.txt", "1\n2\n"), 3); }), "has 2 entries but the data has 3");
    EXPECT_EQ(load_labels(write_text("empty.txt", ""), 0), std::vector<int64_t>{});
}

TEST(Labels, FollowTheDatasetSelection) {
    DatasetOptions o;
    o.count = 20;
    o.seed = 3;
    const Dataset ds = Dataset::open(test::data_path("bench/fashion28/eval1000.npy"), {"in", {1, 1, 28, 28}}, o);
    const std::string path = test::data_path("bench/fashion28/eval1000_labels.npy");
    const std::vector<int64_t> all = load_npy(path).to_vector<int64_t>();
    const std::vector<int64_t> picked = ds.labels_from_file(path);
    ASSERT_EQ(picked.size(), 20u);
    for (size_t i = 0; i < 20; ++i) EXPECT_EQ(picked[i], all[ds.indices()[i]]);
    // Labels for the calibration set (256 samples) do not fit the evaluation set (1000).
    const std::string wrong = test::temp_dir() + "/wrong.npy";
    save_npy(wrong, Tensor(DType::Int64, {256}));
    EXPECT_CONTAINS(user_error_message([&] { ds.labels_from_file(wrong); }), "has 256 entries but the data has 1000");
}

}  // namespace
}  // namespace espq
