// run: see run.h.
#include "report/run.h"

#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <fstream>

#include "log.h"
#include "report/xml.h"

namespace report {
namespace {

constexpr std::size_t kMaxHostName = 255;

std::string domain_of(const std::string& address) {
    auto at = address.rfind('@');
    return at == std::string::npos ? std::string() : address.substr(at + 1);
}

struct Job {
    const config::Config& config;
    HistoryReader& history;
    ReportAuth& auth;
    const RunOptions& options;
    Identity id;
    RunResult result;

    void mark(const Report& r, const std::string& uri, const std::string& outcome) {
        if (options.dry_run) return;
        std::string error;
        if (!history.mark_sent({r.policy_domain, r.period.begin, uri, outcome, options.now}, error))
            logging::error("report: cannot record outcome: " + error);
    }

    Outcome outcome(const Report& r, const std::string& dest, std::string action,
                    std::string detail = {}, std::size_t bytes = 0) {
        return {r.policy_domain, r.period, dest, std::move(action), std::move(detail), bytes};
    }

    void refuse(const Report& r, const std::string& uri, const std::string& why) {
        mark(r, uri, "refused: " + why);
        result.outcomes.push_back(outcome(r, uri, "refused", why));
    }

    void deliver(const Report& r, const std::string& uri, const MessageParts& base) {
        if (history.is_sent(r.policy_domain, r.period.begin, uri)) {
            result.outcomes.push_back(outcome(r, uri, "already sent"));
            return;
        }
        ParsedDestination parsed = parse_destination(uri);
        if (!parsed.destination) return refuse(r, uri, parsed.error);
        const Destination& d = *parsed.destination;
        if (d.domain == id.receiver || psl_org_domain(d.domain) == psl_org_domain(id.receiver))
            return refuse(r, uri, "our own domain (no reports about reports)");
        switch (auth.authorize(r.policy_domain, d.domain)) {
        case AuthDecision::Authorized: break;
        case AuthDecision::Refused:
            return refuse(r, uri, "external destination not authorized (no " + r.policy_domain +
                                      "._report._dmarc." + d.domain + " record)");
        case AuthDecision::TempError:
            result.temp_failure = true;
            result.outcomes.push_back(outcome(r, uri, "failed", "DNS temporary error"));
            return;
        }
        MessageParts parts = base;
        parts.to = d.address;
        std::string message = build_message(parts);
        if (d.max_bytes && message.size() > *d.max_bytes)
            return refuse(r, uri, "report of " + std::to_string(message.size()) +
                                      " bytes exceeds the limit of " +
                                      std::to_string(*d.max_bytes));
        if (options.dry_run) {
            result.outcomes.push_back(outcome(r, uri, "would send", "", message.size()));
            return;
        }
        SendResult sent = send_message(config.str("report_sendmail"), id.email, d.address, message);
        if (!sent.ok) {
            result.temp_failure = true;
            result.outcomes.push_back(outcome(r, uri, "failed", sent.error, message.size()));
            return;
        }
        mark(r, uri, "sent");
        result.outcomes.push_back(outcome(r, uri, "sent", "", message.size()));
    }

    void dump(const Report& r, const std::string& name, const std::string& xml) {
        std::string path = options.dump_dir + "/" + name;
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out << xml;
        out.close();
        if (!out) {
            result.temp_failure = true;
            result.outcomes.push_back(outcome(r, path, "failed", "cannot write"));
            return;
        }
        result.outcomes.push_back(outcome(r, path, "written", "", xml.size()));
    }

