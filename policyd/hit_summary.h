// hit_summary: the rate-safe log of lookups answered without a fetch (cache
// hits, backoff rows, probes, next hops, IP literals). Instead of one line
// per request, counts are kept per domain and logged once per interval: one
// line per domain, most-asked first, at most kMaxLoggedDomains lines, then
// one line with what was left out and the per-kind counts. At most
// kMaxTrackedDomains domains (about 150 bytes each) are tracked between
// flushes; the rest only count in the totals.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>

namespace policyd {

inline constexpr std::size_t kMaxLoggedDomains = 50;
inline constexpr std::size_t kMaxTrackedDomains = 4096;

class HitSummary {
    struct Entry;

public:
    // Where a domain's counter is, for a caller that counts the same domain
    // again and again (the dispatcher keeps one per remembered answer): valid
    // until the next flush(), then found again by name.
    struct Handle {
        Entry* entry = nullptr;
        std::uint64_t generation = 0;
    };

    // answer and cache: names with static storage (answer_name(),
    // sts::cache_state_name()); they are kept as views.
    void count_domain(std::string_view domain, std::string_view answer, std::string_view cache,
                      std::chrono::seconds age, Handle& handle);
    void count_kind(std::string_view kind);  // parent-probe, next-hop, ip-literal, ...
    bool empty() const { return entries_.empty() && kinds_.empty() && untracked_ == 0; }
    void flush();  // logs at info and starts over

private:
    struct Entry {
        std::uint64_t count = 0;
        std::string_view answer;
        std::string_view cache;
        std::chrono::seconds age{0};
    };
    struct NameHash {  // heterogeneous lookup: counting a hit copies no name
        using is_transparent = void;
        std::size_t operator()(std::string_view name) const { return std::hash<std::string_view>{}(name); }
    };
    std::unordered_map<std::string, Entry, NameHash, std::equal_to<>> entries_;
    std::map<std::string, std::uint64_t, std::less<>> kinds_;
    std::uint64_t untracked_ = 0;
    std::uint64_t generation_ = 1;  // of entries_: flush() starts a new one
};

}  // namespace policyd
