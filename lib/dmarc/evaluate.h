// evaluate: the single entry point mtaguard-milter calls for a message.
//
// CONTRACT (written before the implementation; the implementer may add
// fields and helpers but keeps these names and meanings):
// dmarc::evaluate(facts, resolver, config) reads the message's raw facts,
// decides which SPF and DKIM results count (RFC 8601 trust: authserv-ids in
// trusted_authserv_ids, or our own authserv_id bound to this queue id as
// "authserv_id/QUEUEID"; SPF from smtp.mailfrom, else smtp.helo when the
// envelope sender is empty; DKIM from header.d, else the domain of header.i;
// Received-SPF under the same trust), discovers and evaluates the DMARC policy
// of every author domain, and returns one Verdict: the strictest outcome over
// the author domains plus the action the milter must apply under the
// configuration (dmarc_reject_failures, dmarc_quarantine_action,
// dmarc_temperror_action, dmarc_sampling, ...). The milter only applies it.
// The resolver passed in is expected to be a caching one (dmarc/cache.h).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config.h"
#include "dns.h"

namespace dmarc {

enum class Status { None, Pass, Fail, TempError, PermError };
enum class Policy { None, Quarantine, Reject };  // a p=/sp=/np= value
enum class Action { Accept, Quarantine, Reject, TempFail };

std::string_view status_name(Status s);   // "none", "pass", "fail", "temperror", "permerror"
std::string_view policy_name(Policy p);   // "none", "quarantine", "reject"
std::string_view action_name(Action a);   // "accept", "quarantine", "reject", "tempfail"

// What the milter collected; raw header values, untrusted.
struct MessageFacts {
    std::vector<std::string> from_headers;            // every From: value
    std::vector<std::string> authentication_results;  // every Authentication-Results: value
    std::vector<std::string> received_spf;            // every Received-SPF: value
    std::string queue_id;                             // Postfix/Sendmail macro i
    std::string envelope_from;                        // MAIL FROM address, "" for <>
    std::string helo;
    std::string client_ip;
};

// The authenticated identifiers that counted (for logs and aggregate reports).
struct AuthFact {
    std::string method;    // "spf" or "dkim"
    std::string result;    // "pass", "fail", ... as the upstream filter wrote it
    std::string domain;    // SPF: mailfrom/helo domain; DKIM: d=
    std::string scope;     // SPF: "mfrom" or "helo"; DKIM: ""
    std::string selector;  // DKIM s= (header.s) when given
};

// The DMARC result for one author domain; fields as in the DESIGN.md
// `mtaguard dmarc verify --json` output.
struct DomainResult {
    std::string author_domain;
    Status status = Status::None;
    std::optional<std::string> policy_domain;
    std::optional<std::string> org_domain;
    std::optional<std::string> policy_tag;  // "p", "sp" or "np"
    std::optional<Policy> requested;
    bool reject = false;       // fail under quarantine or reject (before sampling and local action)
    bool sampled_out = false;  // pct sampling (RFC 7489 mode) spared this message
    bool aligned_spf = false;
    bool aligned_dkim = false;
    bool authentic = false;    // every DNS answer used had the AD bit
    std::string error;
    std::string explanation;   // human-readable: where the policy was found, what aligned
};

struct Verdict {
    Status status = Status::None;      // strictest over `domains`
    std::string header_from;           // the author domain the verdict is about
    std::vector<DomainResult> domains;
    std::vector<AuthFact> spf;         // results that counted
    std::vector<AuthFact> dkim;
    Action action = Action::Accept;
    std::string smtp_code;             // "550", "451" when action is Reject/TempFail
    std::string smtp_xcode;            // "5.7.1", "4.7.1"
    std::string smtp_text;             // names the domain
    std::string reason;                // why this action (for the one log line per message)
    // Value of the Authentication-Results header to add, e.g.
    // "mx.example.org; dmarc=fail (p=reject dis=reject) header.from=example.com policy.dmarc=reject"
    std::string header_value;
};

Verdict evaluate(const MessageFacts& facts, dns::Resolver& resolver, const config::Config& config);

}  // namespace dmarc
