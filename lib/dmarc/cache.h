// cache: an in-process cache of DNS answers in front of another resolver, so
// a busy milter does not ask DNS for the same _dmarc record for every
// message.
//
// Keyed by (lowercase name without trailing dot, type). Positive answers are
// kept for their TTL (RFC 1035 §3.2.1) bounded by dmarc_cache_max_ttl;
// negative answers (NXDOMAIN, NODATA) for the SOA minimum of the response
// (RFC 2308 §5) bounded by dmarc_cache_negative_ttl, or for that bound when
// the server sent no SOA. Temporary failures (SERVFAIL, timeout) are kept
// for dmarc_cache_failure_ttl (RFC 9520 §3.2: at most five minutes; 0: the
// next message asks again). A cached answer is returned with its
// TTL reduced by its age. At most dmarc_cache_size entries; when full the
// least recently used entry goes. dmarc_cache_size = 0 disables caching.
// An answer whose strings total more than kMaxCachedAnswerBytes is not kept
// (asked again each time): the author domain, hence the name asked, is the
// sender's choice, and a TXT answer can be 64 KiB over TCP.
// Thread-safe (one mutex; the upstream query runs outside it, so two threads
// missing the same name may both ask upstream, which is harmless).
// TXT answers asked through query_txt() are kept parsed as DMARC records
// (discovery.h ParsedTxt) beside the answer, under the same key, TTL and
// LRU: a record is parsed once per cached answer, not once per message.
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
#include "dmarc/discovery.h"
#include "dns.h"

namespace dmarc {

// Answers whose strings total more than this are not cached (cache.h).
inline constexpr std::size_t kMaxCachedAnswerBytes = 8 * 1024;

struct CacheLimits {
    std::size_t max_entries = 10000;
    std::chrono::seconds max_ttl{3600};
    std::chrono::seconds negative_ttl{300};
    std::chrono::seconds failure_ttl{30};
    static CacheLimits from_config(const config::Config& config);
};

class CachingResolver : public dns::Resolver, public TxtRecordSource {
public:
    using Clock = std::function<std::chrono::steady_clock::time_point()>;

    CachingResolver(dns::Resolver& upstream, CacheLimits limits, Clock clock = {});
    dns::Answer query(std::string_view name, dns::RrType type) override;
    // The TXT answer at `name` with its strings parsed (parsed on first use
    // and shared while cached); counts as a hit or miss like query().
    std::shared_ptr<const ParsedTxt> query_txt(std::string_view name) override;

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
        std::shared_ptr<const ParsedTxt> parsed;  // TXT asked through query_txt(); else null
        std::chrono::steady_clock::time_point stored;
        std::chrono::steady_clock::time_point expires;
    };
    using Lru = std::list<Entry>;  // most recently used first

    std::chrono::seconds lifetime(const dns::Answer& answer) const;
    // The fresh entry under `key`, counted as a hit, or null (counted as a
    // miss; a stale entry is dropped). Called with mutex_ held.
    Entry* fresh(const std::string& key, std::chrono::steady_clock::time_point now);
    void store(std::string key, const dns::Answer& answer, std::chrono::steady_clock::time_point now,
               std::shared_ptr<const ParsedTxt> parsed = nullptr);

    dns::Resolver& upstream_;
    CacheLimits limits_;
    Clock clock_;
    mutable std::mutex mutex_;
    Lru lru_;
    std::unordered_map<std::string, Lru::iterator> index_;
    Stats stats_;
};

}  // namespace dmarc
