// run: what `mtaguard report send|dump` does, as one library call the tool
// wraps: read the history, aggregate (aggregate.h), render (xml.h), and for
// each report either write the XML into a directory (dump) or mail it to
// each `rua` mailto: destination (mail.h).
//
// Which periods (each domain's own, period.h): without an explicit range,
// every complete period (end <= now) of the UTC days wholly within
// report_retention; with one, the periods that overlap [begin, end),
// complete or not (the operator asked for them).
// Per destination, in the order published (RFC 9990 §2.5), at most
// kMaxDestinations: a destination already marked in the history is skipped;
// a URI that is not a usable mailto:, a destination in our own domain (never
// report about reports), an external destination that does not authorize
// itself (RFC 9990 §4) and a report larger than the URI's size limit
// (RFC 9990 §2.5, measured on the whole message) are refused and marked, so a
// rerun neither sends nor logs them again; a sent report is marked; a
// sendmail failure or a DNS temporary error leaves the destination unmarked
// for the next run and sets temp_failure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config.h"
#include "report/aggregate.h"
#include "report/history.h"
#include "report/mail.h"

namespace report {

inline constexpr std::size_t kMaxDestinations = 10;

struct RunOptions {
    std::int64_t now = 0;
    std::optional<Period> range;            // explicit --period
    std::optional<std::string> domain;      // --domain
    bool dry_run = false;
    std::string dump_dir;                   // non-empty: write XML files, send nothing
};

struct Outcome {
    std::string policy_domain;
    Period period;
    std::string destination;  // rua URI, or the file written by dump
    std::string action;       // "sent", "would send", "written", "already sent", "refused", "failed"
    std::string detail;       // why refused/failed
    std::size_t bytes = 0;    // message or file size
};

struct RunResult {
    std::vector<Outcome> outcomes;
    std::size_t reports = 0;   // reports built
    std::size_t corrupt = 0;   // history rows skipped
    bool temp_failure = false;
    std::string error;         // the history could not be read
};

// Our identity in reports: host name, org_name, contact address, the
// receiver domain of Subject and file names.
struct Identity {
    std::string org_name;
    std::string email;
    std::string receiver;
};
Identity identity(const config::Config& config);
std::string host_name();

// Deterministic, alphanumeric: a resend of the same report keeps its id and
// file name (RFC 9990 §2.5).
std::string report_id(const std::string& receiver, const Report& report);

RunResult run_reports(const config::Config& config, HistoryReader& history, ReportAuth& auth,
                      const RunOptions& options);

}  // namespace report

namespace report {

// "START..END": each a time in seconds since the epoch or a UTC date
// YYYY-MM-DD (its midnight); END after START. nullopt when malformed.
std::optional<Period> parse_period(std::string_view text);

}  // namespace report
