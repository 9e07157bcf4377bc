// refresher: the periodic background refresh of the policy cache
// (sts::refresh through PolicySource::refresh): every sts_refresh_interval
// (read from the current configuration snapshot, so SIGHUP changes it),
// on its own thread, logged with its counts. The engine bounds the number of
// concurrent fetches by sts_refresh_concurrency. stop() wakes the thread and
// joins it; a refresh already running starts no further row and ends when
// the fetches it runs end (each bounded by dns_timeout and sts_fetch_timeout,
// and cut short when the server cancels its fetches: PolicySource::cancel).
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "server.h"
#include "source.h"

namespace policyd {

class Refresher {
public:
    Refresher(PolicySource& source, ConfigHolder& config);
    ~Refresher();
    Refresher(const Refresher&) = delete;
    Refresher& operator=(const Refresher&) = delete;
    void request_stop();  // any thread: no new refresh, no further row of a running one
    void stop();          // request_stop(), then joins the thread

private:
    void run();

    PolicySource& source_;
    ConfigHolder& config_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::atomic<bool> stop_refresh_{false};  // read by a running refresh
    std::thread thread_;
};

}  // namespace policyd
