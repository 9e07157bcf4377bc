// Unit tests of dmarc::evaluate: the trust rule (RFC 8601 §5), which SPF and
// DKIM identities count, Received-SPF, several From headers and author
// domains (CVE-2019-16378, CVE-2021-34555), and the action under the local
// configuration. DNS is a FakeResolver; every Verdict field is asserted.
#include <cppunit/extensions/HelperMacros.h>

#include <unistd.h>

#include <string>
#include <vector>

#include "dmarc/cache.h"
#include "dmarc/evaluate.h"
#include "dmarc/trust.h"
#include "fake_resolver.h"
#include "mail/authres.h"

namespace {

using dmarc::Action;
using dmarc::Status;

struct Case {
    const char* label;
    std::vector<std::string> from;
    std::vector<std::string> ar;
    std::vector<std::string> rspf = {};
    const char* envelope_from = "bounce@other.example";
    const char* queue_id = "QID1";
    const char* extra_config = "";
    int roll = 0;
    // expectations
    Status status = Status::None;
    const char* header_from = "";
    Action action = Action::Accept;
    const char* smtp = "";         // "CODE XCODE TEXT", "" for none
    const char* spf = "";          // "result:domain:scope" joined by ","
    const char* dkim = "";         // "result:domain:selector" joined by ","
    std::string header;            // Authentication-Results value
    const char* reason = "";       // substring of the reason
    const char* domains = "";      // "domain=status" joined by ","
};

const char* kBaseConfig = "authserv_id = mx.test\ntrusted_authserv_ids = relay.test\n";
const char* kReject = "dmarc_reject_failures = yes\n";

std::string hdr(const char* status, const char* p, const char* dis, const char* domain) {
    return std::string("mx.test; dmarc=") + status + " (p=" + p + " dis=" + dis + ") header.from=" + domain +
           " policy.dmarc=" + p;
}

const std::string kPassReject = hdr("pass", "reject", "none", "reject.example");
const std::string kFailRejectTag = hdr("fail", "reject", "none", "reject.example");
const std::string kFailRejectRej = hdr("fail", "reject", "reject", "reject.example");
const char* kRejectText = "550 5.7.1 DMARC policy of reject.example rejects this message";
const char* kDkimPass = "relay.test; dkim=pass header.d=reject.example header.s=s1";

const std::vector<Case>& cases() {
    static const std::vector<Case> c = {
        // --- trust ---
        {.label = "trusted relay dkim pass", .from = {"a@reject.example"}, .ar = {kDkimPass},
         .status = Status::Pass, .header_from = "reject.example", .dkim = "pass:reject.example:s1",
         .header = kPassReject, .reason = "reject.example: dmarc=pass", .domains = "reject.example=pass"},
        {.label = "own id bound to queue id", .from = {"a@reject.example"},
         .ar = {"mx.test/QID1; spf=pass smtp.mailfrom=b@reject.example"}, .envelope_from = "b@reject.example",
         .status = Status::Pass, .header_from = "reject.example", .spf = "pass:reject.example:mfrom",
         .header = kPassReject, .domains = "reject.example=pass"},
        {.label = "own id in another case, queue id exact", .from = {"a@reject.example"},
         .ar = {"MX.Test/QID1; dkim=pass header.d=reject.example"}, .status = Status::Pass,
         .header_from = "reject.example", .dkim = "pass:reject.example:", .header = kPassReject,
         .domains = "reject.example=pass"},
        // Postfix long queue ids use both cases: another case is another queue id.
        {.label = "queue id in another case is forged", .from = {"a@reject.example"},
         .ar = {"mx.test/qid1; dkim=pass header.d=reject.example"}, .extra_config = kReject, .status = Status::Fail,
         .header_from = "reject.example", .action = Action::Reject, .smtp = kRejectText,
         .header = kFailRejectRej, .reason = "rejected", .domains = "reject.example=fail"},
        // Each own id bound to another queue id is a guess at this one: a
        // few are tolerated (previous hops sharing the id), more make the
        // correctly bound header worthless too; trusted relays still count.
        {.label = "four queue id guesses tolerated", .from = {"a@reject.example"},
         .ar = {"mx.test/G1; none", "mx.test/G2; none", "mx.test/G3; none", "mx.test; none", "mx.test/G4; none",
                "mx.test/QID1; dkim=pass header.d=reject.example"},
         .status = Status::Pass, .header_from = "reject.example", .dkim = "pass:reject.example:",
         .header = kPassReject, .domains = "reject.example=pass"},
        {.label = "five queue id guesses", .from = {"a@reject.example"},
         .ar = {"mx.test/G1; none", "mx.test/G2; none", "mx.test/G3; none", "mx.test/G4; none", "mx.test/G5; none",
                "mx.test/QID1; dkim=pass header.d=reject.example"},
         .extra_config = kReject, .status = Status::Fail, .header_from = "reject.example", .action = Action::Reject,
         .smtp = kRejectText, .header = kFailRejectRej,
         .reason = "(own results ignored: more than 4 queue id guesses)", .domains = "reject.example=fail"},
        {.label = "five queue id guesses, trusted relay", .from = {"a@reject.example"},
         .ar = {"mx.test/G1; none", "mx.test/G2; none", "mx.test/G3; none", "mx.test/G4; none", "mx.test/G5; none",
                kDkimPass},
         .status = Status::Pass, .header_from = "reject.example", .dkim = "pass:reject.example:s1",
         .header = kPassReject, .domains = "reject.example=pass"},
        {.label = "own id without queue id is forged", .from = {"a@reject.example"},
         .ar = {"mx.test; dkim=pass header.d=reject.example"}, .extra_config = kReject, .status = Status::Fail,
         .header_from = "reject.example", .action = Action::Reject, .smtp = kRejectText,
         .header = kFailRejectRej, .reason = "rejected", .domains = "reject.example=fail"},
        {.label = "own id with another queue id", .from = {"a@reject.example"},
         .ar = {"mx.test/OTHER; dkim=pass header.d=reject.example"}, .status = Status::Fail,
         .header_from = "reject.example", .header = kFailRejectTag, .domains = "reject.example=fail"},
        {.label = "own id with empty queue id", .from = {"a@reject.example"},
         .ar = {"\"mx.test/\"; dkim=pass header.d=reject.example"}, .queue_id = "", .status = Status::Fail,
         .header_from = "reject.example", .header = kFailRejectTag, .domains = "reject.example=fail"},
        {.label = "untrusted authserv-id", .from = {"a@reject.example"},
         .ar = {"evil.example; dkim=pass header.d=reject.example"}, .status = Status::Fail,
         .header_from = "reject.example", .header = kFailRejectTag,
         .reason = "tagged only (dmarc_reject_failures = no)", .domains = "reject.example=fail"},
        {.label = "trusted id case-insensitive", .from = {"a@reject.example"},
         .ar = {"RELAY.Test; dkim=pass header.d=reject.example header.s=s1"}, .status = Status::Pass,
         .header_from = "reject.example", .dkim = "pass:reject.example:s1", .header = kPassReject,
         .domains = "reject.example=pass"},
        {.label = "unparseable trusted header ignored", .from = {"a@reject.example"},
         .ar = {"relay.test; dkim=pass (oops header.d=reject.example"}, .status = Status::Fail,
         .header_from = "reject.example", .header = kFailRejectTag, .domains = "reject.example=fail"},
        {.label = "results of trusted and untrusted headers", .from = {"a@reject.example"},
         .ar = {"evil.example; dkim=pass header.d=reject.example", "relay.test; dkim=fail header.d=reject.example"},
         .status = Status::Fail, .header_from = "reject.example", .dkim = "fail:reject.example:",
         .header = kFailRejectTag, .domains = "reject.example=fail"},
        // --- SPF identity ---
        {.label = "spf mailfrom address", .from = {"a@reject.example"},
         .ar = {"relay.test; spf=pass smtp.mailfrom=bounce@reject.example"}, .envelope_from = "bounce@reject.example",
         .status = Status::Pass, .header_from = "reject.example", .spf = "pass:reject.example:mfrom",
         .header = kPassReject, .domains = "reject.example=pass"},
        {.label = "spf mailfrom bare domain", .from = {"a@reject.example"},
         .ar = {"relay.test; spf=pass (sender SPF authorized) smtp.mailfrom=Reject.Example"},
         .envelope_from = "bounce@reject.example", .status = Status::Pass, .header_from = "reject.example",
         .spf = "pass:reject.example:mfrom", .header = kPassReject, .domains = "reject.example=pass"},
        {.label = "spf helo ignored when there is a sender", .from = {"a@reject.example"},
         .ar = {"relay.test; spf=pass smtp.helo=reject.example"}, .status = Status::Fail,
         .header_from = "reject.example", .header = kFailRejectTag, .domains = "reject.example=fail"},
        {.label = "spf helo for the null sender", .from = {"a@reject.example"},
         .ar = {"relay.test; spf=pass smtp.helo=reject.example"}, .envelope_from = "", .status = Status::Pass,
         .header_from = "reject.example", .spf = "pass:reject.example:helo", .header = kPassReject,
         .domains = "reject.example=pass"},
        {.label = "null sender postmaster@helo", .from = {"a@reject.example"},
         .ar = {"relay.test; spf=pass smtp.mailfrom=postmaster@reject.example"}, .envelope_from = "<>",
         .status = Status::Pass, .header_from = "reject.example", .spf = "pass:reject.example:helo",
         .header = kPassReject, .domains = "reject.example=pass"},
        {.label = "spf fail kept", .from = {"a@reject.example"},
         .ar = {"relay.test; spf=fail smtp.mailfrom=reject.example"}, .envelope_from = "x@reject.example",
         .status = Status::Fail, .header_from = "reject.example", .spf = "fail:reject.example:mfrom",
         .header = kFailRejectTag, .domains = "reject.example=fail"},
        {.label = "spf pass not aligned", .from = {"a@reject.example"},
         .ar = {"relay.test; spf=pass smtp.mailfrom=bounce@other.example"}, .status = Status::Fail,
         .header_from = "reject.example", .spf = "pass:other.example:mfrom", .header = kFailRejectTag,
         .domains = "reject.example=fail"},
        {.label = "spf temperror aligned", .from = {"a@reject.example"},
         .ar = {"relay.test; spf=temperror smtp.mailfrom=reject.example"}, .envelope_from = "x@reject.example",
         .status = Status::TempError, .header_from = "reject.example", .spf = "temperror:reject.example:mfrom",
         .header = hdr("temperror", "reject", "none", "reject.example"), .reason = "accepted",
         .domains = "reject.example=temperror"},
        {.label = "spf invalid mailfrom domain ignored", .from = {"a@reject.example"},
         .ar = {"relay.test; spf=pass smtp.mailfrom=user@[192.0.2.1]"}, .status = Status::Fail,
         .header_from = "reject.example", .header = kFailRejectTag, .domains = "reject.example=fail"},
        // --- DKIM identity ---
        {.label = "dkim header.i fallback", .from = {"a@reject.example"},
         .ar = {"relay.test; dkim=pass header.i=@reject.example"}, .status = Status::Pass,
         .header_from = "reject.example", .dkim = "pass:reject.example:", .header = kPassReject,
         .domains = "reject.example=pass"},
        {.label = "dkim header.i with local part", .from = {"a@reject.example"},
         .ar = {"relay.test; dkim=pass header.i=user@Reject.Example header.s=k"}, .status = Status::Pass,
         .header_from = "reject.example", .dkim = "pass:reject.example:k", .header = kPassReject,
         .domains = "reject.example=pass"},
        {.label = "dkim header.d preferred over header.i", .from = {"a@reject.example"},
         .ar = {"relay.test; dkim=pass header.d=other.example header.i=@reject.example"}, .status = Status::Fail,
         .header_from = "reject.example", .dkim = "pass:other.example:", .header = kFailRejectTag,
         .domains = "reject.example=fail"},
        {.label = "dkim fail", .from = {"a@reject.example"},
         .ar = {"relay.test; dkim=fail reason=\"bad signature\" header.d=reject.example"}, .status = Status::Fail,
         .header_from = "reject.example", .dkim = "fail:reject.example:", .header = kFailRejectTag,
         .domains = "reject.example=fail"},
        {.label = "dkim one of two signatures aligned", .from = {"a@reject.example"},
         .ar = {"relay.test; dkim=pass header.d=other.example header.s=x; dkim=pass header.d=REJECT.example header.s=y"},
         .status = Status::Pass, .header_from = "reject.example",
         .dkim = "pass:other.example:x,pass:reject.example:y", .header = kPassReject,
         .domains = "reject.example=pass"},
        // --- Received-SPF ---
        {.label = "received-spf with our receiver", .from = {"a@reject.example"}, .ar = {},
         .rspf = {"Pass (mailfrom) identity=mailfrom; client-ip=192.0.2.1; helo=h.example; "
                  "envelope-from=b@reject.example; receiver=mx.test"},
         .envelope_from = "b@reject.example", .status = Status::Pass, .header_from = "reject.example",
         .spf = "pass:reject.example:mfrom", .header = kPassReject, .reason = "SPF from Received-SPF",
         .domains = "reject.example=pass"},
        {.label = "received-spf trusted receiver", .from = {"a@reject.example"}, .ar = {},
         .rspf = {"pass receiver=relay.test; envelope-from=\"b@reject.example\""},
         .envelope_from = "b@reject.example", .status = Status::Pass, .header_from = "reject.example",
         .spf = "pass:reject.example:mfrom", .header = kPassReject, .domains = "reject.example=pass"},
        {.label = "received-spf untrusted receiver", .from = {"a@reject.example"}, .ar = {},
         .rspf = {"pass receiver=evil.example; client-ip=192.0.2.1"}, .envelope_from = "b@reject.example",
         .status = Status::Fail, .header_from = "reject.example", .header = kFailRejectTag,
         .domains = "reject.example=fail"},
        {.label = "received-spf for another client", .from = {"a@reject.example"}, .ar = {},
         .rspf = {"pass receiver=mx.test; client-ip=198.51.100.7"}, .envelope_from = "b@reject.example",
         .status = Status::Fail, .header_from = "reject.example", .header = kFailRejectTag,
         .domains = "reject.example=fail"},
        {.label = "received-spf only the topmost", .from = {"a@reject.example"}, .ar = {},
         .rspf = {"none receiver=other.test", "pass receiver=mx.test; client-ip=192.0.2.1"},
         .envelope_from = "b@reject.example", .status = Status::Fail, .header_from = "reject.example",
         .header = kFailRejectTag, .domains = "reject.example=fail"},
        {.label = "received-spf envelope mismatch", .from = {"a@reject.example"}, .ar = {},
         .rspf = {"pass receiver=mx.test; envelope-from=x@other.example"}, .envelope_from = "b@reject.example",
         .status = Status::Fail, .header_from = "reject.example", .header = kFailRejectTag,
         .domains = "reject.example=fail"},
        {.label = "received-spf ignored when A-R has spf", .from = {"a@reject.example"},
         .ar = {"relay.test; spf=fail smtp.mailfrom=reject.example"},
         .rspf = {"pass receiver=mx.test; client-ip=192.0.2.1"}, .envelope_from = "b@reject.example",
         .status = Status::Fail, .header_from = "reject.example", .spf = "fail:reject.example:mfrom",
         .header = kFailRejectTag, .domains = "reject.example=fail"},
        {.label = "received-spf helo for the null sender", .from = {"a@reject.example"}, .ar = {},
         .rspf = {"pass identity=helo; helo=reject.example; receiver=mx.test"}, .envelope_from = "",
         .status = Status::Pass, .header_from = "reject.example", .spf = "pass:reject.example:helo",
         .header = kPassReject, .domains = "reject.example=pass"},
        // --- actions ---
        {.label = "reject policy rejected", .from = {"a@reject.example"}, .ar = {}, .extra_config = kReject,
         .status = Status::Fail, .header_from = "reject.example", .action = Action::Reject, .smtp = kRejectText,
         .header = kFailRejectRej, .reason = "reject.example: dmarc=fail policy reject: rejected",
         .domains = "reject.example=fail"},
        {.label = "quarantine policy tagged", .from = {"a@quar.example"}, .ar = {}, .extra_config = kReject,
         .status = Status::Fail, .header_from = "quar.example",
         .header = hdr("fail", "quarantine", "none", "quar.example"),
         .reason = "tagged only (dmarc_quarantine_action = tag)", .domains = "quar.example=fail"},
        {.label = "quarantine policy held", .from = {"a@quar.example"}, .ar = {},
         .extra_config = "dmarc_quarantine_action = quarantine\n", .status = Status::Fail,
         .header_from = "quar.example", .action = Action::Quarantine,
         .header = hdr("fail", "quarantine", "quarantine", "quar.example"), .reason = "quarantined",
         .domains = "quar.example=fail"},
        {.label = "none policy fail accepted", .from = {"a@none.example"}, .ar = {}, .extra_config = kReject,
         .status = Status::Fail, .header_from = "none.example",
         .header = hdr("fail", "none", "none", "none.example"), .reason = "policy none: accepted",
         .domains = "none.example=fail"},
        {.label = "no policy", .from = {"a@nopolicy.example"}, .ar = {}, .extra_config = kReject,
         .status = Status::None, .header_from = "nopolicy.example",
         .header = "mx.test; dmarc=none header.from=nopolicy.example", .reason = "dmarc=none",
         .domains = "nopolicy.example=none"},
        {.label = "temperror accepted", .from = {"a@temp.example"}, .ar = {}, .extra_config = kReject,
         .status = Status::TempError, .header_from = "temp.example",
         .header = "mx.test; dmarc=temperror header.from=temp.example",
         .reason = "accepted (dmarc_temperror_action = accept)", .domains = "temp.example=temperror"},
        {.label = "temperror deferred", .from = {"a@temp.example"}, .ar = {},
         .extra_config = "dmarc_temperror_action = tempfail\n", .status = Status::TempError,
         .header_from = "temp.example", .action = Action::TempFail,
         .smtp = "451 4.7.1 DMARC policy of temp.example cannot be checked now, try again later",
         .header = "mx.test; dmarc=temperror header.from=temp.example", .reason = "deferred",
         .domains = "temp.example=temperror"},
        {.label = "pct sampled out: one level lower", .from = {"a@pct.example"}, .ar = {},
         .extra_config = "dmarc_reject_failures = yes\ndmarc_quarantine_action = quarantine\n", .roll = 70,
         .status = Status::Fail, .header_from = "pct.example", .action = Action::Quarantine,
         .header = hdr("fail", "reject", "quarantine", "pct.example"), .reason = "(sampled out)",
         .domains = "pct.example=fail"},
        {.label = "pct applies", .from = {"a@pct.example"}, .ar = {}, .extra_config = kReject, .roll = 10,
         .status = Status::Fail, .header_from = "pct.example", .action = Action::Reject,
         .smtp = "550 5.7.1 DMARC policy of pct.example rejects this message",
         .header = hdr("fail", "reject", "reject", "pct.example"), .domains = "pct.example=fail"},
        {.label = "sampling off ignores pct", .from = {"a@pct.example"}, .ar = {},
         .extra_config = "dmarc_reject_failures = yes\ndmarc_sampling = no\n", .roll = 70, .status = Status::Fail,
         .header_from = "pct.example", .action = Action::Reject,
         .smtp = "550 5.7.1 DMARC policy of pct.example rejects this message",
         .header = hdr("fail", "reject", "reject", "pct.example"), .domains = "pct.example=fail"},
        {.label = "t=y never rejects", .from = {"a@testing.example"}, .ar = {}, .extra_config = kReject,
         .status = Status::Fail, .header_from = "testing.example",
         .header = hdr("fail", "reject", "none", "testing.example"), .reason = "policy quarantine (sampled out)",
         .domains = "testing.example=fail"},
        {.label = "subdomain uses sp", .from = {"a@sub.reject.example"}, .ar = {}, .extra_config = kReject,
         .status = Status::Fail, .header_from = "sub.reject.example",
         .header = hdr("fail", "quarantine", "none", "sub.reject.example"), .reason = "tagged only",
         .domains = "sub.reject.example=fail"},
        // --- several authors ---
        {.label = "two From headers, second rejects", .from = {"a@none.example", "b@reject.example"},
         .ar = {"relay.test; dkim=pass header.d=none.example"}, .extra_config = kReject, .status = Status::Fail,
         .header_from = "reject.example", .action = Action::Reject, .smtp = kRejectText,
         .dkim = "pass:none.example:", .header = kFailRejectRej, .reason = "strictest of 2",
         .domains = "none.example=pass,reject.example=fail"},
        {.label = "two From headers, first rejects", .from = {"b@reject.example", "a@none.example"},
         .ar = {"relay.test; dkim=pass header.d=none.example"}, .extra_config = kReject, .status = Status::Fail,
         .header_from = "reject.example", .action = Action::Reject, .smtp = kRejectText,
         .dkim = "pass:none.example:", .header = kFailRejectRej,
         .domains = "reject.example=fail,none.example=pass"},
        {.label = "one From, two domains", .from = {"Friend <a@none.example>, b@reject.example"},
         .ar = {"relay.test; dkim=pass header.d=none.example"}, .extra_config = kReject, .status = Status::Fail,
         .header_from = "reject.example", .action = Action::Reject, .smtp = kRejectText,
         .dkim = "pass:none.example:", .header = kFailRejectRej,
         .domains = "none.example=pass,reject.example=fail"},
        {.label = "group members are authors", .from = {"Team: a@none.example, b@reject.example;"}, .ar = {},
         .extra_config = kReject, .status = Status::Fail, .header_from = "reject.example", .action = Action::Reject,
         .smtp = kRejectText, .header = kFailRejectRej, .domains = "none.example=fail,reject.example=fail"},
        {.label = "several domains all pass", .from = {"a@none.example, b@reject.example"},
         .ar = {"relay.test; dkim=pass header.d=none.example; dkim=pass header.d=reject.example header.s=s1"},
         .extra_config = kReject, .status = Status::Pass, .header_from = "reject.example",
         .dkim = "pass:none.example:,pass:reject.example:s1", .header = kPassReject,
         .domains = "none.example=pass,reject.example=pass"},
        {.label = "same domain twice evaluated once", .from = {"a@reject.example, B@REJECT.example", "c@reject.example"},
         .ar = {kDkimPass}, .status = Status::Pass, .header_from = "reject.example", .dkim = "pass:reject.example:s1",
         .header = kPassReject, .domains = "reject.example=pass"},
        {.label = "temperror and fail: fail wins", .from = {"a@temp.example, b@none.example"}, .ar = {},
         .status = Status::Fail, .header_from = "none.example",
         .header = hdr("fail", "none", "none", "none.example"),
         .domains = "temp.example=temperror,none.example=fail"},
        {.label = "temperror deferral beats a p=none fail", .from = {"a@temp.example, b@none.example"}, .ar = {},
         .extra_config = "dmarc_temperror_action = tempfail\n", .status = Status::TempError,
         .header_from = "temp.example", .action = Action::TempFail,
         .smtp = "451 4.7.1 DMARC policy of temp.example cannot be checked now, try again later",
         .header = "mx.test; dmarc=temperror header.from=temp.example",
         .domains = "temp.example=temperror,none.example=fail"},
        // --- unusable From ---
        {.label = "no From, rejecting", .from = {}, .ar = {kDkimPass}, .extra_config = kReject,
         .status = Status::PermError, .action = Action::Reject,
         .smtp = "550 5.7.1 DMARC cannot be evaluated: no From header", .dkim = "pass:reject.example:s1",
         .header = "mx.test; dmarc=permerror reason=\"no From header\"",
         .reason = "no From header: rejected (dmarc_reject_malformed_from = yes)"},
        {.label = "no From, not rejecting", .from = {}, .ar = {}, .status = Status::PermError,
         .header = "mx.test; dmarc=permerror reason=\"no From header\"", .reason = "no From header: accepted"},
        {.label = "no From, malformed-from rejection off", .from = {}, .ar = {},
         .extra_config = "dmarc_reject_failures = yes\ndmarc_reject_malformed_from = no\n",
         .status = Status::PermError, .header = "mx.test; dmarc=permerror reason=\"no From header\"",
         .reason = "accepted"},
        {.label = "unterminated comment bypass", .from = {"a@reject.example(.good.example"}, .ar = {},
         .extra_config = kReject, .status = Status::PermError, .action = Action::Reject,
         .smtp = "550 5.7.1 DMARC cannot be evaluated: From header unusable: unterminated comment at offset 30",
         .header = "mx.test; dmarc=permerror reason=\"From header unusable: unterminated comment at offset 30\""},
        {.label = "broken second From never weakens a fail", .from = {"a@reject.example", "b, c@x.example"},
         .ar = {}, .status = Status::Fail, .header_from = "reject.example", .header = kFailRejectTag,
         .reason = "strictest of 2", .domains = "reject.example=fail"},
        {.label = "broken second From rejects a pass", .from = {"a@reject.example", "<>"}, .ar = {kDkimPass},
         .extra_config = kReject, .status = Status::PermError, .action = Action::Reject,
         .smtp = "550 5.7.1 DMARC cannot be evaluated: From header 2 unusable: empty address <> at offset 1",
         .dkim = "pass:reject.example:s1",
         .header = "mx.test; dmarc=permerror reason=\"From header 2 unusable: empty address <> at offset 1\"",
         .domains = "reject.example=pass"},
        {.label = "empty group names nobody", .from = {"Undisclosed recipients:;"}, .ar = {}, .extra_config = kReject,
         .status = Status::PermError, .action = Action::Reject,
         .smtp = "550 5.7.1 DMARC cannot be evaluated: From header unusable: no mailbox in the From header",
         .header = "mx.test; dmarc=permerror reason=\"From header unusable: no mailbox in the From header\""},
        {.label = "too many author domains",
         .from = {"a@d1.example, a@d2.example, a@d3.example, a@d4.example, a@d5.example, a@d6.example, "
                  "a@d7.example, a@d8.example, a@d9.example"},
         .ar = {}, .extra_config = kReject, .status = Status::PermError, .action = Action::Reject,
         .smtp = "550 5.7.1 DMARC cannot be evaluated: more than 8 author domains",
         .header = "mx.test; dmarc=permerror reason=\"more than 8 author domains\"",
         .domains = "d1.example=none,d2.example=none,d3.example=none,d4.example=none,d5.example=none,"
                    "d6.example=none,d7.example=none,d8.example=none"},
    };
    return c;
}

void fill_dns(testing::FakeResolver& dns) {
    dns.txt("_dmarc.reject.example", {"v=DMARC1; p=reject; sp=quarantine"});
    dns.txt("_dmarc.quar.example", {"v=DMARC1; p=quarantine"});
    dns.txt("_dmarc.none.example", {"v=DMARC1; p=none"});
    dns.txt("_dmarc.pct.example", {"v=DMARC1; p=reject; pct=50"});
    dns.txt("_dmarc.testing.example", {"v=DMARC1; p=reject; t=y"});
    dns.fail("_dmarc.temp.example", dns::RrType::TXT, dns::Status::ServFail);
    dns::Answer exists;
    exists.status = dns::Status::Ok;
    exists.texts = {"192.0.2.80"};
    exists.ttl = 300;
    dns.set("sub.reject.example", dns::RrType::A, exists);
}

std::string render_facts(const std::vector<dmarc::AuthFact>& facts, bool spf) {
    std::string out;
    for (const auto& f : facts) {
        if (!out.empty()) out += ",";
        out += f.result + ":" + f.domain + ":" + (spf ? f.scope : f.selector);
    }
    return out;
}

std::string render_domains(const dmarc::Verdict& v) {
    std::string out;
    for (const auto& d : v.domains) {
        if (!out.empty()) out += ",";
        out += d.author_domain + "=" + std::string(dmarc::status_name(d.status));
    }
    return out;
}

std::shared_ptr<const config::Config> load(const std::string& text) {
    config::Loader loader;
    loader.load_text(text, "test.conf");
    auto cfg = loader.finish();
    CPPUNIT_ASSERT_MESSAGE(text, cfg != nullptr);
    return cfg;
}

}  // namespace

class EvaluateTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(EvaluateTest);
    CPPUNIT_TEST(table);
    CPPUNIT_TEST(header_value_parses_back);
    CPPUNIT_TEST(trust_rule);
    CPPUNIT_TEST(trusted_results_bounded);
    CPPUNIT_TEST(identity_domains);
    CPPUNIT_TEST(forged_own_headers);
    CPPUNIT_TEST(own_id_claims);
    CPPUNIT_TEST(own_authserv_id_defaults_to_host_name);
    CPPUNIT_TEST(second_message_served_from_cache);
    CPPUNIT_TEST_SUITE_END();

public:
    void table() {
        for (const auto& c : cases()) {
            testing::FakeResolver dns;
            fill_dns(dns);
            auto cfg = load(std::string(kBaseConfig) + c.extra_config);
            dmarc::MessageFacts facts;
            facts.from_headers = c.from;
            facts.authentication_results = c.ar;
            facts.received_spf = c.rspf;
            facts.queue_id = c.queue_id;
            facts.envelope_from = c.envelope_from;
            facts.helo = "h.example";
            facts.client_ip = "192.0.2.1";
            auto v = dmarc::evaluate(facts, dns, *cfg, c.roll);
            std::string l = c.label;
            CPPUNIT_ASSERT_EQUAL_MESSAGE(l + " status", std::string(dmarc::status_name(c.status)),
                                         std::string(dmarc::status_name(v.status)));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(l + " header_from", std::string(c.header_from), v.header_from);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(l + " action", std::string(dmarc::action_name(c.action)),
                                         std::string(dmarc::action_name(v.action)));
            std::string smtp = v.smtp_code.empty() ? "" : v.smtp_code + " " + v.smtp_xcode + " " + v.smtp_text;
            CPPUNIT_ASSERT_EQUAL_MESSAGE(l + " smtp", std::string(c.smtp), smtp);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(l + " spf", std::string(c.spf), render_facts(v.spf, true));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(l + " dkim", std::string(c.dkim), render_facts(v.dkim, false));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(l + " header", std::string(c.header), v.header_value);
            CPPUNIT_ASSERT_MESSAGE(l + " reason: " + v.reason, v.reason.find(c.reason) != std::string::npos);
            CPPUNIT_ASSERT_MESSAGE(l + " reason is one line", v.reason.find('\n') == std::string::npos);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(l + " domains", std::string(c.domains), render_domains(v));
        }
    }

    // The header we add must itself be valid RFC 8601 (and readable by us).
    void header_value_parses_back();

    void trust_rule() {
        auto cfg = load("authserv_id = MX.test\ntrusted_authserv_ids = a.test, B.test\n");
        struct T {
            const char* id;
            const char* queue;
            bool trusted;
        } cases[] = {
            {"a.test", "Q", true},       {"A.TEST", "", true},         {"b.test", "Q", true},
            {"c.test", "Q", false},      {"mx.test", "Q", false},      {"MX.Test/Q", "Q", true},
            {"mx.test/q", "Q", false},   {"mx.test/Q", "", false},     {"mx.test/", "", false},
            {"mx.test/QQ", "Q", false},  {"", "Q", false},             {"a.test/Q", "Q", false},
        };
        for (const auto& t : cases)
            CPPUNIT_ASSERT_EQUAL_MESSAGE(std::string(t.id) + " " + t.queue, t.trusted,
                                         dmarc::trusted_authserv_id(t.id, t.queue, *cfg));
    }

    // A sender controls how many DKIM signatures (and so trusted dkim=
    // results) a message has: every result costs an alignment check per
    // author domain and a history entry, so at most kMaxTrustedResults per
    // method are used, the first ones in header order.
    void trusted_results_bounded() {
        auto cfg = load("authserv_id = mx.test\ntrusted_authserv_ids = a.test\n");
        dmarc::MessageFacts facts;
        facts.envelope_from = "bounce@s0.example";
        for (int h = 0; h < 3; ++h) {
            std::string value = "a.test";
            for (int i = 0; i < 500; ++i) {  // under the parser's 64 KiB
                std::string n = std::to_string(h * 500 + i);
                value += "; dkim=fail header.d=d" + n + ".example; spf=fail smtp.mailfrom=s" + n + ".example";
            }
            facts.authentication_results.push_back(value);
        }
        auto r = dmarc::trusted_results(facts, *cfg);
        CPPUNIT_ASSERT_EQUAL(dmarc::kMaxTrustedResults, r.dkim.size());
        CPPUNIT_ASSERT_EQUAL(dmarc::kMaxTrustedResults, r.spf.size());
        CPPUNIT_ASSERT_EQUAL(std::string("d0.example"), r.dkim.front().domain);
        CPPUNIT_ASSERT_EQUAL(std::string("d") + std::to_string(dmarc::kMaxTrustedResults - 1) + ".example",
                             r.dkim.back().domain);
        CPPUNIT_ASSERT_EQUAL(std::string("s0.example"), r.spf.front().domain);
        CPPUNIT_ASSERT_EQUAL(std::string("fail"), r.spf.front().result);
        CPPUNIT_ASSERT_EQUAL(std::string("mfrom"), r.spf.front().scope);
        CPPUNIT_ASSERT(!r.from_received_spf);
    }

    void forged_own_headers() {
        auto cfg = load("authserv_id = MX.test\ntrusted_authserv_ids = relay.test\n");
        struct T {
            const char* value;
            const char* queue;
            bool forged;
        } cases[] = {
            {"mx.test; dkim=pass header.d=a.example", "Q1", true},
            {"MX.TEST; none", "Q1", true},
            {"mx.test/Q2; dkim=pass header.d=a.example", "Q1", true},
            {"mx.test/Q1; dkim=pass header.d=a.example", "Q1", false},
            {"mx.test/q1; none", "Q1", true},  // another case: another queue id
            {"mx.test/Q1; none", "", true},
            {"relay.test; dkim=pass header.d=a.example", "Q1", false},
            {"mx.test.evil.example; none", "Q1", false},
            {"  mx.test; dkim=pass (unterminated", "Q1", true},
            {"mx.test/Q1 broken", "Q1", false},
            {"other.example; spf=pass smtp.mailfrom=a.example", "Q1", false},
        };
        for (const auto& t : cases)
            CPPUNIT_ASSERT_EQUAL_MESSAGE(t.value, t.forged, dmarc::forged_own_header(t.value, t.queue, *cfg));
    }

    // dmarc::claims_own_id: our authserv-id, bare or bound to another queue id.
    void own_id_claims() {
        struct Case {
            const char* label;
            const char* header_id;
            const char* queue_id;
            bool claims;
        };
        const Case cases[] = {
            {"own id unbound", "mx.example.org", "4XyZ12", true},
            {"own id other case", "MX.EXAMPLE.ORG", "4XyZ12", true},
            {"bound to this queue id", "MX.example.org/4XyZ12", "4XyZ12", false},
            {"bound to this queue id in another case", "mx.example.org/4xyz12", "4XyZ12", true},
            {"bound to another queue id", "mx.example.org/AAAA", "4XyZ12", true},
            {"bound, queue id unknown", "mx.example.org/AAAA", "", true},
            {"bound to nothing", "mx.example.org/", "4XyZ12", true},
            {"other id", "upstream.example.org", "4XyZ12", false},
            {"shares a prefix", "mx.example.org.evil", "4XyZ12", false},
            {"empty", "", "4XyZ12", false},
        };
        for (const auto& c : cases)
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.label, c.claims,
                                         dmarc::claims_own_id(c.header_id, "mx.example.org", c.queue_id));
    }

    void identity_domains() {
        CPPUNIT_ASSERT_EQUAL(std::string("example.com"), dmarc::identity_domain("user@Example.COM"));
        CPPUNIT_ASSERT_EQUAL(std::string("example.com"), dmarc::identity_domain("<user@example.com>"));
        CPPUNIT_ASSERT_EQUAL(std::string("example.com"), dmarc::identity_domain("example.com."));
        CPPUNIT_ASSERT_EQUAL(std::string("example.com"), dmarc::identity_domain("@example.com"));
        CPPUNIT_ASSERT_EQUAL(std::string("xn--bcher-kva.example"), dmarc::identity_domain("a@bücher.example"));
        CPPUNIT_ASSERT_EQUAL(std::string(""), dmarc::identity_domain("<>"));
        CPPUNIT_ASSERT_EQUAL(std::string(""), dmarc::identity_domain("user@"));
        CPPUNIT_ASSERT_EQUAL(std::string(""), dmarc::identity_domain("user@[192.0.2.1]"));
        CPPUNIT_ASSERT_EQUAL(std::string(""), dmarc::identity_domain("user@exa mple.com"));
    }

    // The milter passes a CachingResolver: the second message from the same
    // author domain costs no DNS query and gets the same verdict.
    void second_message_served_from_cache() {
        testing::FakeResolver dns;
        fill_dns(dns);
        auto cfg = load(std::string(kBaseConfig) + kReject);
        dmarc::CachingResolver cache(dns, dmarc::CacheLimits::from_config(*cfg));
        dmarc::MessageFacts facts;
        facts.from_headers = {"a@sub.reject.example"};
        auto first = dmarc::evaluate(facts, cache, *cfg, 0);
        int asked = dns.total();
        CPPUNIT_ASSERT(asked > 0);
        auto second = dmarc::evaluate(facts, cache, *cfg, 0);
        CPPUNIT_ASSERT_EQUAL(asked, dns.total());
        CPPUNIT_ASSERT_EQUAL(first.header_value, second.header_value);
        CPPUNIT_ASSERT_EQUAL(std::string("fail"), std::string(dmarc::status_name(second.status)));
    }

    void own_authserv_id_defaults_to_host_name() {
        char host[256] = {};
        CPPUNIT_ASSERT_EQUAL(0, gethostname(host, sizeof host - 1));
        CPPUNIT_ASSERT_EQUAL(std::string(host), dmarc::own_authserv_id(config::Config()));
        CPPUNIT_ASSERT_EQUAL(std::string("mx.test"), dmarc::own_authserv_id(*load("authserv_id = mx.test\n")));
    }
};

void EvaluateTest::header_value_parses_back() {
    for (const auto& c : cases()) {
        testing::FakeResolver dns;
        fill_dns(dns);
        auto cfg = load(std::string(kBaseConfig) + c.extra_config);
        dmarc::MessageFacts facts;
        facts.from_headers = c.from;
        facts.authentication_results = c.ar;
        auto v = dmarc::evaluate(facts, dns, *cfg, c.roll);
        auto parsed = mail::parse_authentication_results(v.header_value);
        CPPUNIT_ASSERT_MESSAGE(std::string(c.label) + ": " + v.header_value + ": " + parsed.error, parsed.header);
        CPPUNIT_ASSERT_EQUAL(std::string("mx.test"), parsed.header->authserv_id);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), parsed.header->results.size());
        CPPUNIT_ASSERT_EQUAL(std::string("dmarc"), parsed.header->results[0].method);
        CPPUNIT_ASSERT_EQUAL(std::string(dmarc::status_name(v.status)), parsed.header->results[0].result);
        if (!v.header_from.empty())
            CPPUNIT_ASSERT_EQUAL(v.header_from, parsed.header->results[0].prop("header.from").value_or(""));
    }
}

CPPUNIT_TEST_SUITE_REGISTRATION(EvaluateTest);
