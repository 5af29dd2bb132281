#include "core/status.h"

#include <gtest/gtest.h>

namespace lakestream {
namespace {

Result<int> Half(int x) {
  if (x % 2 != 0) return Status::InvalidArgument(std::to_string(x) + " is odd");
  return x / 2;
}

Status Quarter(int x, int* out) {
  LS_ASSIGN_OR_RETURN(int h, Half(x));
  LS_ASSIGN_OR_RETURN(*out, Half(h));
  return Status::Ok();
}

TEST(Status, OkAndErrorsCopyMoveAndReport) {
  Status ok;
  EXPECT_TRUE(ok.ok());
  EXPECT_EQ(ok.code(), StatusCode::kOk);
  EXPECT_EQ(ok.message(), "");
  EXPECT_EQ(ok.ToString(), "OK");
  EXPECT_TRUE(Status(StatusCode::kOk, "ignored").ok());

  Status e = Status::DataLoss("checkpoint: bad");
  EXPECT_FALSE(e.ok());
  Status copy = e;  // a copy owns its own message
  e = Status::Ok();
  EXPECT_TRUE(e.ok());
  EXPECT_EQ(copy.code(), StatusCode::kDataLoss);
  EXPECT_EQ(copy.ToString(), "DataLoss: checkpoint: bad");
  Status moved = std::move(copy);
  EXPECT_EQ(moved.message(), "checkpoint: bad");
  copy = moved;
  EXPECT_EQ(copy.message(), moved.message());
  copy = copy;  // self-assignment keeps it
  EXPECT_EQ(copy.message(), "checkpoint: bad");
  Status from = Status::FromErrno(ENOENT, "open", "/x");
  EXPECT_EQ(from.code(), StatusCode::kIoError);
  EXPECT_EQ(from.message(), "cannot open '/x': No such file or directory");
}

TEST(Status, MacrosReturnTheFirstError) {
  int out = 0;
  EXPECT_TRUE(Quarter(12, &out).ok());
  EXPECT_EQ(out, 3);
  Status st = Quarter(6, &out);  // 6 -> 3, odd
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message(), "3 is odd");
  Result<int> r = Half(5);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "5 is odd");
  EXPECT_TRUE(Half(4).status().ok());
}

}  // namespace
}  // namespace lakestream
