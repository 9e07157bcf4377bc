// dispatcher: see dispatcher.h.
#include "dispatcher.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <stdexcept>

#include "log.h"
#include "netstring.h"
#include "sts/reply.h"

namespace policyd {
namespace {

std::string_view answer_name(std::string_view reply) {
    if (reply.starts_with("OK")) return "secure";
    if (reply.starts_with("NOTFOUND")) return "notfound";
    if (reply.starts_with("PERM")) return "perm";
    return "temp";
}

// Socketmap TEMP: Postfix defers the message and asks again later.
constexpr std::string_view kReplyTempCache = "TEMP policy cache error";

}  // namespace

Settings Settings::from(const config::Config& config) {
    Settings s;
    s.map_name = config.str("policyd_map_name");
    s.reply.tlsrpt_attributes = config.boolean("sts_tlsrpt_attributes");
    s.reply.policy_failure = config.boolean("sts_policy_failure");
    s.miss_wait = config.duration("policyd_miss_wait");
    s.idle_timeout = config.duration("policyd_idle_timeout");
    s.max_connections = static_cast<std::size_t>(config.integer("policyd_max_connections"));
    return s;
}

Dispatcher::Dispatcher(PolicySource& source, std::size_t revalidation_workers)
    : source_(source),
      wake_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)),
      fetchers_(kFetchWorkers, kMaxQueuedFetches),
      revalidators_(revalidation_workers, kMaxQueuedRevalidations) {
    if (!wake_) throw std::runtime_error("eventfd failed");
}

Dispatcher::~Dispatcher() { stop(); }

void Dispatcher::stop() {
    fetchers_.stop();
    revalidators_.stop();
    // What finished after the last drain (fetches cut short by
    // cancel_fetches(), among them) is still logged; nobody waits for it.
    std::lock_guard lock(done_mutex_);
    for (const auto& d : done_) log_done(d, 0);
    done_.clear();
}

Dispatcher::Outcome Dispatcher::handle(std::string_view payload, const WaitRef& ref,
                                       const std::shared_ptr<const config::Config>& config,
                                       const Settings& settings, std::chrono::steady_clock::time_point now) {
    Outcome out;
    auto request = sts::split_request(payload);
    if (!request) return out;  // Malformed
    out.kind = Kind::Reply;
    if (request->map_name != settings.map_name) {
        hits_.count_kind("unknown-map");
        out.reply = sts::kReplyUnknownMap;
        return out;
    }
    Memo* memo = remembered(request->key, now);
    if (!memo) {
        sts::Key key = sts::classify_key(request->key);
        if (key.kind != sts::KeyKind::Domain) {
            hits_.count_kind(sts::key_kind_name(key.kind));
            out.reply = sts::kReplyNotFound;
            return out;
        }
        sts::Lookup lookup;
        try {
            lookup = source_.lookup_cached(key.domain);
        } catch (const std::exception& e) {
            logging::error("policy cache lookup failed " +
                           logging::fields({{"domain", key.domain}, {"error", e.what()}}));
            out.reply = kReplyTempCache;
            return out;
        }
        if (lookup.state == sts::CacheState::Miss) {
            const std::string* reply = held(key.domain, now);
            if (!reply) return miss(key.domain, ref, config, settings);
            // A recent fetch left nothing in the cache to answer from (kMissRetry).
            HitSummary::Handle handle;
            hits_.count_domain(key.domain, answer_name(*reply), "miss-held", std::chrono::seconds(0), handle);
            out.reply = *reply;
            return out;
        }
        memo = &remember(request->key, std::move(key.domain), lookup, settings, now);
    }
    out.reply = memo->reply();
    out.framed = memo->framed;
    auto age = memo->age + std::chrono::duration_cast<std::chrono::seconds>(now - memo->stored);
    hits_.count_domain(memo->domain, memo->answer, sts::cache_state_name(memo->state), age, memo->hit);
    if (memo->state == sts::CacheState::Fresh && memo->revalidate_due) {
        // Asked once per remembered answer: a revalidation that starts
        // forgets it when done, one that cannot start now is asked again
        // when the answer is next read from the cache.
        memo->revalidate_due = false;
        revalidate(memo->domain, config, now);
    }
    return out;
}

Dispatcher::Memo* Dispatcher::remembered(std::string_view key, std::chrono::steady_clock::time_point now) {
    auto it = memo_.find(key);
    if (it == memo_.end() || now >= it->second.stored + kMemoTime) return nullptr;
    return &it->second;
}

Dispatcher::Memo& Dispatcher::remember(std::string_view key, std::string domain, const sts::Lookup& lookup,
                                       const Settings& settings, std::chrono::steady_clock::time_point now) {
    if (memo_.size() >= kMaxMemo) memo_.clear();
    Memo memo;
    std::string reply = sts::cached_reply(lookup, domain, settings.reply);
    netstring::append(memo.framed, reply);
    memo.domain = std::move(domain);
    memo.answer = answer_name(reply);
    memo.state = lookup.state;
    memo.revalidate_due = lookup.revalidate_due;
    memo.age = lookup.age;
    memo.stored = now;
    auto it = memo_.find(key);
    if (it == memo_.end()) return memo_.emplace(std::string(key), std::move(memo)).first->second;
    it->second = std::move(memo);
    return it->second;
}

