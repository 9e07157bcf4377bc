// result: the vocabulary of DMARC results shared by verify (one author
// domain) and evaluate (one message). Field meanings follow the DESIGN.md
// `mtaguard dmarc verify --json` output.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dmarc {

enum class Status { None, Pass, Fail, TempError, PermError };
enum class Policy { None, Quarantine, Reject };  // a p=/sp=/np= value
enum class Action { Accept, Quarantine, Reject, TempFail };

std::string_view status_name(Status s);   // "none", "pass", "fail", "temperror", "permerror"
std::string_view policy_name(Policy p);   // "none", "quarantine", "reject"
std::string_view action_name(Action a);   // "accept", "quarantine", "reject", "tempfail"

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
struct Record;  // dmarc/record.h

struct DomainResult {
    std::string author_domain;
    Status status = Status::None;
    std::optional<std::string> policy_domain;
    std::optional<std::string> org_domain;
    std::optional<std::string> policy_tag;  // "p", "sp" or "np"
    std::optional<Policy> requested;
    bool reject = false;       // fail under quarantine or reject (before sampling and local action)
    bool sampled_out = false;  // pct sampling (RFC 7489 mode) or t=y: apply one level lower
    bool testing = false;      // the record says t=y (RFC 9989 §4.7)
    std::optional<Policy> applied;  // requested, one level lower when sampled_out (RFC 7489 §6.6.4)
    std::optional<std::string> record;  // the DMARC TXT record used
    std::shared_ptr<const Record> parsed_record;  // `record` parsed, when a policy was found
    bool aligned_spf = false;
    bool aligned_dkim = false;
    bool authentic = false;    // every DNS answer used had the AD bit
    std::string error;
    std::string explanation;   // human-readable: where the policy was found, what aligned
};

}  // namespace dmarc
