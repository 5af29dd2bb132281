#include "process/commit_queue.h"

namespace lakestream::process {

CommitQueue::CommitQueue(size_t max_queued) : max_queued_(max_queued), thread_([this] { Run(); }) {}

CommitQueue::~CommitQueue() {
  {
    std::unique_lock lock(mu_);
    changed_.wait(lock, [this] { return jobs_.empty() && !running_job_; });
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void CommitQueue::Submit(std::function<Status()> job) {
  {
    std::unique_lock lock(mu_);
    changed_.wait(lock, [this] { return jobs_.size() < max_queued_; });
    jobs_.push_back(std::move(job));
  }
  changed_.notify_all();
}

Status CommitQueue::Drain() {
  std::unique_lock lock(mu_);
  changed_.wait(lock, [this] { return jobs_.empty() && !running_job_; });
  return error_;
}

Status CommitQueue::error() {
  std::lock_guard lock(mu_);
  return error_;
}

void CommitQueue::Run() {
  while (true) {
    std::function<Status()> job;
    {
      std::unique_lock lock(mu_);
      changed_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // stopping
      job = std::move(jobs_.front());
      jobs_.pop_front();
      running_job_ = true;
    }
    changed_.notify_all();  // a Submit may wait for room
    Status st = job();
    {
      std::lock_guard lock(mu_);
      running_job_ = false;
      if (!st.ok() && error_.ok()) error_ = st;
    }
    changed_.notify_all();
  }
}

}  // namespace lakestream::process
