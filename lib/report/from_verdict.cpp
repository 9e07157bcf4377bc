// from_verdict: see from_verdict.h.
#include "report/from_verdict.h"

#include "dmarc/record.h"

namespace report {
namespace {

PublishedPolicy published(const dmarc::DomainResult& d) {
    PublishedPolicy p;
    p.domain = d.policy_domain.value_or("");
    // The record verify() found, as parsed then; parsed here only when a
    // caller built the result without it.
    std::optional<dmarc::RecordParse> parsed;
    const dmarc::Record* found = d.parsed_record.get();
    if (!found && d.record) {
        parsed = dmarc::parse_record(*d.record);
        if (parsed->record) found = &*parsed->record;
    }
    if (!found) return p;
    const dmarc::Record& r = *found;
    p.p = std::string(dmarc::policy_name(r.p));
    p.sp = std::string(dmarc::policy_name(r.sp));
    p.np = std::string(dmarc::policy_name(r.np));
    p.adkim = std::string(dmarc::alignment_name(r.adkim));
    p.aspf = std::string(dmarc::alignment_name(r.aspf));
    p.pct = r.pct;
    p.t = r.testing ? "y" : "n";
    p.psd = std::string(1, r.psd);
    // RFC 7489 §6.3: the requested report interval; absent under RFC 9989.
    if (r.ri_explicit) p.ri = r.ri;
    for (const auto& uri : r.rua)
        p.rua.push_back(uri.max_size_bytes ? uri.uri + "!" + std::to_string(*uri.max_size_bytes) : uri.uri);
    return p;
}

std::string disposition(dmarc::Action action) {
    switch (action) {
    case dmarc::Action::Reject: return "reject";
    case dmarc::Action::Quarantine: return "quarantine";
    default: return "none";
    }
}

// RFC 9990 §2.1.5: why the disposition differs from the requested policy.
std::vector<std::string> reasons(const dmarc::DomainResult& d, const std::string& applied) {
    if (d.status != dmarc::Status::Fail || !d.requested) return {};
    if (dmarc::policy_name(*d.requested) == applied) return {};
    if (d.testing) return {"policy_test_mode"};
    if (d.sampled_out) return {"sampled_out"};
    return {"local_policy"};
}

AuthResultEntry entry(const dmarc::AuthFact& f) { return {f.domain, f.selector, f.scope, f.result}; }

}  // namespace

std::vector<Evaluation> evaluations_of(const dmarc::Verdict& verdict, const MessageContext& message) {
    std::vector<Evaluation> out;
    if (verdict.action == dmarc::Action::TempFail) return out;
    for (const auto& d : verdict.domains) {
        if (!d.policy_domain || (d.status != dmarc::Status::Pass && d.status != dmarc::Status::Fail))
            continue;
        Evaluation e;
        e.time = message.time;
        e.source_ip = message.client_ip;
        e.header_from = d.author_domain;
        e.envelope_from_domain = message.envelope_from_domain;
        e.envelope_to_domains = message.envelope_to_domains;
        for (const auto& f : verdict.spf) e.spf.push_back(entry(f));
        for (const auto& f : verdict.dkim) e.dkim.push_back(entry(f));
        e.policy = published(d);
        e.dmarc_spf = d.aligned_spf ? "pass" : "fail";
        e.dmarc_dkim = d.aligned_dkim ? "pass" : "fail";
        e.disposition = disposition(verdict.action);
        e.reasons = reasons(d, e.disposition);
        e.is_report = message.is_report;
        out.push_back(std::move(e));
    }
    return out;
}

}  // namespace report
