// period: which reporting periods a policy domain's evaluations fall into,
// honouring the interval each domain requested.
//
// RFC 7489 §6.3: ri is the requested interval between aggregate reports
// (seconds, default 86400); RFC 7489 §7.2: receivers should send at least
// daily and may send hourly. So a requested interval is clamped to
// [kMinReportInterval, kMaxReportInterval] and rounded down to a whole number
// of hours dividing a day (1, 2, 3, 4, 6, 8, 12, 24): periods are aligned to
// UTC boundaries of the interval (RFC 9990 §2.1: reports adhere to hour/day
// boundaries), so every UTC day splits into whole periods and no period
// crosses midnight. RFC 9989 removed ri: a record without it gets the
// operator's report_interval, put through the same rounding.
//
// Per domain, periods never overlap and are fixed once complete: starting
// at each UTC midnight, a period starts where the previous one ended (or at
// the start of the interval of the next evaluation, skipping empty
// stretches) and ends at the first boundary, of the candidate lengths in
// ascending order, whose window's latest evaluation asked for an interval no
// longer than that length ("take the latest value in the period"). Deciding
// a period reads only evaluations before its end, so a later run computes
// the same periods, and the sent marks (keyed by domain and period begin)
// match.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace report {

inline constexpr std::int64_t kSecondsPerDay = 86400;
inline constexpr std::int64_t kMinReportInterval = 3600;             // RFC 7489 §7.2: may send hourly
inline constexpr std::int64_t kMaxReportInterval = kSecondsPerDay;   // RFC 7489 §7.2: at least daily

struct Period {
    std::int64_t begin = 0;  // inclusive
    std::int64_t end = 0;    // exclusive
    bool operator<(const Period& o) const { return begin < o.begin || (begin == o.begin && end < o.end); }
    bool operator==(const Period& o) const { return begin == o.begin && end == o.end; }
};

// The period of length `interval` (<= 0: a day) aligned to the epoch that
// holds `time`.
Period period_of(std::int64_t time, std::int64_t interval);

// The UTC midnight at or before `time`.
std::int64_t day_of(std::int64_t time);

// The interval used for a domain: ri when published, else `fallback`
// (report_interval), clamped and rounded down as above.
std::int64_t effective_interval(std::optional<std::uint32_t> ri, std::int64_t fallback);

struct Stamp {
    std::int64_t time = 0;
    std::int64_t interval = 0;  // effective_interval() of that evaluation
};

// The periods of one domain's evaluations, `stamps` sorted by time; each
// stamp lies in exactly one of the returned periods, and each period holds
// at least one stamp. Sorted, non-overlapping.
std::vector<Period> split_periods(std::span<const Stamp> stamps);

}  // namespace report
