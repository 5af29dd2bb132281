#include "lake/layout.h"

#include <gtest/gtest.h>

namespace lakestream::lake {
namespace {

TEST(Layout, DeterministicNames) {
  EXPECT_EQ(FinalFileName(PartitionId{0}, 1, 0, "csv.gz"), "part-p0-000000000001-0000.csv.gz");
  EXPECT_EQ(FinalFileName(PartitionId{12}, 42, 3, "parquet"),
            "part-p12-000000000042-0003.parquet");
  EXPECT_EQ(TempFileName("part-p0-000000000001-0000.csv.gz"),
            ".part-p0-000000000001-0000.csv.gz.tmp");
  EXPECT_EQ(DatePartitionDir(MakeEventTime({2024, 7, 22}, 0)), "date=2024-07-22");
  EXPECT_EQ(DatePartitionDir(EventTime{-1}), "date=1969-12-31");
  EXPECT_EQ(CheckpointPath("/lake", "mta-turnstile", PartitionId{3}),
            "/lake/_checkpoints/mta-turnstile/3");
}

TEST(Layout, TempFilesOfAPartition) {
  struct Case {
    std::string name;
    int partition;
    bool want;
  };
  const Case cases[] = {
      {".part-p1-000000000001-0000.csv.gz.tmp", 1, true},
      {".part-p1-000000000001-0000.csv.gz.tmp", 12, false},
      {".part-p12-000000000001-0000.csv.gz.tmp", 1, false},
      {"part-p1-000000000001-0000.csv.gz", 1, false},
      {".part-p1-000000000001-0000.csv.gz", 1, false},
      {".part-p1-.tmp", 1, false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(IsTempFileOfPartition(c.name, PartitionId{c.partition}), c.want) << c.name;
  }
}

TEST(Layout, Validation) {
  EXPECT_TRUE(ValidateTopicName("mta-turnstile").ok());
  EXPECT_TRUE(ValidateTopicName("a.b_C-9").ok());
  for (const char* bad : {"", ".", "..", "a/b", "a b"}) {
    EXPECT_EQ(ValidateTopicName(bad).code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_TRUE(ValidateRelativeDir("turnstile").ok());
  EXPECT_TRUE(ValidateRelativeDir("_dead_letters/mta").ok());
  for (const char* bad : {"", "/abs", "a//b", "a/../b", "./a", "a/"}) {
    EXPECT_EQ(ValidateRelativeDir(bad).code(), StatusCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace lakestream::lake
