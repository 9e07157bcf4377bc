// fake_policy_source: a PolicySource for driving the real server over real
// sockets without DNS or HTTPS: cached answers per domain, what a fetch
// returns, call counts, and a gate that holds fetches until a test opens it
// (or the server cancels its fetches).
// A finished fetch of an enforce/testing policy fills the "cache" as the
// engine does; a failed revalidation (fallback: the cached policy kept)
// leaves the cached answer as it was, and so does a result not stored.
#pragma once

#include <condition_variable>
#include <map>
#include <mutex>
#include <string>

#include "source.h"

namespace testing {

class FakePolicySource : public policyd::PolicySource {
public:
    static sts::Policy policy(sts::Mode mode, std::vector<std::string> mx) {
        sts::Policy p;
        p.mode = mode;
        p.max_age = 86400;
        p.mx = std::move(mx);
        return p;
    }

    void set_cached(const std::string& domain, sts::Lookup lookup) {
        std::lock_guard lock(mutex_);
        cached_[domain] = std::move(lookup);
    }
    void set_fetch(const std::string& domain, sts::GetResult result) {
        std::lock_guard lock(mutex_);
        fetch_[domain] = std::move(result);
    }
    void close_gate() {
        std::lock_guard lock(mutex_);
        gate_open_ = false;
    }
    void open_gate() {
        {
            std::lock_guard lock(mutex_);
            gate_open_ = true;
        }
        changed_.notify_all();
    }

    int lookups(const std::string& domain) {
        std::lock_guard lock(mutex_);
        return lookups_[domain];
    }
    int total_lookups() {
        std::lock_guard lock(mutex_);
        int n = 0;
        for (const auto& [d, c] : lookups_) n += c;
        return n;
    }
    int gets(const std::string& domain) {
        std::lock_guard lock(mutex_);
        return gets_[domain];
    }
    // Blocks until `domain` was looked up `n` times / fetched `n` times.
    void wait_lookups(const std::string& domain, int n) {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [&] { return lookups_[domain] >= n; });
    }
    void wait_gets_done(const std::string& domain, int n) {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [&] { return gets_done_[domain] >= n; });
    }
    void wait_gets_started(const std::string& domain, int n) {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [&] { return gets_[domain] >= n; });
    }

    sts::Lookup lookup_cached(std::string_view domain) override {
        std::lock_guard lock(mutex_);
        std::string d(domain);
        ++lookups_[d];
        changed_.notify_all();
        auto it = cached_.find(d);
        return it == cached_.end() ? sts::Lookup{} : it->second;
    }

    sts::GetResult get(std::string_view domain, const config::Config&) override {
        std::unique_lock lock(mutex_);
        std::string d(domain);
        ++gets_[d];
        changed_.notify_all();
        changed_.wait(lock, [&] { return gate_open_; });
        sts::GetResult result = fetch_.count(d) ? fetch_[d] : sts::GetResult{};
        // A kept policy leaves the row as it was, still due; an unstored one leaves none.
        if (result.policy && !result.fallback && result.stored) {
            sts::Lookup fresh;
            fresh.state = sts::CacheState::Fresh;
            fresh.policy = result.policy;
            fresh.policy_text = result.policy_text;
            cached_[d] = fresh;
        }
        ++gets_done_[d];
        changed_.notify_all();
        return result;
    }

    sts::RefreshStats refresh(const config::Config&, const std::atomic<bool>&) override { return {}; }

    // As the engine's: fetches held at the gate end now.
    void cancel() override {
        {
            std::lock_guard lock(mutex_);
            cancelled_ = true;
            gate_open_ = true;
        }
        changed_.notify_all();
    }
    bool cancelled() {
        std::lock_guard lock(mutex_);
        return cancelled_;
    }

private:
    std::mutex mutex_;
    std::condition_variable changed_;
    bool gate_open_ = true;
    bool cancelled_ = false;
    std::map<std::string, sts::Lookup> cached_;
    std::map<std::string, sts::GetResult> fetch_;
    std::map<std::string, int> lookups_;
    std::map<std::string, int> gets_;
    std::map<std::string, int> gets_done_;
};

}  // namespace testing
