// get: the MTA-STS policy store logic (the seed's mtastsdb behaviour) on top
// of the Berkeley DB policy cache (sts/cache.h).
//
// CONTRACT (written before the implementation; keep these names). What
// mtaguard-policyd calls:
//   lookup_cached()  the fast path: never touches the network; says whether
//                    the cache answers (fresh policy, or backoff) or a fetch
//                    is needed, and whether a background revalidation is due.
//   get()            the full path (runs on a worker thread): cached row ->
//                    use it, revalidate the TXT id (refetch when it changed,
//                    keep the cached policy when DNS or the fetch fails);
//                    backoff row -> no policy until it expires; no row ->
//                    discover + fetch + store, and on failure store a backoff
//                    row (sts_backoff, mode none).
//   refresh()        the periodic refresher: renews policies used recently
//                    before they expire, drops rows unused for sts_unused_expiry.
//   refresh_domain() discover + fetch now whatever the cache holds
//                    (`mtaguard cache refresh DOMAIN`).
//
// Seed behaviour kept (and where we differ):
// - A row is usable while valid_until (last fetch + max_age) is in the
//   future; an expired row is treated as absent (RFC 8461 §5.1).
// - Looking a row up marks it used (last_use), at most once a
//   kLastUseGranularity, in a transaction that is not flushed to disk.
// - No _mta-sts record (or several, or an invalid one) on a miss: stored as
//   a backoff row with failure None for sts_backoff, a negative cache the seed
//   did not have (without it every message to a domain without MTA-STS costs
//   a DNS query). A temporary DNS failure on a miss stores nothing (seed:
//   try again later).
// - When a policy is returned after a failed revalidation (DNS failure, TXT
//   record gone, fetch failure), `fallback` is set and failure/failure_reason
//   say what failed, the reason ending in "+fallback-to-cached-policy".
// Domains are normalised with domain::parse (lowercase A-label). The
// resolver and fetcher are called from refresh()'s worker threads
// (sts_refresh_concurrency) and must be thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "config.h"
#include "dns.h"
#include "sts/fetch.h"
#include "sts/policy.h"

namespace sts {

class PolicyCache;  // sts/cache.h

class Clock {
public:
    virtual ~Clock() = default;
    virtual std::chrono::system_clock::time_point now() = 0;
};

class SystemClock : public Clock {
public:
    std::chrono::system_clock::time_point now() override { return std::chrono::system_clock::now(); }
};

enum class CacheState { Fresh, Backoff, Miss };

struct Lookup {
    CacheState state = CacheState::Miss;
    std::optional<Policy> policy;      // Fresh: the policy to apply
    std::string policy_text;
    std::chrono::seconds age{0};       // since the policy was fetched
    bool revalidate_due = false;       // Fresh: the TXT id should be checked in the background
                                       // (last checked kRevalidateInterval ago or more)
    // Backoff: why a domain that publishes an _mta-sts record has no policy
    // (None when it publishes none): Postfix's policy_failure= (sts/reply.h).
    FetchFailure policy_failure = FetchFailure::None;
};

inline constexpr std::chrono::seconds kRevalidateInterval{300};
inline constexpr std::chrono::seconds kLastUseGranularity{60};
// refresh() reads the cache this many rows at a time.
inline constexpr std::size_t kRefreshBatch = 1000;

Lookup lookup_cached(std::string_view domain, PolicyCache& cache, Clock& clock);

struct GetResult {
    std::optional<Policy> policy;  // nullopt: act as if there were no policy (RFC 8461 §5)
    std::string policy_text;
    CacheState cache_state = CacheState::Miss;  // what the cache held before
    FetchFailure failure = FetchFailure::None;  // fetch failure behind a missing policy
    std::string failure_reason;
    bool fallback = false;  // policy is the cached one kept after a failed revalidation
    // No policy although the domain's _mta-sts record was found (its fetch
    // failed or is backed off): why, for Postfix's policy_failure=
    // (sts/reply.h). None when there is a policy, no record, or DNS failed.
    FetchFailure policy_failure = FetchFailure::None;
    // False when the outcome (policy or backoff row) could not be written to
    // the cache (disk full, database error): the next lookup misses again.
    bool stored = true;
    std::string detail;  // one line for the log
};

// `stop` (optional): once true, a fetch that fails is taken as cut short by
// the caller stopping (mtaguard-policyd cancels its helpers on SIGTERM), not
// as a failure of the domain: nothing is stored (no backoff row), the result
// has no policy and stored = false.
GetResult get(std::string_view domain, dns::Resolver& resolver, Fetcher& fetcher, PolicyCache& cache,
              Clock& clock, const config::Config& config, const std::atomic<bool>* stop = nullptr);

struct RefreshStats {
    int refreshed = 0;
    int failed = 0;
    int dropped = 0;
    bool stopped = false;  // `stop` was set: the rows after the last one started were left
    std::string first_failure;  // log fields of the first failed renewal, "" when none
};

// Reads the cache `batch` rows at a time (memory bounded whatever the
// number of cached policies). A renewal that fails is counted, not logged:
// one warning sums them up (with DNS down, one line per due row every
// sts_refresh_interval would flood the log). When `stop` is given and becomes true (the
// daemon is stopping), no further row is started: with DNS or HTTPS down a
// refresh of many rows takes a DNS or fetch timeout per row, and a stop must
// not wait for all of them, only for the fetches already running (whose
// failures are then not stored, as for get()).
RefreshStats refresh(dns::Resolver& resolver, Fetcher& fetcher, PolicyCache& cache, Clock& clock,
                     const config::Config& config, std::size_t batch = kRefreshBatch,
                     const std::atomic<bool>* stop = nullptr);

// A valid cached policy is kept when the discovery or fetch fails (fallback);
// otherwise the outcome is stored as get() stores a miss.
GetResult refresh_domain(std::string_view domain, dns::Resolver& resolver, Fetcher& fetcher,
                         PolicyCache& cache, Clock& clock, const config::Config& config);

}  // namespace sts
