// from: RFC 5322 §3.4/§3.6.2 From header field parser that returns every
// author domain.
//
// CONTRACT (written before the implementation; keep these names):
// parse_from() takes one From field value (unfolded or not) and returns the
// mailboxes it names: display names (with RFC 2047 encoded words), quoted
// local parts, comments (nested), groups, obsolete syntax (RFC 5322 §4.4).
// Any input that is not a valid mailbox-list, a mailbox without a domain, an
// empty domain, or a domain that is not a valid DNS name is an error: never
// guess a domain out of a malformed header (`user@example.net(.example.com`
// has an unterminated comment and is an error, neither example.net nor
// example.com; `a@x, b, c@x` is an error). The caller
// (dmarc::evaluate) decides what several From headers or several domains
// mean.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mail {

struct Mailbox {
    std::string display_name;  // decoded, "" when absent
    std::string local_part;    // unquoted
    std::string domain;        // lowercase A-label form, no trailing dot
};

struct FromParse {
    std::vector<Mailbox> mailboxes;  // empty on error
    std::string error;               // set on error
    bool ok() const { return error.empty(); }
    // Distinct author domains in order of appearance.
    std::vector<std::string> domains() const;
};

inline constexpr std::size_t kMaxFromHeader = 16 * 1024;
inline constexpr std::size_t kMaxMailboxes = 100;

FromParse parse_from(std::string_view value);

}  // namespace mail
