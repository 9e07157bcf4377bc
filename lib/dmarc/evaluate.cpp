// evaluate: one DMARC verdict per message; see evaluate.h.
//
// Steps: the SPF and DKIM results that count (trust.h); the author domains
// of every From header (mail/from.h); verify() per author domain; an action
// per domain under the local policy; the strictest domain decides.
//
// Author domains (RFC 7489 §6.6.1, RFC 5322 §3.6: exactly one From is
// required; OpenDMARC CVE-2019-16378 and CVE-2021-34555 show what happens
// otherwise). None of these may be a way around a reject policy:
//   - several From headers, or one From naming several domains: every
//     distinct author domain is evaluated and the strictest outcome applies;
//   - no From header, a From that does not parse, or more than
//     kMaxAuthorDomains domains: a permerror result for the message
//     ("From unusable"), which rejects when dmarc_reject_failures and
//     dmarc_reject_malformed_from are both yes; the domains of the From
//     headers that did parse are still evaluated, so adding a broken From
//     to a message never weakens the verdict.
// Strictest: the domain whose action is most severe (reject > tempfail >
// quarantine > accept); on a tie the worse status (fail > temperror >
// permerror > none > pass), then the stronger requested policy, then the
// first in header order.
// Actions (RFC 7489 §6.7 and RFC 9989: the receiver's local policy may
// override the requested one):
//   fail, applied policy reject (after pct / t=y, verify()):
//       Reject 550 5.7.1 when dmarc_reject_failures = yes, else Accept (tagged);
//   fail, applied policy quarantine: Quarantine when
//       dmarc_quarantine_action = quarantine, else Accept (tagged);
//   temperror: TempFail 451 4.7.1 when dmarc_temperror_action = tempfail,
//       else Accept (a temporary DNS error never rejects);
//   anything else: Accept.
// The Authentication-Results value added for the verdict (RFC 8601 §2.7.1
// dmarc=, RFC 9989 policy.dmarc):
//   <authserv-id>; dmarc=<status> (p=<requested> dis=<disposition>)
//       header.from=<domain> policy.dmarc=<requested>
// where disposition is what this message got (none, quarantine, reject);
// without a policy: "<authserv-id>; dmarc=<status> header.from=<domain>";
// for an unusable From: "<authserv-id>; dmarc=permerror reason="..."".
#include "dmarc/evaluate.h"

#include <algorithm>
#include <tuple>

#include "dmarc/trust.h"
#include "dmarc/verify.h"
#include "mail/from.h"

