// hit_summary: see hit_summary.h.
#include "hit_summary.h"

#include <algorithm>
#include <vector>

#include "log.h"

namespace policyd {

void HitSummary::count_domain(std::string_view domain, std::string_view answer, std::string_view cache,
                              std::chrono::seconds age, Handle& handle) {
    // Elements of an unordered_map keep their address until erased, and
    // entries are only erased by flush(), which starts a new generation.
    if (handle.generation != generation_ || !handle.entry) {
        auto it = entries_.find(domain);
        if (it == entries_.end()) {
            if (entries_.size() >= kMaxTrackedDomains) {
                ++untracked_;
                return;
            }
            it = entries_.emplace(std::string(domain), Entry{}).first;
        }
        handle = Handle{&it->second, generation_};
    }
    Entry& e = *handle.entry;
    ++e.count;
    e.answer = answer;
    e.cache = cache;
    e.age = age;
}

void HitSummary::count_kind(std::string_view kind) {
    auto it = kinds_.find(kind);
    if (it == kinds_.end()) it = kinds_.emplace(std::string(kind), 0).first;
    ++it->second;
}

void HitSummary::flush() {
    std::vector<std::pair<const std::string*, const Entry*>> order;
    order.reserve(entries_.size());
    for (const auto& [domain, entry] : entries_) order.emplace_back(&domain, &entry);
    std::sort(order.begin(), order.end(),
              [](const auto& a, const auto& b) { return a.second->count > b.second->count; });
    std::uint64_t left_out = untracked_;
    for (std::size_t i = 0; i < order.size(); ++i) {
        const Entry& e = *order[i].second;
        if (i >= kMaxLoggedDomains) {
            left_out += e.count;
            continue;
        }
        std::string count = std::to_string(e.count);
        std::string age = std::to_string(e.age.count()) + "s";
        logging::info("lookup summary " + logging::fields({{"domain", *order[i].first},
                                                           {"count", count},
                                                           {"answer", e.answer},
                                                           {"cache", e.cache},
                                                           {"age", age}}));
    }
    if (left_out > 0 || !kinds_.empty()) {
        std::string line = "lookup summary others=" + std::to_string(left_out);
        for (const auto& [kind, n] : kinds_) line += " " + kind + "=" + std::to_string(n);
        logging::info(line);
    }
    entries_.clear();
    ++generation_;
    kinds_.clear();
    untracked_ = 0;
}

}  // namespace policyd
