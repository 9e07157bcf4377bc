// get: the MTA-STS policy store logic over PolicyCache; see get.h for the
// branches and where they follow the seed. RFC 8461 §5.1 (policy
// application and refresh) and §5 (failures: deliver as if no policy).
#include "sts/get.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include "domain.h"
#include "log.h"
#include "sts/cache.h"

namespace sts {
namespace {

using std::chrono::floor;
using std::chrono::seconds;

constexpr std::string_view kFallbackSuffix = "+fallback-to-cached-policy";
constexpr std::string_view kDnsFailureReason = "dns-temporary-failure";
constexpr std::string_view kNoRecordReason = "no-sts-record";

// Everything one operation needs, with the time fixed once.
struct Ctx {
    dns::Resolver& resolver;
    Fetcher& fetcher;
    PolicyCache& cache;
    const config::Config& config;
    Seconds now;
    const std::atomic<bool>* stop = nullptr;  // refresh(): the caller is stopping
    bool quiet = false;  // refresh(): a kept policy is counted and summed up, not logged per row
    bool stopping() const { return stop && stop->load(); }
};

Seconds now_of(Clock& clock) {
    return floor<seconds>(clock.now());
}

std::optional<std::string> key_of(std::string_view domain) {
    auto parsed = domain::parse(domain);
    if (!parsed) return std::nullopt;
    return parsed.name->ascii;
}

bool usable(const CacheRow& row, Seconds now) {
    return row.valid_until > now;
}

// A database error reads as a miss: the policy is fetched over the network
// rather than delivery going without it.
std::optional<CacheRow> found_row(RowRead read) {
    if (read.status == RowStatus::Error) logging::error("sts cache: read failed: " + read.error);
    if (read.status != RowStatus::Found) return std::nullopt;
    return std::move(read.row);
}

// True when stored; a failure is logged.
bool stored(const bdb::Status& status, std::string_view key) {
    if (!status.ok())
        logging::error("sts cache: storing failed: " +
                       logging::fields({{"domain", key}, {"error", status.error}}));
    return status.ok();
}

// Seed: a lookup marks the row used; at most once per kLastUseGranularity, unflushed.
void mark_used(PolicyCache& cache, const CacheRow& row, Seconds now, bool checked) {
    if (!checked && now - row.last_use < kLastUseGranularity) return;
    bdb::Status status = cache.update(
        row.domain,
        [&](CacheRow& r) {
            r.last_use = std::max(r.last_use, now);
            if (checked) r.last_checked = std::max(r.last_checked, now);
            return true;
        },
        true);
    stored(status, row.domain);
}

// A new row carrying over `prev`'s insertion time (and last use when not a use).
CacheRow base_row(const std::string& key, const std::optional<CacheRow>& prev, Seconds now,
                  bool used) {
    CacheRow row;
    row.domain = key;
    row.inserted = prev ? prev->inserted : now;
    row.last_update = now;
    row.last_checked = now;
    row.last_use = used || !prev ? now : prev->last_use;
    return row;
}

GetResult policy_result(const CacheRow& row, CacheState state, std::string detail) {
    GetResult r;
    r.policy = row.policy;
    r.policy_text = row.policy_text;
    r.cache_state = state;
    r.detail = std::move(detail);
    return r;
}

GetResult fallback_result(const Ctx& c, const CacheRow& row, CacheState state, FetchFailure failure,
                          std::string_view reason, std::string detail) {
    GetResult r = policy_result(row, state, std::move(detail));
    r.fallback = true;
    r.failure = failure;
    r.failure_reason = std::string(reason) + std::string(kFallbackSuffix);
    if (!c.quiet)
        logging::warning("sts: keeping cached policy: " +
                         logging::fields({{"domain", row.domain}, {"reason", r.detail}}));
    return r;
}

// RFC 8461 §5: no usable policy; back off for sts_backoff (mode none, seed).
GetResult store_backoff(Ctx& c, const std::string& key, const std::optional<CacheRow>& prev,
                        std::string record_id, FetchFailure failure, std::string reason, bool used,
                        CacheState state, std::string detail) {
    CacheRow row = base_row(key, prev, c.now, used);
    row.backoff = true;
    row.valid_until = c.now + floor<seconds>(c.config.duration("sts_backoff"));
    row.record_id = std::move(record_id);
    row.policy.mode = Mode::None;
    row.policy.max_age = static_cast<std::uint32_t>((row.valid_until - c.now).count());
    row.failure = failure;
    row.failure_reason = reason;
    GetResult r;
    r.stored = stored(c.cache.put(row), key);
    r.cache_state = state;
    r.failure = failure;
    if (!row.record_id.empty()) r.policy_failure = failure;
    r.failure_reason = std::move(reason);
    r.detail = std::move(detail);
    return r;
}

GetResult store_policy(Ctx& c, const std::string& key, const std::optional<CacheRow>& prev,
                       const std::string& record_id, FetchResult& fetched, bool used, CacheState state) {
    CacheRow row = base_row(key, prev, c.now, used);
    row.valid_until = c.now + seconds(fetched.policy.max_age);  // RFC 8461 §3.2 max_age
    row.record_id = record_id;
    row.policy = std::move(fetched.policy);
    row.policy_text = std::move(fetched.text);
    bool ok = stored(c.cache.put(row), key);
    GetResult r = policy_result(row, state, "fetched policy id=" + record_id);
    r.stored = ok;
    return r;
}

// Fetch for a TXT record just discovered. On failure, keep `cached` when it
// is still usable, else store a backoff row.
GetResult fetch_and_store(Ctx& c, const std::string& key, const std::optional<CacheRow>& prev,
                          const Discovery& found, bool used, CacheState state) {
    FetchResult fetched = c.fetcher.fetch(key);
    if (fetched.ok()) return store_policy(c, key, prev, found.record.id, fetched, used, state);
    std::string detail = "policy fetch failed: " + fetched.error;
    if (c.stopping()) {
        // Most likely cut short by the stop itself: no fact about the domain.
        GetResult r;
        r.cache_state = state;
        r.stored = false;
        r.detail = detail + " (stopping: not stored)";
        return r;
    }
    if (prev && !prev->backoff && usable(*prev, c.now)) {
        if (used) mark_used(c.cache, *prev, c.now, true);
        return fallback_result(c, *prev, state, fetched.failure, fetched.failure_reason, detail);
    }
    return store_backoff(c, key, prev, found.record.id, fetched.failure, fetched.failure_reason,
                         used, state, detail);
}

// No usable row: discover + fetch + store (seed: the ErrNotFound branch).
GetResult miss(Ctx& c, const std::string& key, const std::optional<CacheRow>& prev, bool used,
               CacheState state) {
    Discovery d = discover(key, c.resolver);
    if (d.status == DiscoveryStatus::TempError) {
        GetResult r;
        r.cache_state = state;
        r.failure = FetchFailure::FetchError;
        r.failure_reason = std::string(kDnsFailureReason);
        r.detail = "DNS failure: " + d.error;
        return r;
    }
    if (d.status == DiscoveryStatus::None)
        return store_backoff(c, key, prev, "", FetchFailure::None, std::string(kNoRecordReason),
                             used, state, "no policy: " + d.error);
    return fetch_and_store(c, key, prev, d, used, state);
}

// A usable policy row: check the TXT id and refetch when it changed (seed),
// or always (renew: the periodic refresh, RFC 8461 §5.1).
GetResult revalidate(Ctx& c, const CacheRow& row, bool renew) {
    bool used = !renew;
    Discovery d = discover(row.domain, c.resolver);
    if (d.status == DiscoveryStatus::TempError) {
        if (used) mark_used(c.cache, row, c.now, false);
        return fallback_result(c, row, CacheState::Fresh, FetchFailure::FetchError, kDnsFailureReason,
                               "DNS failure: " + d.error);
    }
    if (d.status == DiscoveryStatus::None) {
        // Seed: the record is gone but the policy has not expired: keep using
        // it until it does (removal without a none policy may be a downgrade).
        if (used) mark_used(c.cache, row, c.now, true);
        return fallback_result(c, row, CacheState::Fresh, FetchFailure::FetchError, kNoRecordReason,
                               "TXT record gone: " + d.error);
    }
    if (!renew && d.record.id == row.record_id && !row.policy_text.empty()) {
        mark_used(c.cache, row, c.now, true);
        return policy_result(row, CacheState::Fresh, "cached policy id=" + row.record_id);
    }
    // RFC 8461 §5.1: a changed id means a new policy to fetch.
    return fetch_and_store(c, row.domain, row, d, used, CacheState::Fresh);
}

CacheState state_of(const std::optional<CacheRow>& row, Seconds now) {
    if (!row || !usable(*row, now)) return CacheState::Miss;
    return row->backoff ? CacheState::Backoff : CacheState::Fresh;
}

GetResult invalid_domain() {
    GetResult r;
    r.detail = "not a domain name";
    return r;
}

}  // namespace

Lookup lookup_cached(std::string_view domain, PolicyCache& cache, Clock& clock) {
    Lookup out;
    auto key = key_of(domain);
    if (!key) return out;
    Seconds now = now_of(clock);
    auto row = found_row(cache.get(*key));
    if (!row || !usable(*row, now)) return out;
    mark_used(cache, *row, now, false);
    if (row->backoff) {
        out.state = CacheState::Backoff;
        if (!row->record_id.empty()) out.policy_failure = row->failure;
        return out;
    }
    out.state = CacheState::Fresh;
    out.policy = row->policy;
    out.policy_text = row->policy_text;
    out.age = std::max(seconds(0), now - row->last_update);
    out.revalidate_due = now - row->last_checked >= kRevalidateInterval;
    return out;
}

GetResult get(std::string_view domain, dns::Resolver& resolver, Fetcher& fetcher,
              PolicyCache& cache, Clock& clock, const config::Config& config, const std::atomic<bool>* stop) {
    auto key = key_of(domain);
    if (!key) return invalid_domain();
    Ctx c{resolver, fetcher, cache, config, now_of(clock), stop};
    auto row = found_row(cache.get(*key));
    switch (state_of(row, c.now)) {
        case CacheState::Miss:
            return miss(c, *key, row, true, CacheState::Miss);
        case CacheState::Fresh:
            return revalidate(c, *row, false);
        case CacheState::Backoff:
            break;
    }
    // RFC 8461 §5 / seed: a recent failure: no policy until the backoff expires.
    mark_used(cache, *row, c.now, false);
    GetResult r;
    r.cache_state = CacheState::Backoff;
    r.failure = row->failure;
    if (!row->record_id.empty()) r.policy_failure = row->failure;
    r.failure_reason = row->failure_reason;
    r.detail = "backing off after a recent failure";
    return r;
}

GetResult refresh_domain(std::string_view domain, dns::Resolver& resolver, Fetcher& fetcher,
                         PolicyCache& cache, Clock& clock, const config::Config& config) {
    auto key = key_of(domain);
    if (!key) return invalid_domain();
    Ctx c{resolver, fetcher, cache, config, now_of(clock)};
    auto row = found_row(cache.get(*key));
    CacheState state = state_of(row, c.now);
    if (state == CacheState::Fresh) return revalidate(c, *row, true);
    return miss(c, *key, row, false, state);
}

namespace {

// One batch of refresh(): drops, then renews with up to sts_refresh_concurrency threads.
void refresh_batch(Ctx& c, CacheListing& batch, RefreshStats& stats) {
    auto unused = floor<seconds>(c.config.duration("sts_unused_expiry"));
    auto before = floor<seconds>(c.config.duration("sts_refresh_before_expiry"));
    auto drop = [&](const std::string& key) {
        bool existed = false;
        if (c.cache.remove(key, existed).ok() && existed) ++stats.dropped;
    };
    for (const auto& key : batch.corrupt) drop(key);
    std::vector<CacheRow> renew;
    for (auto& row : batch.rows) {
        if (c.now - row.last_use >= unused)
            drop(row.domain);  // seed: unused for long
        else if (row.backoff && !usable(row, c.now))
            drop(row.domain);  // an expired failure
        else if (!row.backoff && row.valid_until - c.now <= before)
            renew.push_back(std::move(row));
    }
    std::atomic<std::size_t> next{0};
    std::atomic<int> refreshed{0}, failed{0};
    std::mutex first_mutex;
    auto worker = [&] {
        for (std::size_t i; !c.stopping() && (i = next++) < renew.size();) {
            GetResult r = usable(renew[i], c.now)
                              ? revalidate(c, renew[i], true)
                              : miss(c, renew[i].domain, renew[i], false, CacheState::Miss);
            if (r.policy && !r.fallback) {
                ++refreshed;
                continue;
            }
            if (!r.policy && c.stopping()) continue;  // cut short by the stop, not a failure
            ++failed;
            std::lock_guard lock(first_mutex);
            if (stats.first_failure.empty())
                stats.first_failure = logging::fields({{"domain", renew[i].domain}, {"reason", r.detail}});
        }
    };
    auto concurrency = static_cast<std::size_t>(c.config.integer("sts_refresh_concurrency"));
    std::size_t threads = std::min(renew.size(), std::max<std::size_t>(1, concurrency));
    std::vector<std::thread> pool;
    for (std::size_t i = 1; i < threads; ++i) pool.emplace_back(worker);
    worker();
    for (auto& t : pool) t.join();
    stats.refreshed += refreshed;
    stats.failed += failed;
}

}  // namespace

RefreshStats refresh(dns::Resolver& resolver, Fetcher& fetcher, PolicyCache& cache, Clock& clock,
                     const config::Config& config, std::size_t batch_size, const std::atomic<bool>* stop) {
    RefreshStats stats;
    Ctx c{resolver, fetcher, cache, config, now_of(clock), stop, true};
    std::string after;
    for (;;) {
        if (c.stopping()) {
            stats.stopped = true;
            break;
        }
        CacheListing batch = cache.list_after(after, std::max<std::size_t>(1, batch_size));
        if (!batch.status.ok()) {
            logging::error("sts refresh: listing the cache failed: " + batch.status.error);
            break;
        }
        if (batch.rows.empty() && batch.corrupt.empty()) break;
        std::string last = batch.rows.empty() ? batch.corrupt.back() : batch.rows.back().domain;
        if (!batch.corrupt.empty()) last = std::max(last, batch.corrupt.back());
        refresh_batch(c, batch, stats);
        after = std::move(last);
    }
    // One line for every renewal that failed, however many (DNS or HTTPS down).
    if (stats.failed > 0)
        logging::warning("sts refresh: " + std::to_string(stats.failed) +
                         " renewals failed, cached policies kept until they expire; first: " + stats.first_failure);
    logging::info("sts refresh: " + logging::fields({{"refreshed", std::to_string(stats.refreshed)},
                                                     {"failed", std::to_string(stats.failed)},
                                                     {"dropped", std::to_string(stats.dropped)},
                                                     {"stopped", stats.stopped ? "yes" : "no"}}));
    return stats;
}

}  // namespace sts
