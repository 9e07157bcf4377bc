// aggregate: see aggregate.h.
#include "report/aggregate.h"

#include <algorithm>
#include <cctype>

namespace report {
namespace {

std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

void append_field(std::string& key, const std::string& field) {
    key += field;
    key += '\x1f';
}

// The row identity: every field a report row distinguishes.
std::string row_key(const Row& r) {
    std::string key;
    for (const auto* f : {&r.source_ip, &r.header_from, &r.envelope_from, &r.envelope_to,
                          &r.disposition, &r.dmarc_dkim, &r.dmarc_spf})
        append_field(key, *f);
    key += '\x1e';
    for (const auto& reason : r.reasons) append_field(key, reason);
    for (const auto* list : {&r.dkim, &r.spf}) {
        key += '\x1e';
        for (const auto& a : *list) {
            append_field(key, a.domain);
            append_field(key, a.selector);
            append_field(key, a.scope);
            append_field(key, a.result);
        }
    }
    return key;
}

Row row_of(const Evaluation& e) {
    Row r;
    r.source_ip = e.source_ip;
    r.header_from = lower(e.header_from);
    r.envelope_from = lower(e.envelope_from_domain);
    std::vector<std::string> to;
    for (const auto& d : e.envelope_to_domains) to.push_back(lower(d));
    std::sort(to.begin(), to.end());
    to.erase(std::unique(to.begin(), to.end()), to.end());
    if (to.size() == 1) r.envelope_to = to.front();
    r.disposition = e.disposition.empty() ? "none" : e.disposition;
    r.dmarc_dkim = e.dmarc_dkim == "pass" ? "pass" : "fail";
    r.dmarc_spf = e.dmarc_spf == "pass" ? "pass" : "fail";
    r.reasons = e.reasons;
    std::sort(r.reasons.begin(), r.reasons.end());
    r.reasons.erase(std::unique(r.reasons.begin(), r.reasons.end()), r.reasons.end());
    r.dkim.assign(e.dkim.begin(), e.dkim.begin() + static_cast<std::ptrdiff_t>(
                                                       std::min(e.dkim.size(), kMaxDkimPerRow)));
    r.spf = e.spf;
    return r;
}

struct Building {
    Report report;
    std::map<std::string, Row> rows;

    // Evaluations arrive in time order: the last one carries the policy
    // (RFC 9990 §2.1: "the final configuration observed").
    void add(const Evaluation& e) {
        report.policy = e.policy;
        report.policy.domain = report.policy_domain;
        ++report.messages;
        Row row = row_of(e);
        std::string key = row_key(row);
        auto it = rows.find(key);
        if (it != rows.end()) {
            ++it->second.count;
        } else if (rows.size() >= kMaxRows) {
            ++report.rows_dropped;
        } else {
            row.count = 1;
            rows.emplace(std::move(key), std::move(row));
        }
    }

    Report finish() {
        for (auto& [key, row] : rows) report.rows.push_back(std::move(row));
        return std::move(report);
    }
};

// The policy domain an evaluation is reported under, lowercase; "" when it
// is not reported on (no DMARC record, a report itself, another domain).
std::string report_domain(const Evaluation& e, const std::optional<std::string>& wanted) {
    if (e.is_report || e.policy.domain.empty()) return "";
    std::string domain = lower(e.policy.domain);
    if (wanted && domain != *wanted) return "";
    return domain;
}

// One domain's periods and the reports being built in them.
struct DomainReports {
    std::vector<Period> periods;
    std::vector<std::optional<Building>> reports;  // by period
};

}  // namespace

std::vector<Report> aggregate(const EvaluationSource& source, std::int64_t interval,
                              const std::optional<std::string>& only_domain) {
    std::optional<std::string> wanted;
    if (only_domain) wanted = lower(*only_domain);

    // Pass 1: the stamps split_periods needs. Periods start and end on whole
    // UTC hours, and split_periods only looks at the first evaluation after
    // a boundary and the last one before a boundary: of each hour, the first
    // and the last stamp give the same periods as all of them.
    std::map<std::string, std::vector<Stamp>> stamps;
    source([&](const Evaluation& e) {
        std::string domain = report_domain(e, wanted);
        if (domain.empty()) return;
        auto& list = stamps[domain];
        Stamp stamp{e.time, effective_interval(e.policy.ri, interval)};
        auto hour = [](std::int64_t t) { return period_of(t, kMinReportInterval).begin; };
        std::size_t n = list.size();
        if (n >= 2 && hour(list[n - 1].time) == hour(e.time) && hour(list[n - 2].time) == hour(e.time)) {
            // The hour's earliest and latest so far (whatever the order they come in).
            if (e.time < list[n - 2].time) list[n - 2] = stamp;
            else if (e.time >= list[n - 1].time) list[n - 1] = stamp;
        } else {
            list.push_back(stamp);
        }
    });
    std::map<std::string, DomainReports> domains;
    for (auto& [domain, list] : stamps) {
        std::stable_sort(list.begin(), list.end(), [](const Stamp& a, const Stamp& b) { return a.time < b.time; });
        DomainReports& d = domains[domain];
        d.periods = split_periods(list);
        d.reports.resize(d.periods.size());
    }
    stamps.clear();

    // Pass 2: each evaluation into the report of its period.
    source([&](const Evaluation& e) {
        std::string domain = report_domain(e, wanted);
        auto it = domain.empty() ? domains.end() : domains.find(domain);
        if (it == domains.end()) return;  // recorded after the first pass
        const auto& periods = it->second.periods;
        auto p = std::upper_bound(periods.begin(), periods.end(), e.time,
                                  [](std::int64_t t, const Period& period) { return t < period.begin; });
        if (p == periods.begin() || e.time >= (p - 1)->end) return;  // likewise
        --p;
        auto& building = it->second.reports[static_cast<std::size_t>(p - periods.begin())];
        if (!building) {
            building.emplace();
            building->report.policy_domain = domain;
            building->report.period = *p;
        }
        building->add(e);
    });
    std::vector<Report> out;
    for (auto& [domain, d] : domains)
        for (auto& building : d.reports)
            if (building) out.push_back(building->finish());
    return out;
}

std::vector<Report> aggregate(const std::vector<Evaluation>& evaluations, std::int64_t interval,
                              const std::optional<std::string>& only_domain) {
    std::vector<const Evaluation*> ordered;
    for (const auto& e : evaluations) ordered.push_back(&e);
    std::stable_sort(ordered.begin(), ordered.end(),
                     [](const Evaluation* a, const Evaluation* b) { return a->time < b->time; });
    EvaluationSource source = [&](const std::function<void(const Evaluation&)>& visit) {
        for (const Evaluation* e : ordered) visit(*e);
    };
    return aggregate(source, interval, only_domain);
}

}  // namespace report
