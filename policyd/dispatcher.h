// dispatcher: turns one socketmap request into a reply (DESIGN.md,
// "mtaguard-policyd behaviour"), on the event thread, without ever waiting.
//
//   malformed request ("NAME KEY" missing)      -> Malformed: close the connection
//   map name other than policyd_map_name         -> PERM unknown map name
//   parent probe, next hop, IP literal, no name  -> NOTFOUND at once
//   cache: fresh policy / backoff row            -> the cached answer at once (kept
//                                                   for kMemoTime, see below); a
//                                                   due TXT-id revalidation runs in
//                                                   the background pool (one per
//                                                   domain at a time; after one
//                                                   that failed, none for that
//                                                   domain for kRevalidateRetry)
//   cache miss                                   -> Pending: one fetch per domain
//                                                   (single flight), every request
//                                                   for it waits on that fetch;
//                                                   after one that ended without a
//                                                   policy and left no row (DNS
//                                                   down), NOTFOUND at once for
//                                                   kMissRetry
//
// Fetches run on a bounded pool of kFetchWorkers threads with at most
// kMaxQueuedFetches waiting; a miss that cannot be queued is answered
// NOTFOUND (RFC 8461 §5). Revalidations run on their own pool of
// sts_refresh_concurrency threads so they never delay a miss. Finished
// fetches come back through a queue and an eventfd (wake_fd()) and drain()
// hands their replies to the server, which also enforces policyd_miss_wait.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "config.h"
#include "fd.h"
#include "hit_summary.h"
#include "source.h"
#include "sts/get.h"
#include "sts/reply.h"
#include "workers.h"

namespace policyd {

inline constexpr std::size_t kFetchWorkers = 16;
inline constexpr std::size_t kMaxQueuedFetches = 4096;
inline constexpr std::size_t kMaxQueuedRevalidations = 1024;
// Cache answers (fresh and backoff) are remembered per KEY for kMemoTime,
// as the finished reply, so that a busy domain costs one policy cache read
// and one reply build per kMemoTime, not one per request; a finished fetch
// or revalidation forgets its domain at once. At most kMaxMemo keys (about
// 200 bytes each) are remembered; when full the memo starts over.
// Ten seconds: a Berkeley DB read and row decode costs about as much as
// 10-15 remembered answers, and at 1 second the reads of a few thousand
// busy keys were a sixth of the daemon's CPU under load (bench/README.md).
// What the memo may hide for that long is harmless: a change another
// process made to the cache (mtaguard cache purge), a policy or backoff
// row expiring (max_age is hours to a year, sts_backoff minutes).
inline constexpr auto kMemoTime = std::chrono::seconds(10);
inline constexpr std::size_t kMaxMemo = 2048;
// A background revalidation that failed (DNS or HTTPS trouble: the engine
// keeps the cached policy and its row stays due, lib/sts/get.cpp) is not
// started again for that domain before kRevalidateRetry, the interval of a
// successful one: otherwise every request would start the next (a DNS query
// and a warning each, for as long as DNS is down). At most kMaxMemo domains
// are held back; when full, the oldest hold ends early.
inline constexpr auto kRevalidateRetry = sts::kRevalidateInterval;
// A fetch for a miss normally leaves a row (policy or backoff) that answers
// the next requests; a temporary DNS failure leaves none (lib/sts/get.cpp:
// try again later), and neither does a row that could not be written (disk
// full, database error). Such a domain is not fetched again before
// kMissRetry (or sts_backoff when shorter): its requests get that fetch's
// reply at once (NOTFOUND after a DNS failure, RFC 8461 §5; the fetched
// policy when only storing it failed), not one DNS query, one wait of up to
// policyd_miss_wait and one log line each for as long as the trouble lasts.
// Shorter than sts_backoff's default: a DNS outage is often brief. Held
// domains share the map and bound of kRevalidateRetry's holds, so a domain
// whose policy expires while its revalidation is held is not fetched before
// that hold ends either (it is answered NOTFOUND, as after a failed fetch).
inline constexpr auto kMissRetry = std::chrono::seconds(60);

// What the daemon reads from the configuration snapshot on every request.
struct Settings {
    std::string map_name;
    sts::ReplyOptions reply;
    std::chrono::milliseconds miss_wait{0};
    std::chrono::milliseconds idle_timeout{0};
    std::size_t max_connections = 0;
    static Settings from(const config::Config& config);
};

// A request waiting for a reply: which connection, which request on it.
struct WaitRef {
    std::uint64_t connection = 0;
    std::uint64_t seq = 0;
};

class Dispatcher {
public:
    Dispatcher(PolicySource& source, std::size_t revalidation_workers);
    ~Dispatcher();

