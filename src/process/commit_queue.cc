#include "process/commit_queue.h"

#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>

namespace lakestream::process {

CommitQueue::CommitQueue(Options options) : options_(options) {
  const size_t n = std::max<size_t>(options_.threads, 1);
  for (size_t i = 0; i < n; ++i) threads_.emplace_back([this] { Run(); });
}

CommitQueue::~CommitQueue() {
  {
    std::unique_lock lock(mu_);
    changed_.wait(lock, [this] { return jobs_.empty() && running_.empty(); });
    stopping_ = true;
  }
  changed_.notify_all();
  for (std::thread& t : threads_) t.join();
}

void CommitQueue::Submit(const void* key, std::function<Status()> job) {
  {
    std::unique_lock lock(mu_);
    changed_.wait(lock, [this] { return jobs_.size() < std::max<size_t>(options_.max_queued, 1); });
    jobs_.push_back(Job{key, std::move(job)});
  }
  changed_.notify_all();
}

Status CommitQueue::Drain() {
  std::unique_lock lock(mu_);
  changed_.wait(lock, [this] { return jobs_.empty() && running_.empty(); });
  return error_;
}

void CommitQueue::Forget(const void* key) {
  std::lock_guard lock(mu_);
  failed_.erase(std::remove(failed_.begin(), failed_.end(), key), failed_.end());
}

Status CommitQueue::error() {
  std::lock_guard lock(mu_);
  return error_;
}

std::deque<CommitQueue::Job>::iterator CommitQueue::NextRunnable() {
  return std::find_if(jobs_.begin(), jobs_.end(), [this](const Job& j) {
    return std::find(running_.begin(), running_.end(), j.key) == running_.end();
  });
}

void CommitQueue::Run() {
  pthread_setname_np(pthread_self(), "ls-commit");  // as top -H and perf show it
  // Commits are throughput work behind the processing thread, which feeds them and the
  // fetching: when the job's threads outnumber the cores, the processing thread should
  // get the core. Nice 10 (any user may lower a thread's priority): the 4M-record
  // benchmark ran ~5% faster on 2 cores. The queue's bound still holds the memory.
  setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), 10);
  while (true) {
    Job job;
    {
      std::unique_lock lock(mu_);
      changed_.wait(lock, [this] { return stopping_ || NextRunnable() != jobs_.end(); });
      auto it = NextRunnable();
      if (it == jobs_.end()) return;  // stopping (the destructor waits until all ran)
      job = std::move(*it);
      jobs_.erase(it);
      running_.push_back(job.key);
    }
    changed_.notify_all();  // a Submit may wait for room
    bool stopped;
    {
      std::lock_guard lock(mu_);
      stopped = std::find(failed_.begin(), failed_.end(), job.key) != failed_.end();
    }
    Status st = stopped ? Status::Ok() : job.run();  // a stopped key's job is dropped
    {
      std::lock_guard lock(mu_);
      running_.erase(std::find(running_.begin(), running_.end(), job.key));
      if (!st.ok()) {
        if (error_.ok()) error_ = st;
        failed_.push_back(job.key);
      }
    }
    changed_.notify_all();  // the key's next job may run now; Drain may be done
  }
}

}  // namespace lakestream::process
