#include "process/topic_guard.h"

#include <gtest/gtest.h>

#include <deque>

namespace lakestream::process {
namespace {

using Clock = TopicGuard::Clock;

// A cluster whose answers are given in turn; counts the questions.
struct FakeCluster {
  std::deque<Result<std::optional<std::string>>> answers;
  int asked = 0;
  TopicGuard::DescribeFn Fn() {
    return [this](const std::string& topic) -> Result<std::optional<std::string>> {
      EXPECT_EQ(topic, "t");
      ++asked;
      if (answers.empty()) return Status::Internal("no more answers");
      auto a = std::move(answers.front());
      answers.pop_front();
      return a;
    };
  }
};

Result<std::optional<std::string>> Id(const std::string& id) { return std::optional<std::string>(id); }

TEST(TopicGuard, ACheckCoversTheCommitsReadBeforeItBeganAndOnlyThose) {
  FakeCluster cluster;
  cluster.answers = {Id("A"), Id("A"), Id("A")};
  auto guard = TopicGuard::Start({"t"}, cluster.Fn());
  ASSERT_TRUE(guard->active());
  const Clock::time_point read = Clock::now();
  EXPECT_TRUE(guard->Check("t", read).ok());  // read after the start's question: asks
  EXPECT_EQ(cluster.asked, 2);
  EXPECT_TRUE(guard->Check("t", read).ok());  // covered by that check
  EXPECT_TRUE(guard->Check("other", Clock::now()).ok());  // not a topic the job started on
  EXPECT_EQ(cluster.asked, 2);
  EXPECT_TRUE(guard->Check("t", Clock::now()).ok());  // read since: asks again
  EXPECT_EQ(cluster.asked, 3);
}

TEST(TopicGuard, ARecreatedOrDeletedTopicStopsTheCommit) {
  struct Case {
    const char* name;
    Result<std::optional<std::string>> answer;
    StatusCode code;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"re-created", Id("B"), StatusCode::kDataLoss,
       "topic 't' was deleted and created again while the job ran (its id was A, now B): the consumer went on at the "
       "old topic's offsets, past records of the new one it never read, so nothing read since the last commit is "
       "committed"},
      {"deleted", Status::NotFound("describing topic 't': no such topic"), StatusCode::kFailedPrecondition,
       "topic 't' was deleted while the job ran: what was read since the last commit is not committed"},
  };
  for (const Case& c : cases) {
    FakeCluster cluster;
    cluster.answers = {Id("A"), c.answer, Id("A")};
    auto guard = TopicGuard::Start({"t"}, cluster.Fn());
    const Clock::time_point read = Clock::now();
    const Status st = guard->Check("t", read);
    EXPECT_EQ(st.code(), c.code) << c.name;
    EXPECT_EQ(st.message(), c.message) << c.name;
    // A failed check covers nothing: the next commit asks again.
    EXPECT_TRUE(guard->Check("t", read).ok()) << c.name;
    EXPECT_EQ(cluster.asked, 3) << c.name;
  }
}

// A cluster that does not answer (gone at a stop, which commits what was read): a warning,
// once an outage, and the commits waiting for that check go on without asking again.
TEST(TopicGuard, AClusterThatDoesNotAnswerIsWarnedOfOnceAndTheCommitsGoOn) {
  FakeCluster cluster;
  const Status silent = Status::Unavailable("describing topic 't': timed out");
  cluster.answers = {Id("A"), silent, silent, Id("A"), silent};
  std::vector<std::string> warnings;
  auto guard = TopicGuard::Start({"t"}, cluster.Fn(), [&](const std::string& w) { warnings.push_back(w); });
  const Clock::time_point read = Clock::now();
  EXPECT_TRUE(guard->Check("t", read).ok());
  EXPECT_TRUE(guard->Check("t", read).ok());  // queued behind it: not asked again
  EXPECT_EQ(cluster.asked, 2);
  EXPECT_TRUE(guard->Check("t", Clock::now()).ok());  // still silent: no second warning
  EXPECT_EQ(warnings, std::vector<std::string>{
                          "cannot check that topic 't' is still the one this job started on (describing topic 't': "
                          "timed out); committing without that check while the cluster does not answer"});
  EXPECT_TRUE(guard->Check("t", Clock::now()).ok());  // answers again
  EXPECT_TRUE(guard->Check("t", Clock::now()).ok());  // a new outage: warned of again
  EXPECT_EQ(warnings.size(), 2u);
  EXPECT_EQ(cluster.asked, 5);
}

TEST(TopicGuard, WithoutTopicIdsNothingIsChecked) {
  FakeCluster cluster;
  cluster.answers = {std::optional<std::string>()};
  auto guard = TopicGuard::Start({"t"}, cluster.Fn());
  EXPECT_FALSE(guard->active());
  EXPECT_TRUE(guard->Check("t", Clock::now()).ok());
  EXPECT_EQ(cluster.asked, 1);
}

// A topic missing at the start (the job says so when it reads) or a cluster that did not
// answer: the first check learns the id, and compares from then on.
TEST(TopicGuard, AnIdUnknownAtTheStartIsLearnedAtTheFirstCheck) {
  for (Status first : {Status::Unavailable("describing topic 't': timed out"),
                       Status::NotFound("describing topic 't': no such topic")}) {
    FakeCluster cluster;
    cluster.answers = {first, Id("A"), Id("B")};
    auto guard = TopicGuard::Start({"t"}, cluster.Fn());
    ASSERT_TRUE(guard->active());
    EXPECT_TRUE(guard->Check("t", Clock::now()).ok());
    EXPECT_EQ(guard->Check("t", Clock::now()).code(), StatusCode::kDataLoss);
    EXPECT_EQ(cluster.asked, 3);
  }
}

}  // namespace
}  // namespace lakestream::process
