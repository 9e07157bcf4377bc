// workers: see workers.h.
#include "workers.h"

#include <system_error>

namespace policyd {

WorkerPool::WorkerPool(std::size_t max_threads, std::size_t max_queued)
    : max_threads_(max_threads), max_queued_(max_queued) {}

WorkerPool::~WorkerPool() { stop(); }

bool WorkerPool::submit(std::function<void()> job) {
    {
        std::lock_guard lock(mutex_);
        if (stopping_ || queue_.size() >= max_queued_) return false;
        queue_.push_back(std::move(job));
        // Every idle thread may already be claimed by an earlier queued job.
        if (queue_.size() > idle_ && threads_.size() < max_threads_) {
            try {
                threads_.emplace_back([this] { run(); });
            } catch (const std::system_error&) {
                // No thread now (resource limits): the running ones take the
                // job later; with none at all it is refused.
                if (threads_.empty()) {
                    queue_.pop_back();
                    return false;
                }
            }
        }
    }
    wake_.notify_one();
    return true;
}

void WorkerPool::stop() {
    std::vector<std::thread> threads;
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
        queue_.clear();
        threads.swap(threads_);
    }
    wake_.notify_all();
    for (auto& t : threads)
        if (t.joinable()) t.join();
}

std::size_t WorkerPool::threads() const {
    std::lock_guard lock(mutex_);
    return threads_.size();
}

void WorkerPool::run() {
    for (;;) {
        std::function<void()> job;
        {
            std::unique_lock lock(mutex_);
            ++idle_;
            wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
            --idle_;
            if (stopping_) return;
            job = std::move(queue_.front());
            queue_.pop_front();
        }
        job();
    }
}

}  // namespace policyd