void Dispatcher::forget(const std::string& domain) {
    std::erase_if(memo_, [&](const auto& entry) { return entry.second.domain == domain; });
}

Dispatcher::Outcome Dispatcher::miss(const std::string& domain, const WaitRef& ref,
                                     const std::shared_ptr<const config::Config>& config,
                                     const Settings& settings) {
    Outcome out;
    auto flight = flights_.find(domain);
    if (flight == flights_.end()) {
        sts::ReplyOptions options = settings.reply;
        bool queued =
            fetchers_.submit([this, domain, config, options] { run_get(domain, config, options, false); });
        if (!queued) {
            logging::warning("lookup " + logging::fields({{"domain", domain},
                                                          {"answer", "notfound"},
                                                          {"cache", "miss"},
                                                          {"reason", "fetch queue full"}}));
            out.kind = Kind::Reply;
            out.reply = sts::kReplyNotFound;
            return out;
        }
        flight = flights_.emplace(domain, std::vector<WaitRef>{}).first;
    }
    if (settings.miss_wait.count() == 0) {
        // Do not wait at all: answer as for a failed fetch (RFC 8461 §5) while
        // the fetch goes on and fills the cache.
        out.kind = Kind::Reply;
        out.reply = sts::kReplyNotFound;
        return out;
    }
    flight->second.push_back(ref);
    out.kind = Kind::Pending;
    out.domain = domain;
    return out;
}

void Dispatcher::revalidate(const std::string& domain, const std::shared_ptr<const config::Config>& config,
                            std::chrono::steady_clock::time_point now) {
    if (revalidating_.count(domain) || flights_.count(domain) || held(domain, now)) return;
    if (revalidators_.submit([this, domain, config] { run_get(domain, config, sts::ReplyOptions{}, true); }))
        revalidating_.insert(domain);
}

void Dispatcher::hold(const std::string& domain, std::chrono::steady_clock::time_point until, std::string reply) {
    if (held_.size() >= kMaxMemo && !held_.count(domain)) {
        auto oldest = std::min_element(held_.begin(), held_.end(),
                                       [](const auto& a, const auto& b) { return a.second.until < b.second.until; });
        held_.erase(oldest);
    }
    held_[domain] = Hold{until, std::move(reply)};
}

const std::string* Dispatcher::held(const std::string& domain, std::chrono::steady_clock::time_point now) {
    auto it = held_.find(domain);
    if (it == held_.end()) return nullptr;
    if (now < it->second.until) return &it->second.reply;
    held_.erase(it);
    return nullptr;
}

void Dispatcher::run_get(const std::string& domain, const std::shared_ptr<const config::Config>& config,
                         const sts::ReplyOptions& options, bool background) {
    auto start = std::chrono::steady_clock::now();
    Done done;
    done.domain = domain;
    done.background = background;
    try {
        done.result = source_.get(domain, *config);
    } catch (const std::exception& e) {
        done.result = sts::GetResult{};
        done.result.detail = std::string("exception: ") + e.what();
    }
    done.reply = sts::result_reply(done.result, domain, options);
    done.took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    done.miss_retry = std::min<std::chrono::seconds>(
        kMissRetry, std::chrono::duration_cast<std::chrono::seconds>(config->duration("sts_backoff")));
    {
        std::lock_guard lock(done_mutex_);
        done_.push_back(std::move(done));
    }
    std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake_.get(), &one, sizeof(one));
}

void Dispatcher::drain(const Deliver& deliver) {
    std::uint64_t counter = 0;
    [[maybe_unused]] auto n = ::read(wake_.get(), &counter, sizeof(counter));
    std::vector<Done> done;
    {
        std::lock_guard lock(done_mutex_);
        done.swap(done_);
    }
    auto now = std::chrono::steady_clock::now();
    for (const auto& d : done) {
        forget(d.domain);
        if (d.background) {
            revalidating_.erase(d.domain);
            // Failed, or its new policy not stored: the row is due again at once.
            if (d.result.fallback || !d.result.stored)
                hold(d.domain, now + kRevalidateRetry, std::string(sts::kReplyNotFound));
            log_done(d, 0);
            continue;
        }
        // A stored row answers from now on (RFC 8461 §5: a backoff row when
        // there is no policy); when there is none (DNS down, or storing
        // failed), kMissRetry holds the next fetch and this reply answers.
        if (!d.result.policy || !d.result.stored) hold(d.domain, now + d.miss_retry, d.reply);
        std::vector<WaitRef> waiters;
        if (auto it = flights_.find(d.domain); it != flights_.end()) {
            waiters = std::move(it->second);
            flights_.erase(it);
        }
        log_done(d, waiters.size());
        for (const auto& w : waiters) deliver(w, d.reply);
    }
}

void Dispatcher::log_done(const Done& d, std::size_t waiters) const {
    std::string took = std::to_string(d.took.count()) + "ms";
    std::string waiting = std::to_string(waiters);
    std::string failure(sts::failure_name(d.result.failure));
    logging::info(std::string(d.background ? "revalidate " : "lookup ") +
                  logging::fields({{"domain", d.domain},
                                   {"answer", answer_name(d.reply)},
                                   {"cache", sts::cache_state_name(d.result.cache_state)},
                                   {"fetch_failure", failure},
                                   {"reason", d.result.failure_reason},
                                   {"detail", d.result.detail},
                                   {"took", took},
                                   {"waiters", waiting}}));
}

}  // namespace policyd