    void handle(const Report& r) {
        ++result.reports;
        Metadata meta{id.org_name, id.email, report_id(id.receiver, r),
                      config.str("dmarc_discovery")};
        std::string xml = render_xml(r, meta);
        MessageParts base;
        base.from = id.email;
        base.receiver = id.receiver;
        base.policy_domain = r.policy_domain;
        base.begin = r.period.begin;
        base.end = r.period.end - 1;
        base.report_id = meta.report_id;
        base.date = options.now;
        if (!options.dump_dir.empty()) {
            std::string name = attachment_name(base);
            return dump(r, name.substr(0, name.size() - 3), xml);  // without ".gz"
        }
        base.gzipped_xml = gzip(xml);
        std::size_t n = 0;
        for (const auto& uri : r.policy.rua) {
            if (++n > kMaxDestinations) {
                refuse(r, uri, "more than " + std::to_string(kMaxDestinations) + " destinations");
                continue;
            }
            deliver(r, uri, base);
        }
    }
};

}  // namespace

std::string host_name() {
    char buf[kMaxHostName + 1] = {};
    if (gethostname(buf, kMaxHostName) != 0) return "localhost";
    return buf;
}

Identity identity(const config::Config& config) {
    Identity id;
    std::string host = host_name();
    id.email = config.str("report_email").empty() ? "postmaster@" + host : config.str("report_email");
    id.org_name = config.str("report_org_name").empty() ? host : config.str("report_org_name");
    id.receiver = domain_of(id.email);
    if (id.receiver.empty()) id.receiver = host;
    for (char& c : id.receiver) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return id;
}

std::string report_id(const std::string& receiver, const Report& report) {
    // FNV-1a 64 over the report's identity.
    std::uint64_t h = 14695981039346656037ULL;
    std::string text = receiver + "!" + report.policy_domain + "!" +
                       std::to_string(report.period.begin) + "!" + std::to_string(report.period.end);
    for (unsigned char c : text) {
        h ^= c;
        h *= 1099511628211ULL;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    return std::to_string(report.period.begin) + buf;
}

RunResult run_reports(const config::Config& config, HistoryReader& history, ReportAuth& auth,
                      const RunOptions& options) {
    Job job{config, history, auth, options, identity(config), {}};
    std::int64_t interval = config.duration("report_interval").count() / 1000;
    std::int64_t retention = config.duration("report_retention").count() / 1000;
    // Periods are computed from whole UTC days (period.h), so scan whole days.
    Period scan{day_of(options.now - retention), options.now};
    if (options.range) {
        scan.begin = day_of(options.range->begin);
        scan.end = day_of(options.range->end - 1) + kSecondsPerDay;
    }
    // The history is read twice (aggregate.h), never held in memory.
    HistoryReader::ScanStatus status;
    EvaluationSource source = [&](const std::function<void(const Evaluation&)>& visit) {
        if (!status.error.empty()) return;
        HistoryReader::ScanStatus pass =
            history.scan(scan.begin, scan.end, [&](Evaluation&& e) { visit(e); });
        status.corrupt = std::max(status.corrupt, pass.corrupt);
        status.error = pass.error;
    };
    std::vector<Report> reports = aggregate(source, interval, options.domain);
    job.result.corrupt = status.corrupt;
    if (!status.error.empty()) {
        job.result.error = status.error;
        return job.result;
    }
    if (status.corrupt > 0)
        logging::warning("report: skipped unreadable history rows " +
                         logging::fields({{"count", std::to_string(status.corrupt)}}));
    for (const Report& r : reports) {
        if (options.range) {
            // The periods overlapping the range, complete or not.
            if (r.period.end <= options.range->begin || r.period.begin >= options.range->end) continue;
        } else if (r.period.end > options.now || day_of(r.period.begin) < options.now - retention) {
            // Complete periods of days wholly inside the retention window
            // (a day partly purged would report partly).
            continue;
        }
        job.handle(r);
    }
    return job.result;
}

}  // namespace report

namespace report {
namespace {

std::optional<std::int64_t> parse_time(std::string_view t) {
    if (t.empty() || t.size() > 19) return std::nullopt;
    bool digits = t.find_first_not_of("0123456789") == std::string_view::npos;
    if (digits) return std::stoll(std::string(t));
    // YYYY-MM-DD
    if (t.size() != 10 || t[4] != '-' || t[7] != '-') return std::nullopt;
    std::string s(t);
    std::tm tm{};
    if (std::sscanf(s.c_str(), "%4d-%2d-%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday) != 3)
        return std::nullopt;
    if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31) return std::nullopt;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return static_cast<std::int64_t>(timegm(&tm));
}

}  // namespace

std::optional<Period> parse_period(std::string_view text) {
    auto dots = text.find("..");
    if (dots == std::string_view::npos) return std::nullopt;
    auto begin = parse_time(text.substr(0, dots));
    auto end = parse_time(text.substr(dots + 2));
    if (!begin || !end || *end <= *begin) return std::nullopt;
    return Period{*begin, *end};
}

}  // namespace report
