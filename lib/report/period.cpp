// period: see period.h.
#include "report/period.h"

#include <algorithm>
#include <array>

namespace report {
namespace {

// Whole hours dividing a day, ascending: the only period lengths, so that
// periods align to UTC boundaries and tile each day.
constexpr std::array<std::int64_t, 8> kLengths = {3600,      2 * 3600,  3 * 3600,  4 * 3600,
                                                  6 * 3600,  8 * 3600,  12 * 3600, 24 * 3600};

std::int64_t floor_to(std::int64_t time, std::int64_t unit) {
    return time - ((time % unit) + unit) % unit;
}

}  // namespace

Period period_of(std::int64_t time, std::int64_t interval) {
    if (interval <= 0) interval = kSecondsPerDay;
    std::int64_t begin = floor_to(time, interval);
    return {begin, begin + interval};
}

std::int64_t day_of(std::int64_t time) { return floor_to(time, kSecondsPerDay); }

std::int64_t effective_interval(std::optional<std::uint32_t> ri, std::int64_t fallback) {
    std::int64_t wanted = ri ? static_cast<std::int64_t>(*ri) : fallback;
    // RFC 7489 §7.2: at least daily, at most hourly.
    wanted = std::clamp(wanted, kMinReportInterval, kMaxReportInterval);
    std::int64_t chosen = kLengths.front();
    for (std::int64_t length : kLengths)
        if (length <= wanted) chosen = length;
    return chosen;
}

std::vector<Period> split_periods(std::span<const Stamp> stamps) {
    std::vector<Period> out;
    std::size_t i = 0;
    std::int64_t cursor = 0;
    while (i < stamps.size()) {
        const Stamp& next = stamps[i];
        std::int64_t day = day_of(next.time);
        if (out.empty() || cursor < day) cursor = day;
        // Skip the empty stretch before the next evaluation, to the start of
        // its interval (clamped: a caller's 0 must not divide).
        std::int64_t interval = std::clamp(next.interval, kMinReportInterval, kMaxReportInterval);
        cursor = std::max(cursor, floor_to(next.time, interval));
        for (std::int64_t length : kLengths) {
            // The first boundary of this length after the cursor (day-aligned: lengths divide a day).
            std::int64_t end = day + ((cursor - day) / length + 1) * length;
            auto past = std::lower_bound(stamps.begin() + static_cast<std::ptrdiff_t>(i), stamps.end(), end,
                                         [](const Stamp& s, std::int64_t t) { return s.time < t; });
            std::size_t last = static_cast<std::size_t>(past - stamps.begin());
            if (last == i) continue;  // no evaluation before this boundary
            if (stamps[last - 1].interval > length && length < kSecondsPerDay) continue;
            out.push_back({cursor, end});
            cursor = end;
            i = last;
            break;
        }
    }
    return out;
}

}  // namespace report
