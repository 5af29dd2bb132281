#include "lake/table_windows.h"

#include <gtest/gtest.h>

#include <fstream>

#include "lake/lake_test_util.h"

namespace lakestream::lake {
namespace {

TEST(TableWindows, MarksAreNamesThatJobsAddAndLoadReads) {
  const std::string root = testing::FreshTestDir();
  // No table, or a table of an older lakestream: nothing is known.
  ASSERT_TRUE(TableWindows(root, "turnstile").ok());
  EXPECT_TRUE(TableWindows(root, "turnstile")->empty());

  ASSERT_TRUE(MarkTableWindow(root, "turnstile", {300, 300}).ok());
  ASSERT_TRUE(MarkTableWindow(root, "turnstile", {300, 300}).ok());  // a second member of the group
  ASSERT_TRUE(MarkTableWindow(root, "turnstile", {3600, 900}).ok());  // another topic into the table
  ASSERT_TRUE(MarkTableWindow(root, "rides", {600, 300}).ok());
  EXPECT_EQ(testing::Snapshot(root + "/turnstile"),
            (std::map<std::string, std::string>{{"_windows/300s-300s", ""}, {"_windows/3600s-900s", ""}}));

  // Entries that are not marks are ignored.
  for (const char* junk : {"300s", "300s-", "0s-300s", "-5s-5s", "300s-300", "300s-300sx", "a300s-300s", ".300s-300s.tmp"}) {
    std::ofstream(root + "/turnstile/_windows/" + junk) << "";
  }
  auto marks = TableWindows(root, "turnstile");
  ASSERT_TRUE(marks.ok()) << marks.status().ToString();
  EXPECT_EQ(*marks, (std::vector<TableWindow>{{300, 300}, {3600, 900}}));
  EXPECT_FALSE((*marks)[0].hopping());
  EXPECT_TRUE((*marks)[1].hopping());
  EXPECT_EQ(*TableWindows(root, "rides"), (std::vector<TableWindow>{{600, 300}}));
}

}  // namespace
}  // namespace lakestream::lake
