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
    std::int64_t policy_time = 0;
    std::map<std::string, Row> rows;
};

}  // namespace

Period period_of(std::int64_t time, std::int64_t interval) {
    if (interval <= 0) interval = 86400;
    std::int64_t begin = time - ((time % interval) + interval) % interval;
    return {begin, begin + interval};
}

std::vector<Report> aggregate(const std::vector<Evaluation>& evaluations, std::int64_t interval,
                              const std::optional<std::string>& only_domain) {
    std::map<std::pair<std::string, Period>, Building> reports;
    std::optional<std::string> wanted;
    if (only_domain) wanted = lower(*only_domain);
    for (const auto& e : evaluations) {
        if (e.is_report || e.policy.domain.empty()) continue;
        std::string domain = lower(e.policy.domain);
        if (wanted && domain != *wanted) continue;
        Period period = period_of(e.time, interval);
        Building& b = reports[{domain, period}];
        b.report.policy_domain = domain;
        b.report.period = period;
        if (b.report.messages == 0 || e.time >= b.policy_time) {
            b.report.policy = e.policy;
            b.report.policy.domain = domain;
            b.policy_time = e.time;
        }
        ++b.report.messages;
        Row row = row_of(e);
        std::string key = row_key(row);
        auto it = b.rows.find(key);
        if (it != b.rows.end()) {
            ++it->second.count;
        } else if (b.rows.size() >= kMaxRows) {
            ++b.report.rows_dropped;
        } else {
            row.count = 1;
            b.rows.emplace(std::move(key), std::move(row));
        }
    }
    std::vector<Report> out;
    for (auto& [id, b] : reports) {
        for (auto& [key, row] : b.rows) b.report.rows.push_back(std::move(row));
        out.push_back(std::move(b.report));
    }
    return out;
}

}  // namespace report