namespace dmarc {

namespace {

// One evaluated author (or the unusable From), with what it asks us to do.
struct Outcome {
    DomainResult result;
    bool from_error = false;
    Action action = Action::Accept;
    std::string why;
};

int severity(Action a) {
    switch (a) {
    case Action::Reject: return 3;
    case Action::TempFail: return 2;
    case Action::Quarantine: return 1;
    case Action::Accept: return 0;
    }
    return 0;
}

int status_rank(Status s) {
    switch (s) {
    case Status::Fail: return 4;
    case Status::TempError: return 3;
    case Status::PermError: return 2;
    case Status::None: return 1;
    case Status::Pass: return 0;
    }
    return 0;
}

int policy_rank(const std::optional<Policy>& p) { return p ? static_cast<int>(*p) + 1 : 0; }

void decide(Outcome& o, const config::Config& config) {
    const DomainResult& r = o.result;
    std::string name = r.author_domain;
    if (o.from_error) {
        bool reject = config.boolean("dmarc_reject_failures") && config.boolean("dmarc_reject_malformed_from");
        o.action = reject ? Action::Reject : Action::Accept;
        o.why = r.error + (reject ? ": rejected (dmarc_reject_malformed_from = yes)"
                                  : ": accepted (dmarc_reject_failures or dmarc_reject_malformed_from = no)");
        return;
    }
    std::string head = name + ": dmarc=" + std::string(status_name(r.status));
    if (r.status == Status::Fail) {
        // verify(): `applied` is the requested policy after pct / t=y (RFC 7489 §6.6.4).
        Policy p = r.applied.value_or(Policy::None);
        head += " policy " + std::string(policy_name(p)) + (r.sampled_out ? " (sampled out)" : "");
        if (p == Policy::Reject) {
            bool reject = config.boolean("dmarc_reject_failures");
            o.action = reject ? Action::Reject : Action::Accept;
            o.why = head + (reject ? ": rejected" : ": tagged only (dmarc_reject_failures = no)");
        } else if (p == Policy::Quarantine) {
            bool hold = config.str("dmarc_quarantine_action") == "quarantine";
            o.action = hold ? Action::Quarantine : Action::Accept;
            o.why = head + (hold ? ": quarantined" : ": tagged only (dmarc_quarantine_action = tag)");
        } else {
            o.why = head + ": accepted";
        }
    } else if (r.status == Status::TempError) {
        bool tempfail = config.str("dmarc_temperror_action") == "tempfail";
        o.action = tempfail ? Action::TempFail : Action::Accept;
        o.why = head + (r.error.empty() ? "" : " (" + r.error + ")") +
                (tempfail ? ": deferred" : ": accepted (dmarc_temperror_action = accept)");
    } else {
        o.why = head + (r.error.empty() ? "" : " (" + r.error + ")") + ": accepted";
    }
}

bool stricter(const Outcome& a, const Outcome& b) {
    return std::make_tuple(severity(a.action), status_rank(a.result.status), policy_rank(a.result.requested)) >
           std::make_tuple(severity(b.action), status_rank(b.result.status), policy_rank(b.result.requested));
}

Outcome from_error(std::string error) {
    Outcome o;
    o.from_error = true;
    o.result.status = Status::PermError;
    o.result.error = std::move(error);
    o.result.explanation = o.result.error;
    return o;
}

// Distinct author domains of every From header; errors as outcomes.
std::vector<std::string> author_domains(const MessageFacts& facts, std::vector<Outcome>& errors) {
    std::vector<std::string> domains;
    if (facts.from_headers.empty()) errors.push_back(from_error("no From header"));
    for (std::size_t i = 0; i < facts.from_headers.size(); ++i) {
        auto parsed = mail::parse_from(facts.from_headers[i]);
        if (!parsed.ok()) {
            std::string which = facts.from_headers.size() > 1 ? " " + std::to_string(i + 1) : "";
            errors.push_back(from_error("From header" + which + " unusable: " + parsed.error));
            continue;
        }
        for (auto& d : parsed.domains())
            if (std::find(domains.begin(), domains.end(), d) == domains.end()) domains.push_back(d);
    }
    if (domains.size() > kMaxAuthorDomains) {
        errors.push_back(from_error("more than " + std::to_string(kMaxAuthorDomains) + " author domains"));
        domains.resize(kMaxAuthorDomains);
    }
    return domains;
}

std::string quoted(std::string_view s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        out += (c == '\r' || c == '\n') ? ' ' : c;
    }
    return out + "\"";
}

std::string disposition(Action a) {
    switch (a) {
    case Action::Reject: return "reject";
    case Action::Quarantine: return "quarantine";
    default: return "none";
    }
}

std::string header_value(const Outcome& o, const config::Config& config) {
    const DomainResult& r = o.result;
    std::string h = own_authserv_id(config) + "; dmarc=" + std::string(status_name(r.status));
    if (o.from_error) return h + " reason=" + quoted(r.error);
    if (r.requested) {
        std::string p(policy_name(*r.requested));
        h += " (p=" + p + " dis=" + disposition(o.action) + ") header.from=" + r.author_domain +
             " policy.dmarc=" + p;
    } else {
        h += " header.from=" + r.author_domain;
    }
    return h;
}

void smtp_reply(Verdict& v, const Outcome& o) {
    if (v.action == Action::Reject) {
        v.smtp_code = "550";
        v.smtp_xcode = "5.7.1";
        v.smtp_text = o.from_error ? "DMARC cannot be evaluated: " + o.result.error
                                   : "DMARC policy of " + o.result.author_domain + " rejects this message";
    } else if (v.action == Action::TempFail) {
        v.smtp_code = "451";
        v.smtp_xcode = "4.7.1";
        v.smtp_text = "DMARC policy of " + o.result.author_domain + " cannot be checked now, try again later";
    }
}

}  // namespace

Verdict evaluate(const MessageFacts& facts, dns::Resolver& resolver, const config::Config& config) {
    return evaluate(facts, resolver, config, -1);
}

Verdict evaluate(const MessageFacts& facts, dns::Resolver& resolver, const config::Config& config, int roll) {
    Verdict v;
    TrustedResults trusted = trusted_results(facts, config);
    v.spf = std::move(trusted.spf);
    v.dkim = std::move(trusted.dkim);
    std::vector<Outcome> outcomes;
    std::vector<std::string> domains = author_domains(facts, outcomes);
    for (const auto& d : domains) {
        Outcome o;
        o.result = verify(d, v.spf, v.dkim, resolver, config, roll);
        outcomes.push_back(std::move(o));
    }
    for (auto& o : outcomes) decide(o, config);
    // Header order first, then the From errors, so ties go to a real domain.
    std::stable_partition(outcomes.begin(), outcomes.end(), [](const Outcome& o) { return !o.from_error; });
    const Outcome* worst = &outcomes.front();
    for (const auto& o : outcomes)
        if (stricter(o, *worst)) worst = &o;
    v.status = worst->result.status;
    v.header_from = worst->result.author_domain;
    v.action = worst->action;
    v.reason = worst->why;
    if (trusted.from_received_spf) v.reason += " (SPF from Received-SPF)";
    if (trusted.own_results_ignored)
        v.reason += " (own results ignored: more than " + std::to_string(kMaxQueueIdGuesses) +
                    " queue id guesses)";
    if (outcomes.size() > 1) v.reason += "; strictest of " + std::to_string(outcomes.size()) + " author results";
    v.header_value = header_value(*worst, config);
    smtp_reply(v, *worst);
    for (auto& o : outcomes)
        if (!o.from_error) v.domains.push_back(std::move(o.result));
    return v;
}

}  // namespace dmarc
