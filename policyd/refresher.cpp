// refresher: see refresher.h.
#include "refresher.h"

#include <chrono>

#include "log.h"

namespace policyd {

Refresher::Refresher(PolicySource& source, ConfigHolder& config)
    : source_(source), config_(config), thread_([this] { run(); }) {}

Refresher::~Refresher() { stop(); }

void Refresher::request_stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    stop_refresh_ = true;
    wake_.notify_all();
}

void Refresher::stop() {
    request_stop();
    if (thread_.joinable()) thread_.join();
}

void Refresher::run() {
    for (;;) {
        auto interval = config_.get()->duration("sts_refresh_interval");
        {
            std::unique_lock lock(mutex_);
            if (wake_.wait_for(lock, interval, [this] { return stopping_; })) return;
        }
        auto config = config_.get();
        auto start = std::chrono::steady_clock::now();
        try {
            sts::RefreshStats stats = source_.refresh(*config, stop_refresh_);
            auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
            std::string refreshed = std::to_string(stats.refreshed), failed = std::to_string(stats.failed),
                        dropped = std::to_string(stats.dropped), ms = std::to_string(took.count()) + "ms";
            logging::info("refresh " + logging::fields({{"refreshed", refreshed},
                                                        {"failed", failed},
                                                        {"dropped", dropped},
                                                        {"took", ms}}));
        } catch (const std::exception& e) {
            logging::error(std::string("refresh failed: ") + e.what());
        }
    }
}

}  // namespace policyd