    enum class Kind { Reply, Pending, Malformed };
    struct Outcome {
        Kind kind = Kind::Malformed;
        // Reply: a constant or the remembered reply; valid until the next
        // call of handle(), drain() or forget_all() (no copy per request).
        std::string_view reply;
        // Reply: the same reply already framed as a netstring when the
        // dispatcher keeps it so (remembered answers), else empty.
        std::string_view framed;
        std::string domain;  // Pending: the domain being fetched
    };

    // `now`: the event loop's time for this batch of requests.
    Outcome handle(std::string_view payload, const WaitRef& ref,
                   const std::shared_ptr<const config::Config>& config, const Settings& settings,
                   std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now());

    // Event thread: replies for requests that waited on a finished fetch.
    using Deliver = std::function<void(const WaitRef&, const std::string& reply)>;
    void drain(const Deliver& deliver);
    int wake_fd() const { return wake_.get(); }

    HitSummary& hits() { return hits_; }
    // After a reload that may have changed the reply settings: remembered and
    // held replies go (a held domain may then be fetched once more).
    void forget_all() {
        memo_.clear();
        held_.clear();
    }
    // The daemon is stopping: fetches in flight end now (PolicySource::cancel).
    void cancel_fetches() { source_.cancel(); }
    void stop();  // joins the pools; pending fetches are dropped

private:
    struct Done {
        std::string domain;
        sts::GetResult result;
        std::string reply;
        bool background = false;
        std::chrono::milliseconds took{0};
        std::chrono::seconds miss_retry{0};  // a failed miss: no new fetch for this long
    };

    struct Memo {
        std::string domain;
        std::string framed;       // the reply as a netstring, as it goes out
        std::string_view answer;  // answer_name(reply())
        sts::CacheState state = sts::CacheState::Miss;
        bool revalidate_due = false;
        std::chrono::seconds age{0};  // at `stored`
        std::chrono::steady_clock::time_point stored;
        HitSummary::Handle hit;  // this domain's counter in hits_
        std::string_view reply() const {  // "<length>:<reply>,"
            std::size_t at = framed.find(':') + 1;
            return std::string_view(framed).substr(at, framed.size() - at - 1);
        }
    };
    // Heterogeneous lookup: a request's key is found without copying it.
    struct KeyHash {
        using is_transparent = void;
        std::size_t operator()(std::string_view key) const { return std::hash<std::string_view>{}(key); }
    };
    Memo* remembered(std::string_view key, std::chrono::steady_clock::time_point now);
    Memo& remember(std::string_view key, std::string domain, const sts::Lookup& lookup, const Settings& settings,
                   std::chrono::steady_clock::time_point now);
    void forget(const std::string& domain);

    Outcome miss(const std::string& domain, const WaitRef& ref,
                 const std::shared_ptr<const config::Config>& config, const Settings& settings);
    void revalidate(const std::string& domain, const std::shared_ptr<const config::Config>& config,
                    std::chrono::steady_clock::time_point now);
    // No network work for `domain` (revalidation or miss fetch) before
    // `until`; a miss for it is answered `reply` meanwhile.
    void hold(const std::string& domain, std::chrono::steady_clock::time_point until, std::string reply);
    // The reply a miss gets while `domain` is held, nullptr when it is not.
    const std::string* held(const std::string& domain, std::chrono::steady_clock::time_point now);
    void run_get(const std::string& domain, const std::shared_ptr<const config::Config>& config,
                 const sts::ReplyOptions& options, bool background);
    void log_done(const Done& done, std::size_t waiters) const;

    PolicySource& source_;
    Fd wake_;
    HitSummary hits_;
    std::unordered_map<std::string, std::vector<WaitRef>> flights_;  // event thread only
    std::unordered_set<std::string> revalidating_;                   // event thread only
    struct Hold {
        std::chrono::steady_clock::time_point until;
        std::string reply;
    };
    std::unordered_map<std::string, Hold> held_;  // event thread only
    std::unordered_map<std::string, Memo, KeyHash, std::equal_to<>> memo_;  // event thread only, by KEY
    std::mutex done_mutex_;
    std::vector<Done> done_;  // workers -> event thread
    WorkerPool fetchers_;
    WorkerPool revalidators_;
};

}  // namespace policyd
