#include "lake/layout.h"

#include <gtest/gtest.h>

namespace lakestream::lake {
namespace {

TEST(Layout, DeterministicNames) {
  EXPECT_EQ(FinalFileName("mta", PartitionId{0}, 1, 0, "csv.gz"),
            "part-mta-p0-000000000001-0000.csv.gz");
  EXPECT_EQ(FinalFileName("mta-turnstile", PartitionId{12}, 42, 3, "parquet"),
            "part-mta-turnstile-p12-000000000042-0003.parquet");
  EXPECT_EQ(TempFileName("part-mta-p0-000000000001-0000.csv.gz"),
            ".part-mta-p0-000000000001-0000.csv.gz.tmp");
  EXPECT_EQ(TempFileName("part-mta-p0-000000000001-0000.csv.gz", "1f2e3d4c"),
            ".part-mta-p0-000000000001-0000.csv.gz.1f2e3d4c.tmp");
  EXPECT_TRUE(IsTempFileOfPartition(TempFileName("part-mta-p0-000000000001-0000.csv.gz", "1f2e3d4c"), "mta",
                                    PartitionId{0}));
  EXPECT_EQ(DatePartitionDir(MakeEventTime({2024, 7, 22}, 0)), "date=2024-07-22");
  EXPECT_EQ(DatePartitionDir(EventTime{-1}), "date=1969-12-31");
  EXPECT_EQ(CheckpointPath("/lake", "mta-turnstile", PartitionId{3}),
            "/lake/_checkpoints/mta-turnstile/3");
}

TEST(Layout, CheckpointTempFilesOfAPartition) {
  EXPECT_EQ(CheckpointTempName(PartitionId{3}, "1f2e3d4c"), ".3.1f2e3d4c.tmp");
  EXPECT_EQ(CheckpointTempName(PartitionId{3}, ""), ".3.tmp");
  struct Case {
    std::string name;
    int partition;
    bool want;
  };
  const Case cases[] = {
      {".3.1f2e3d4c.tmp", 3, true}, {".3.tmp", 3, true},          {".3.1f2e3d4c.tmp", 31, false},
      {".31.1f2e3d4c.tmp", 3, false}, {".31.tmp", 3, false},      {".3..tmp", 3, false},
      {".3.a.b.tmp", 3, false},       {".3.1f2e3d4c", 3, false},  {"3.1f2e3d4c.tmp", 3, false},
      {".3", 3, false},               {".3tmp", 3, false},        {".3.1f2e3d4c.tmp.x", 3, false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(IsCheckpointTempOfPartition(c.name, PartitionId{c.partition}), c.want) << c.name << " p" << c.partition;
  }
}

TEST(Layout, TempFilesOfAPartition) {
  struct Case {
    std::string name;
    std::string topic;
    int partition;
    bool want;
  };
  const Case cases[] = {
      {".part-t-p1-000000000001-0000.csv.gz.tmp", "t", 1, true},
      {".part-t-p1-000000000001-0000.csv.gz.tmp", "t", 12, false},
      {".part-t-p12-000000000001-0000.csv.gz.tmp", "t", 1, false},
      {".part-t-p1-000000000001-0000.csv.gz.tmp", "u", 1, false},
      {"part-t-p1-000000000001-0000.csv.gz", "t", 1, false},
      {".part-t-p1-000000000001-0000.csv.gz", "t", 1, false},
      {".part-t-p1-.tmp", "t", 1, false},
      // Another topic whose name starts like "<t>-p1-": never this partition's.
      {".part-t-p1-000000000001-p0-000000000001-0000.csv.gz.tmp", "t", 1, false},
      {".part-t-p1-x-p0-000000000001-0000.csv.gz.tmp", "t", 1, false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(IsTempFileOfPartition(c.name, c.topic, PartitionId{c.partition}), c.want) << c.name;
  }
}

TEST(Layout, Validation) {
  EXPECT_TRUE(ValidateRelativeDir("turnstile").ok());
  EXPECT_TRUE(ValidateRelativeDir("_dead_letters/mta").ok());
  for (const char* bad : {"", "/abs", "a//b", "a/../b", "./a", "a/"}) {
    EXPECT_EQ(ValidateRelativeDir(bad).code(), StatusCode::kInvalidArgument) << bad;
  }
}

TEST(Layout, LocalLakeRoot) {
  struct Case {
    const char* root;
    const char* path;  // nullptr: refused
  } cases[] = {
      {"lake", "lake"},
      {"/data/lake", "/data/lake"},
      {"./a://b", "./a://b"},  // not a URL: a scheme starts with a letter and has no '/'
      {"file:///data/lake", "/data/lake"},
      {"file://data/lake", nullptr},  // file:// needs an absolute path
      {"s3://bucket/lake", nullptr},
      {"gs://bucket/lake", nullptr},
      {"abfss://c@account.dfs.core.windows.net/lake", nullptr},
      {"hdfs://nn:8020/lake", nullptr},
  };
  for (const Case& c : cases) {
    Result<std::string> r = LocalLakeRoot(c.root);
    if (c.path != nullptr) {
      ASSERT_TRUE(r.ok()) << c.root << ": " << r.status().message();
      EXPECT_EQ(*r, c.path);
    } else {
      EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << c.root;
    }
  }
  EXPECT_EQ(LocalLakeRoot("s3://bucket/lake").status().message(),
            "lake 's3://bucket/lake': s3:// URLs are not supported; the lake is a local folder (exactly once rests "
            "on fsync and rename there): give a local path, or a mount of the bucket (s3fs, gcsfuse, blobfuse2), or "
            "sync a local lake to it after each commit");
}

}  // namespace
}  // namespace lakestream::lake
