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
    return std::chrono::seconds(0);  // temporary failures are never cached
}

dns::Answer CachingResolver::query(std::string_view name, dns::RrType type) {
    std::string_view bare = name;
    if (!bare.empty() && bare.back() == '.') bare.remove_suffix(1);
    std::string_view type_text = dns::type_name(type);
    std::string key;
    key.reserve(bare.size() + 1 + type_text.size());  // one allocation per lookup
    domain::append_lower(key, bare);
    key += '/';
    key += type_text;
    auto now = clock_();
    {
        std::lock_guard lock(mutex_);
        auto it = index_.find(key);
        if (it != index_.end()) {
            if (it->second->expires > now) {
                lru_.splice(lru_.begin(), lru_, it->second);
                ++stats_.hits;
                dns::Answer a = it->second->answer;
                auto age = std::chrono::duration_cast<std::chrono::seconds>(now - it->second->stored);
                auto cut = static_cast<std::uint32_t>(age.count());
                a.ttl = a.ttl > cut ? a.ttl - cut : 0;
                a.negative_ttl = a.negative_ttl > cut ? a.negative_ttl - cut : 0;
                return a;
            }
            lru_.erase(it->second);
            index_.erase(it);
        }
        ++stats_.misses;
    }
    dns::Answer answer = upstream_.query(name, type);
    store(std::move(key), answer, now);
    return answer;
}

void CachingResolver::store(std::string key, const dns::Answer& answer,
                            std::chrono::steady_clock::time_point now) {
    auto life = lifetime(answer);
    if (limits_.max_entries == 0 || life.count() <= 0) return;
    std::lock_guard lock(mutex_);
    if (auto it = index_.find(key); it != index_.end()) {  // another thread stored it meanwhile
        lru_.erase(it->second);
        index_.erase(it);
    }
    while (lru_.size() >= limits_.max_entries) {  // evict the least recently used
        index_.erase(lru_.back().key);
        lru_.pop_back();
    }
    lru_.push_front(Entry{key, answer, now, now + life});
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
