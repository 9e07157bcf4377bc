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

// One domain's evaluations, in time order, into reports of its periods.
void reports_of(const std::string& domain, const std::vector<const Evaluation*>& list,
                std::int64_t interval, std::vector<Report>& out) {
    std::vector<Stamp> stamps;
    stamps.reserve(list.size());
    for (const Evaluation* e : list) stamps.push_back({e->time, effective_interval(e->policy.ri, interval)});
    std::vector<Period> periods = split_periods(stamps);
    std::size_t p = 0;
    std::optional<Building> b;
    for (const Evaluation* e : list) {
        while (e->time >= periods[p].end && p + 1 < periods.size()) ++p;  // each lies in one period
        if (b && !(b->report.period == periods[p])) out.push_back(b->finish()), b.reset();
        if (!b) {
            b.emplace();
            b->report.policy_domain = domain;
            b->report.period = periods[p];
        }
        b->add(*e);
    }
    if (b) out.push_back(b->finish());
}

}  // namespace

std::vector<Report> aggregate(const std::vector<Evaluation>& evaluations, std::int64_t interval,
                              const std::optional<std::string>& only_domain) {
    std::map<std::string, std::vector<const Evaluation*>> by_domain;
    std::optional<std::string> wanted;
    if (only_domain) wanted = lower(*only_domain);
    for (const auto& e : evaluations) {
        if (e.is_report || e.policy.domain.empty()) continue;
        std::string domain = lower(e.policy.domain);
        if (wanted && domain != *wanted) continue;
        by_domain[domain].push_back(&e);
    }
    std::vector<Report> out;
    for (auto& [domain, list] : by_domain) {
        std::stable_sort(list.begin(), list.end(),
                         [](const Evaluation* a, const Evaluation* b) { return a->time < b->time; });
        reports_of(domain, list, interval, out);
    }
    return out;
}

}  // namespace report
