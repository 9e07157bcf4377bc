// trust: which upstream SPF and DKIM results dmarc::evaluate believes
// (RFC 8601 §5, DESIGN.md "mtaguard-milter behaviour").
//
// Authentication-Results: only headers whose authserv-id (compared
// case-insensitively) is in trusted_authserv_ids, or is our own authserv_id
// bound to this message's queue id ("authserv_id/QUEUEID", the form of
// OpenDKIM/OpenDMARC AuthservIDWithJobID, which a sender cannot predict).
// A header that does not parse contributes nothing. From a trusted header:
//   spf:  the domain of smtp.mailfrom (an address, or a bare domain), scope
//         "mfrom"; when the envelope sender is empty (<>), smtp.helo (or the
//         domain of smtp.mailfrom, e.g. postmaster@HELO), scope "helo"
//         (RFC 7489 §4.1 / RFC 9989: SPF on HELO for a null sender);
//   dkim: header.d, else the domain of header.i; selector header.s.
// Received-SPF (RFC 7208 §9.1) has no authserv-id, and one with any
// receiver= can be forged by the sender. It is used only when no trusted
// Authentication-Results header gave an SPF result, and then only the
// topmost one (the MTA prepends its own above anything the message brought),
// only if its receiver= is a trusted authserv-id or our own authserv_id, its
// client-ip (when present) is the connecting client, and its envelope-from
// (when present) has the domain of the envelope sender.
// Results are kept as written (lowercase); verify() decides what counts.
// Limits: at most kMaxTrustedResults SPF and as many DKIM results, the first
// in header order (a sender chooses how many DKIM signatures, hence results,
// a message has; each costs alignment work per author domain and a history
// entry; fewer results can only make a pass less likely).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config.h"
#include "dmarc/evaluate.h"
#include "dmarc/result.h"

namespace dmarc {

inline constexpr std::size_t kMaxTrustedResults = 50;  // per method
// Headers with our authserv-id bound to another queue id that a message may
// carry before our own bound results are no longer believed: each is a
// guess at this message's queue id, or a previous hop of ours that shares
// the authserv-id (a few at most). Postfix's short queue ids are partly
// predictable; a message with 100 guesses would have 100 chances.
inline constexpr std::size_t kMaxQueueIdGuesses = 4;

// Our authserv-id: the authserv_id parameter, or when empty the host name
// (read once per process: a renamed host needs a restart).
std::string own_authserv_id(const config::Config& config);

// RFC 8601 §5: may an Authentication-Results header with this authserv-id be
// believed for the message with this queue id?
bool trusted_authserv_id(std::string_view id, std::string_view queue_id, const config::Config& config);

// Is the authserv-id `id` our own `own`, bare or with a "/..." suffix (a
// queue id)? Case-insensitive.
bool names_own_id(std::string_view id, std::string_view own);

// RFC 8601 §5: is the authserv-id `id` our own `own` either bare or bound to
// a queue id other than `queue_id` (to any, when queue_id is unknown)? Such a
// header arrived with the message: it is never believed and the milter
// deletes it. The authserv-id without case, the queue id exactly.
bool claims_own_id(std::string_view id, std::string_view own, std::string_view queue_id);

// RFC 8601 §5: does this Authentication-Results value carry our own
// authserv-id without being bound to this queue id ("authserv_id" bare, or
// "authserv_id/OTHER")? Such a header arrived with the message and the
// milter deletes it. A value that does not parse is judged by its leading
// word, so a malformed forgery is deleted too.
bool forged_own_header(std::string_view header_value, std::string_view queue_id, const config::Config& config);

// The domain of an address ("user@Example.COM", "<user@example.com>") or a
// bare domain, in A-label form; "" when there is none or it is invalid.
std::string identity_domain(std::string_view identity);

struct TrustedResults {
    std::vector<AuthFact> spf;
    std::vector<AuthFact> dkim;
    bool from_received_spf = false;  // the SPF result came from Received-SPF
    // More than kMaxQueueIdGuesses headers bound our id to other queue ids:
    // those bound to this one were not believed either.
    bool own_results_ignored = false;
};

TrustedResults trusted_results(const MessageFacts& facts, const config::Config& config);

}  // namespace dmarc
