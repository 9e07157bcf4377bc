// workers: a fixed set of threads running queued jobs (policy fetches), with
// a bounded queue: submit() refuses instead of growing without limit.
// stop() drops jobs not yet started and joins the threads (a job already
// running finishes: a fetch is bounded by sts_fetch_timeout).
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
    WorkerPool(std::size_t threads, std::size_t max_queued);
    ~WorkerPool();
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    bool submit(std::function<void()> job);  // false: queue full or stopping
    void stop();

private:
    void run();

    std::size_t max_queued_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::function<void()>> queue_;
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

}  // namespace policyd
