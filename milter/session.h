// session: the state of one milter connection and its current message, and
// the decisions the libmilter callbacks apply. No libmilter here: the
// callbacks (callbacks.cpp) feed it strings and carry out the Outcome, so
// this file is unit-tested on its own.
//
// Trust (DESIGN.md, RFC 8601 §5): every Authentication-Results header that
// carries our own authserv-id and is not bound to this message's queue id
// ("authserv_id/QUEUEID") arrived with the message: it is deleted and never
// reaches dmarc::evaluate. Results from trusted_authserv_ids are believed;
// their filters must strip forgeries of their own ids.
//
// Limits: kMaxFromHeaders From fields (more: the message is a permerror and
// is rejected when dmarc_reject_failures = yes); kMaxCollectedHeaders
// Authentication-Results, and only those evaluate may believe (a trusted
// authserv-id, or ours); the topmost Received-SPF only (the one trust.h
// reads); more are ignored: fewer results can only make a pass less likely.
// Values longer than their parser reads (mail::kMaxFromHeader,
// kMaxAuthResultsHeader, kMaxReceivedSpfHeader) are cut one octet past that,
// which the parser refuses as too long.
// Only the Authentication-Results fields that name our own authserv-id are
// remembered for deletion, at most kMaxDeletions of them: a message with
// more cannot be cleaned and is rejected (550 5.7.1) whatever
// dmarc_reject_failures says, never delivered with a forgery left in.
// Field names are compared without the white space RFC 5322 §4.5.3
// (obs-optional) allows before the colon, which Postfix passes on.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dmarc/evaluate.h"
#include "runtime.h"

namespace milter {

inline constexpr std::size_t kMaxFromHeaders = 50;
inline constexpr std::size_t kMaxCollectedHeaders = 100;
inline constexpr std::size_t kMaxDeletions = 1000;
inline constexpr std::size_t kMaxRecipientDomains = 100;
// The text of a 550/451 reply: RFC 5321 §4.5.3.1.5 allows 512 octets per
// reply line with the code and CRLF; libmilter refuses CR or LF (Postfix
// then sends its generic reply instead of ours) and takes '%' as a format.
inline constexpr std::size_t kMaxReplyText = 400;

// The authserv-id an Authentication-Results value starts with (RFC 8601
// §2.2: [CFWS] authserv-id, a token or quoted-string), as written (the
// authserv-id is compared without case, a queue id after it exactly); "" if none.
std::string authserv_id_of(std::string_view value);

using Evaluator = std::function<dmarc::Verdict(const dmarc::MessageFacts&)>;

// What the end-of-message callback does, in this order.
struct Outcome {
    std::vector<int> delete_authres;  // 1-based indexes among Authentication-Results, descending
    std::string add_authres;          // value of the header to insert first; "" for none
    dmarc::Action action = dmarc::Action::Accept;
    std::string smtp_code, smtp_xcode, smtp_text;  // Reject / TempFail; text printable ASCII, at most kMaxReplyText
    std::string quarantine_reason;                 // Quarantine
    std::string log_line;  // the one line for this message; "" when info lines are not logged
};

// Stages called before connect() (an MTA out of protocol order) collect
// nothing; the callbacks then accept at end of message without a verdict.
class Session {
public:
    // Connect stage: takes the configuration snapshot for the whole
    // connection. A client in milter_skip_networks has each of its messages
    // skipped (mail() says why).
    void connect(std::shared_ptr<const Runtime> runtime, std::string client_ip);
    void helo(std::string name) { helo_ = std::move(name); }
    // MAIL stage: starts a message. Returns a reason when it is skipped: not
    // evaluated, but its headers are still read, and it ends with
    // skipped_end_of_message() instead of end_of_message().
    std::string mail(std::string_view envelope_from, std::string_view auth_authen);
    // RCPT stage: the recipient's domain, for the report history.
    void rcpt(std::string_view envelope_to);
    void header(std::string_view name, std::string_view value);
    Outcome end_of_message(std::string queue_id, const Evaluator& evaluate);
    // A skipped message: only the RFC 8601 §5 deletion of what claims our
    // authserv-id (a user or a skipped relay is not a trusted MTA), or the
    // rejection of a message with too many such fields to delete.
    Outcome skipped_end_of_message(std::string queue_id);
    void abort_message() { message_.clear(); }

    const Runtime* runtime() const { return runtime_.get(); }
    const dmarc::MessageFacts& facts() const { return message_.facts; }

private:
    // An Authentication-Results field naming our own authserv-id, bare or
    // with a "/..." suffix: deleted at end of message unless bound to the
    // queue id (known only then).
    struct OwnClaim {
        int index;       // 1-based among the Authentication-Results fields
        int collected;   // its position in facts.authentication_results; -1: not kept
        std::string id;  // its authserv-id, lowercase
    };
    struct Message {
        dmarc::MessageFacts facts;
        int authres_count = 0;              // Authentication-Results fields seen
        std::vector<OwnClaim> own_claims;  // at most kMaxDeletions, in order
        bool claims_overflow = false;       // more than kMaxDeletions
        bool from_overflow = false;
        std::size_t ignored_headers = 0;
        std::vector<std::string> rcpt_domains;  // distinct, at most kMaxRecipientDomains
        bool is_report = false;                 // Subject of a DMARC aggregate report
        void clear();
    };
    void record_history(const dmarc::Verdict& verdict);
    void drop_forged_results(Outcome& out);
    std::string log_line(const dmarc::Verdict& v, const Outcome& out) const;
    Outcome overflow_outcome(const std::string& queue_id, const std::string& reason, bool always_reject) const;
    Outcome claims_overflow_outcome() const;

    std::shared_ptr<const Runtime> runtime_;
    std::string skip_connection_;  // why this connection's messages are skipped; "" when they are not
    std::string client_ip_;
    std::string helo_;
    Message message_;
};

// "<a@b>" -> "a@b"; "<>" -> "" (a view into `address`).
std::string_view strip_angle_brackets(std::string_view address);

}  // namespace milter
