// fake_sts: fakes for the MTA-STS store logic in unit tests.
//
// FakeFetcher  an sts::Fetcher answering from a table keyed by domain
//              (unknown domains: a fetch error), counting fetches per domain;
//              thread-safe (refresh() fetches from worker threads).
// LockedResolver  serialises queries to a resolver that is not thread-safe.
// FakeClock    an sts::Clock that only moves when the test says so.
// ScratchDir   (common/scratch_dir.h) a private directory, for a cache_dir.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>

#include "common/scratch_dir.h"
#include "sts/fetch.h"
#include "sts/get.h"

namespace testing {

class FakeFetcher : public sts::Fetcher {
public:
    void policy(const std::string& domain, sts::Mode mode, std::uint32_t max_age,
                std::vector<std::string> mx, const std::string& text) {
        sts::FetchResult r;
        r.policy.mode = mode;
        r.policy.max_age = max_age;
        r.policy.mx = std::move(mx);
        r.text = text;
        set(domain, std::move(r));
    }
    void fail(const std::string& domain, sts::FetchFailure failure, const std::string& reason) {
        sts::FetchResult r;
        r.failure = failure;
        r.failure_reason = reason;
        r.error = "fake failure " + reason;
        set(domain, std::move(r));
    }
    void set(const std::string& domain, sts::FetchResult result) {
        std::lock_guard lock(mutex_);
        table_[domain] = std::move(result);
    }
    sts::FetchResult fetch(std::string_view domain) override {
        std::lock_guard lock(mutex_);
        std::string key(domain);
        ++counts_[key];
        auto it = table_.find(key);
        if (it != table_.end()) return it->second;
        sts::FetchResult r;
        r.failure = sts::FetchFailure::FetchError;
        r.failure_reason = "connection-refused";
        r.error = "no fake policy";
        return r;
    }
    int count(const std::string& domain) {
        std::lock_guard lock(mutex_);
        return counts_[domain];
    }

private:
    std::mutex mutex_;
    std::map<std::string, sts::FetchResult> table_;
    std::map<std::string, int> counts_;
};

class LockedResolver : public dns::Resolver {
public:
    explicit LockedResolver(dns::Resolver& inner) : inner_(inner) {}
    dns::Answer query(std::string_view name, dns::RrType type) override {
        std::lock_guard lock(mutex_);
        return inner_.query(name, type);
    }

private:
    dns::Resolver& inner_;
    std::mutex mutex_;
};

class FakeClock : public sts::Clock {
public:
    explicit FakeClock(std::int64_t unix_seconds = 1'800'000'000)
        : now_(std::chrono::seconds(unix_seconds)) {}
    std::chrono::system_clock::time_point now() override { return now_; }
    void advance(std::chrono::seconds by) { now_ += by; }
    std::chrono::sys_seconds seconds() const {
        return std::chrono::floor<std::chrono::seconds>(now_);
    }

private:
    std::chrono::system_clock::time_point now_;
};

}  // namespace testing
