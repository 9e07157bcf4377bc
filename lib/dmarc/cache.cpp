// cache: DNS answer cache for DMARC lookups; see cache.h.
#include "dmarc/cache.h"

#include <algorithm>

#include "domain.h"

namespace dmarc {

CacheLimits CacheLimits::from_config(const config::Config& config) {
    CacheLimits l;
    l.max_entries = static_cast<std::size_t>(config.integer("dmarc_cache_size"));
    l.max_ttl = std::chrono::duration_cast<std::chrono::seconds>(config.duration("dmarc_cache_max_ttl"));
    l.negative_ttl =
        std::chrono::duration_cast<std::chrono::seconds>(config.duration("dmarc_cache_negative_ttl"));
    l.failure_ttl = std::chrono::duration_cast<std::chrono::seconds>(config.duration("dmarc_cache_failure_ttl"));
    return l;
}

CachingResolver::CachingResolver(dns::Resolver& upstream, CacheLimits limits, Clock clock)
    : upstream_(upstream), limits_(limits), clock_(std::move(clock)) {
    if (!clock_) clock_ = [] { return std::chrono::steady_clock::now(); };
}

std::chrono::seconds CachingResolver::lifetime(const dns::Answer& answer) const {
    if (answer.ok()) return std::min(std::chrono::seconds(answer.ttl), limits_.max_ttl);
    if (answer.negative()) {
        // RFC 2308 §5: a negative answer lives for the SOA minimum; without
        // an SOA, only for our bound.
        if (answer.negative_ttl == 0) return limits_.negative_ttl;
        return std::min(std::chrono::seconds(answer.negative_ttl), limits_.negative_ttl);
    }
    // RFC 9520 §3.2 (RFC 2308 §7.1): a failure is remembered for a while,
    // so that DNS being down costs one query per name and period, not one
    // per message.
    return limits_.failure_ttl;
}

namespace {

// Lowercase name without trailing dot, "/", type: built in one allocation.
std::string cache_key(std::string_view name, dns::RrType type) {
    if (!name.empty() && name.back() == '.') name.remove_suffix(1);
    std::string_view type_text = dns::type_name(type);
    std::string key;
    key.reserve(name.size() + 1 + type_text.size());
    domain::append_lower(key, name);
    key += '/';
    key += type_text;
    return key;
}

}  // namespace

CachingResolver::Entry* CachingResolver::fresh(const std::string& key, std::chrono::steady_clock::time_point now) {
    auto it = index_.find(key);
    if (it != index_.end()) {
        if (it->second->expires > now) {
            lru_.splice(lru_.begin(), lru_, it->second);
            ++stats_.hits;
            return &*it->second;
        }
        lru_.erase(it->second);
        index_.erase(it);
    }
    ++stats_.misses;
    return nullptr;
}

dns::Answer CachingResolver::query(std::string_view name, dns::RrType type) {
    std::string key = cache_key(name, type);
    auto now = clock_();
    {
        std::lock_guard lock(mutex_);
        if (Entry* e = fresh(key, now)) {
            dns::Answer a = e->answer;
            auto age = std::chrono::duration_cast<std::chrono::seconds>(now - e->stored);
            auto cut = static_cast<std::uint32_t>(age.count());
            a.ttl = a.ttl > cut ? a.ttl - cut : 0;
            a.negative_ttl = a.negative_ttl > cut ? a.negative_ttl - cut : 0;
            return a;
        }
    }
    dns::Answer answer = upstream_.query(name, type);
    store(std::move(key), answer, now);
    return answer;
}

std::shared_ptr<const ParsedTxt> CachingResolver::query_txt(std::string_view name) {
    std::string key = cache_key(name, dns::RrType::TXT);
    auto now = clock_();
    {
        std::lock_guard lock(mutex_);
        if (Entry* e = fresh(key, now)) {
            if (!e->parsed) e->parsed = parse_txt(e->answer);  // first use of an answer query() stored
            return e->parsed;
        }
    }
    std::shared_ptr<const ParsedTxt> parsed = parse_txt(upstream_.query(name, dns::RrType::TXT));
    store(std::move(key), parsed->answer, now, parsed);
    return parsed;
}

void CachingResolver::store(std::string key, const dns::Answer& answer, std::chrono::steady_clock::time_point now,
                            std::shared_ptr<const ParsedTxt> parsed) {
    auto life = lifetime(answer);
    if (limits_.max_entries == 0 || life.count() <= 0) return;
    // Memory stays within max_entries x kMaxCachedAnswerBytes (plus the
    // parsed records) whatever author domains the senders choose.
    std::size_t bytes = 0;
    for (const auto& text : answer.texts) bytes += text.size();
    if (bytes > kMaxCachedAnswerBytes) return;
    std::lock_guard lock(mutex_);
    if (auto it = index_.find(key); it != index_.end()) {  // another thread stored it meanwhile
        lru_.erase(it->second);
        index_.erase(it);
    }
    while (lru_.size() >= limits_.max_entries) {  // evict the least recently used
        index_.erase(lru_.back().key);
        lru_.pop_back();
    }
    lru_.push_front(Entry{key, answer, std::move(parsed), now, now + life});
    index_.emplace(std::move(key), lru_.begin());
}

std::size_t CachingResolver::size() const {
    std::lock_guard lock(mutex_);
    return lru_.size();
}

CachingResolver::Stats CachingResolver::stats() const {
    std::lock_guard lock(mutex_);
    return stats_;
}

}  // namespace dmarc
