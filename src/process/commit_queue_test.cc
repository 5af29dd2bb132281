#include "process/commit_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace lakestream::process {
namespace {

using std::chrono::seconds;

// A gate jobs wait on until the test opens it; a bounded wait, so a broken queue fails
// the test instead of hanging it.
class Gate {
 public:
  void Open() {
    {
      std::lock_guard lock(mu_);
      open_ = true;
    }
    cv_.notify_all();
  }
  bool Wait() { return WaitFor(seconds(30)); }
  bool WaitFor(std::chrono::milliseconds limit) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, limit, [this] { return open_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

// Records what jobs did, in order.
struct Log {
  std::mutex mu;
  std::vector<std::string> entries;
  void Add(std::string e) {
    std::lock_guard lock(mu);
    entries.push_back(std::move(e));
  }
};

TEST(CommitQueue, EachKeysJobsRunInSubmissionOrder) {
  // Interleaved submissions of three keys on several threads: per key the order holds.
  struct Case {
    size_t threads;
    size_t max_queued;
  };
  for (const Case& c : {Case{1, 1}, Case{2, 6}, Case{4, 2}}) {
    SCOPED_TRACE("threads " + std::to_string(c.threads) + ", max_queued " +
                 std::to_string(c.max_queued));
    Log log;
    const int keys[3] = {0, 1, 2};
    {
      CommitQueue q(CommitQueue::Options{c.threads, c.max_queued});
      for (int i = 0; i < 60; ++i) {
        const int k = i % 3;
        q.Submit(&keys[k], [&log, k, i] {
          log.Add(std::to_string(k) + ":" + std::to_string(i));
          return Status::Ok();
        });
      }
      ASSERT_TRUE(q.Drain().ok());
      EXPECT_EQ(log.entries.size(), 60u);
    }
    std::map<int, std::vector<int>> seen;
    for (const std::string& e : log.entries) {
      seen[std::stoi(e.substr(0, 1))].push_back(std::stoi(e.substr(2)));
    }
    for (int k = 0; k < 3; ++k) {
      std::vector<int> want;
      for (int i = k; i < 60; i += 3) want.push_back(i);
      EXPECT_EQ(seen[k], want) << "key " << k;
    }
  }
}

TEST(CommitQueue, DifferentKeysRunAtOnceAndOneKeyNever) {
  CommitQueue q(CommitQueue::Options{2, 6});
  const int a = 0, b = 0;
  Gate a_started, b_started;
  std::atomic<int> a_running{0}, a_max{0};
  std::atomic<bool> b_saw_a_running{false};
  bool a_waited = true;
  // A's first job holds its thread until B's job has run: only possible if B runs on the
  // second thread while A's first runs. A's second job must wait for A's first.
  q.Submit(&a, [&] {
    a_max = std::max(a_max.load(), ++a_running);  // one thread per key: no race here
    a_started.Open();
    a_waited = b_started.Wait();
    --a_running;
    return Status::Ok();
  });
  q.Submit(&a, [&] {
    a_max = std::max(a_max.load(), ++a_running);
    --a_running;
    return Status::Ok();
  });
  q.Submit(&b, [&] {
    b_saw_a_running = a_started.Wait() && a_running.load() == 1;
    b_started.Open();
    return Status::Ok();
  });
  ASSERT_TRUE(q.Drain().ok());
  EXPECT_TRUE(a_waited) << "B's job did not run while A's first job ran";
  EXPECT_TRUE(b_saw_a_running.load());
  EXPECT_EQ(a_max.load(), 1);
}

TEST(CommitQueue, DrainReturnsTheFirstFailureAndLaterJobsStillRun) {
  CommitQueue q(CommitQueue::Options{2, 6});
  const int a = 0, b = 0;
  std::atomic<int> ran{0};
  q.Submit(&a, [&] {
    ++ran;
    return Status::IoError("disk full at a");
  });
  ASSERT_TRUE(q.Drain().code() == StatusCode::kIoError);
  q.Submit(&b, [&] {
    ++ran;
    return Status::InvalidArgument("second failure");
  });
  const Status st = q.Drain();
  EXPECT_EQ(st.code(), StatusCode::kIoError);
  EXPECT_EQ(st.message(), "disk full at a");
  EXPECT_EQ(ran.load(), 2);
  EXPECT_EQ(q.error().message(), "disk full at a");
}

// A later snapshot of a partition covers the records of a failed one: running it would
// commit past rows that never reached the lake. So a key's jobs after a failure are
// dropped, queued before or after it failed; other keys go on.
TEST(CommitQueue, AFailedJobStopsItsKeysLaterJobs) {
  CommitQueue q(CommitQueue::Options{1, 6});
  const int a = 0, b = 0;
  std::vector<std::string> ran;  // one thread: no race
  auto job = [&](std::string name, Status st) {
    return [&ran, name, st] {
      ran.push_back(name);
      return st;
    };
  };
  q.Submit(&a, job("a1", Status::Ok()));
  q.Submit(&a, job("a2", Status::IoError("publish failed")));
  q.Submit(&a, job("a3", Status::Ok()));  // queued before a2 failed
  q.Submit(&b, job("b1", Status::Ok()));
  EXPECT_EQ(q.Drain().message(), "publish failed");
  q.Submit(&a, job("a4", Status::Ok()));  // after
  q.Submit(&b, job("b2", Status::Ok()));
  EXPECT_EQ(q.Drain().message(), "publish failed");
  EXPECT_EQ(ran, (std::vector<std::string>{"a1", "a2", "b1", "b2"}));
  // Forgotten (its owner gone): a new owner at the same address runs; the failure stays.
  q.Forget(&a);
  q.Submit(&a, job("a5", Status::Ok()));
  EXPECT_EQ(q.Drain().message(), "publish failed");
  EXPECT_EQ(ran.back(), "a5");
}

TEST(CommitQueue, SubmitWaitsForRoomBeyondMaxQueued) {
  // One thread held by a gated job, room for one more: the third Submit must wait until
  // the gate opens and the second job leaves the queue.
  CommitQueue q(CommitQueue::Options{1, 1});
  const int k = 0;
  Gate gate, first_running, third_submitted;
  std::atomic<bool> gate_opened{false}, opened_before_return{false};
  q.Submit(&k, [&] {
    first_running.Open();
    return gate.Wait() ? Status::Ok() : Status::Internal("gate never opened");
  });
  ASSERT_TRUE(first_running.Wait());
  q.Submit(&k, [] { return Status::Ok(); });  // queued: the room for one
  std::thread submitter([&] {
    q.Submit(&k, [] { return Status::Ok(); });
    opened_before_return = gate_opened.load();
    third_submitted.Open();
  });
  // A wait for something that must not happen: bounded, and long enough for a queue that
  // does not block to let the submitter through.
  EXPECT_FALSE(third_submitted.WaitFor(std::chrono::milliseconds(300)));
  gate_opened = true;
  gate.Open();
  submitter.join();
  EXPECT_TRUE(opened_before_return.load());
  EXPECT_TRUE(q.Drain().ok());
}

}  // namespace
}  // namespace lakestream::process
