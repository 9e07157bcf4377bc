// aggregate: evaluations grouped into aggregate reports (RFC 9990 §2.1):
// one report per policy domain and period, one row per source IP +
// identifiers + results combination, with a count.
//
// Periods are per policy domain (period.h): the interval the domain asked
// for with ri, else report_interval, aligned to UTC boundaries, so a daily
// interval starts at 00:00 UTC (RFC 9990 §2.1: reports should adhere to
// hour/day boundaries). A report carries the last policy seen in its period
// (RFC 9990 §2.1.7: "the final configuration observed"). Evaluations without
// a policy domain (no DMARC record) and evaluations of messages that were
// themselves reports (is_report) are not reported on. envelope_to is set
// only when the message had exactly one recipient domain (the schema allows
// one per row; counting a message once per domain would inflate counts).
// A report holds at most kMaxRows rows; further combinations are counted in
// `rows_dropped` and left out.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "report/history.h"
#include "report/period.h"

namespace report {

inline constexpr std::size_t kMaxRows = 100000;
inline constexpr std::size_t kMaxDkimPerRow = 100;  // RFC 9990 §2.1.2

struct Row {
    std::string source_ip;
    std::string header_from;
    std::string envelope_from;
    std::string envelope_to;  // "" when not one recipient domain
    std::string disposition;
    std::string dmarc_dkim;
    std::string dmarc_spf;
    std::vector<std::string> reasons;
    std::vector<AuthResultEntry> dkim;
    std::vector<AuthResultEntry> spf;
    std::uint64_t count = 0;
};

struct Report {
    std::string policy_domain;
    Period period;
    PublishedPolicy policy;       // as last seen in the period
    std::vector<Row> rows;        // sorted by source IP, then identifiers
    std::uint64_t messages = 0;   // sum of the counts
    std::size_t rows_dropped = 0;
};

// A scan of the history: calls its argument for every evaluation, in time
// order. aggregate() runs it twice and must see the same evaluations both
// times (one that only the second pass sees is left out).
using EvaluationSource = std::function<void(const std::function<void(const Evaluation&)>&)>;

// Groups the evaluations into reports sorted by policy domain and period.
// interval: report_interval, for evaluations whose policy had no ri.
// only_domain: keep one policy domain (case-insensitive).
// Memory does not grow with the number of evaluations: the first pass keeps
// per domain the first and last evaluation time of each UTC hour (all that
// split_periods needs: periods are whole hours), the second builds the
// reports' rows.
std::vector<Report> aggregate(const EvaluationSource& source, std::int64_t interval,
                              const std::optional<std::string>& only_domain = std::nullopt);

// The same for evaluations in memory, in any order.
std::vector<Report> aggregate(const std::vector<Evaluation>& evaluations, std::int64_t interval,
                              const std::optional<std::string>& only_domain = std::nullopt);

}  // namespace report
