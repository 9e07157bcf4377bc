// cache: an in-process cache of DNS answers in front of another resolver, so
// a busy milter does not ask DNS for the same _dmarc record for every
// message.
//
// Keyed by (lowercase name without trailing dot, type). Positive answers are
// kept for their TTL (RFC 1035 §3.2.1) bounded by dmarc_cache_max_ttl;
// negative answers (NXDOMAIN, NODATA) for the SOA minimum of the response
// (RFC 2308 §5) bounded by dmarc_cache_negative_ttl, or for that bound when
// the server sent no SOA. Temporary failures (SERVFAIL, timeout) are never
// cached: the next message asks again. A cached answer is returned with its
// TTL reduced by its age. At most dmarc_cache_size entries; when full the
// least recently used entry goes. dmarc_cache_size = 0 disables caching.
// Thread-safe (one mutex; the upstream query runs outside it, so two threads
// missing the same name may both ask upstream, which is harmless).
// The clock is injectable for tests.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>

#include "config.h"
#include "dns.h"

namespace dmarc {

struct CacheLimits {
    std::size_t max_entries = 10000;
    std::chrono::seconds max_ttl{3600};
    std::chrono::seconds negative_ttl{300};
    static CacheLimits from_config(const config::Config& config);
};

class CachingResolver : public dns::Resolver {
public:
    using Clock = std::function<std::chrono::steady_clock::time_point()>;

    CachingResolver(dns::Resolver& upstream, CacheLimits limits, Clock clock = {});
    dns::Answer query(std::string_view name, dns::RrType type) override;

    std::size_t size() const;
    struct Stats {
        std::size_t hits = 0;
        std::size_t misses = 0;
    };
    Stats stats() const;

private:
    struct Entry {
        std::string key;
        dns::Answer answer;
        std::chrono::steady_clock::time_point stored;
        std::chrono::steady_clock::time_point expires;
    };
    using Lru = std::list<Entry>;  // most recently used first

    std::chrono::seconds lifetime(const dns::Answer& answer) const;
    void store(std::string key, const dns::Answer& answer, std::chrono::steady_clock::time_point now);

    dns::Resolver& upstream_;
    CacheLimits limits_;
    Clock clock_;
    mutable std::mutex mutex_;
    Lru lru_;
    std::unordered_map<std::string, Lru::iterator> index_;
    Stats stats_;
};

}  // namespace dmarc
