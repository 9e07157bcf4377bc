// dispatcher: see dispatcher.h.
#include "dispatcher.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>
#include <stdexcept>

#include "log.h"
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
    s.tlsrpt_attributes = config.boolean("sts_tlsrpt_attributes");
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
}

Dispatcher::Outcome Dispatcher::handle(std::string_view payload, const WaitRef& ref,
                                       const std::shared_ptr<const config::Config>& config,
                                       const Settings& settings) {
    Outcome out;
    auto request = sts::split_request(payload);
    if (!request) return out;  // Malformed
    out.kind = Kind::Reply;
    if (request->map_name != settings.map_name) {
        hits_.count_kind("unknown-map");
        out.reply = sts::kReplyUnknownMap;
        return out;
    }
    auto now = std::chrono::steady_clock::now();
    std::string domain;
    sts::Lookup lookup;
    if (auto memo = memo_.find(std::string(request->key)); memo != memo_.end() && now < memo->second.until) {
        domain = memo->second.domain;
        lookup = memo->second.lookup;
    } else {
        sts::Key key = sts::classify_key(request->key);
        if (key.kind != sts::KeyKind::Domain) {
            hits_.count_kind(sts::key_kind_name(key.kind));
            out.reply = sts::kReplyNotFound;
            return out;
        }
        domain = std::move(key.domain);
        try {
            lookup = source_.lookup_cached(domain);
        } catch (const std::exception& e) {
            logging::error("policy cache lookup failed " + logging::fields({{"domain", domain}, {"error", e.what()}}));
            out.reply = kReplyTempCache;
            return out;
        }
        if (lookup.state == sts::CacheState::Miss) return miss(domain, ref, config, settings);
        remember(request->key, domain, lookup);
    }
    sts::ReplyOptions options;
    options.tlsrpt_attributes = settings.tlsrpt_attributes;
    out.reply = sts::cached_reply(lookup, domain, options);
    hits_.count_domain(domain, answer_name(out.reply), sts::cache_state_name(lookup.state), lookup.age);
    if (lookup.state == sts::CacheState::Fresh && lookup.revalidate_due) revalidate(domain, config);
    return out;
}

void Dispatcher::remember(std::string_view key, const std::string& domain, const sts::Lookup& lookup) {
    if (memo_.size() >= kMaxMemo) memo_.clear();
    memo_[std::string(key)] = Memo{domain, lookup, std::chrono::steady_clock::now() + kMemoTime};
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
        bool tlsrpt = settings.tlsrpt_attributes;
        bool queued = fetchers_.submit([this, domain, config, tlsrpt] { run_get(domain, config, tlsrpt, false); });
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

void Dispatcher::revalidate(const std::string& domain, const std::shared_ptr<const config::Config>& config) {
    if (revalidating_.count(domain) || flights_.count(domain)) return;
    if (revalidators_.submit([this, domain, config] { run_get(domain, config, false, true); }))
        revalidating_.insert(domain);
}

void Dispatcher::run_get(const std::string& domain, const std::shared_ptr<const config::Config>& config,
                         bool tlsrpt, bool background) {
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
    sts::ReplyOptions options;
    options.tlsrpt_attributes = tlsrpt;
    done.reply = sts::policy_reply(done.result.policy, done.result.policy_text, domain, options);
    done.took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
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
    for (const auto& d : done) {
        forget(d.domain);
        if (d.background) {
            revalidating_.erase(d.domain);
            log_done(d, 0);
            continue;
        }
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
