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
#include "dmarc/result.h"
#include "dns.h"

namespace dmarc {

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
// As above with the pct sampling draw fixed (0..99, see verify()); for tests.
Verdict evaluate(const MessageFacts& facts, dns::Resolver& resolver, const config::Config& config,
                 int roll);

// At most this many distinct author domains are looked up for one message;
// more make the From unusable (permerror), which bounds the DNS work a
// single message can cause.
inline constexpr std::size_t kMaxAuthorDomains = 8;

}  // namespace dmarc
