// workers: up to a fixed number of threads running queued jobs (policy
// fetches), with a bounded queue: submit() refuses instead of growing
// without limit. Threads start on demand (a job queued while no thread is
// idle starts one, up to the limit) and then stay: a daemon that only
// answers from its cache runs none, and pays no stack or malloc arena for
// them. When no thread can be started and none runs, submit() refuses the
// job. stop() drops jobs not yet started and joins the threads (a job
// already running finishes: a fetch is bounded by sts_fetch_timeout).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace policyd {

class WorkerPool {
public:
    WorkerPool(std::size_t max_threads, std::size_t max_queued);
    ~WorkerPool();
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    bool submit(std::function<void()> job);  // false: queue full or stopping
    void stop();
    std::size_t threads() const;  // started so far

private:
    void run();

    std::size_t max_threads_;
    std::size_t max_queued_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::function<void()>> queue_;
    std::size_t idle_ = 0;  // threads waiting for a job
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

}  // namespace policyd
