// authres: Authentication-Results header field parser (RFC 8601 §2.2).
//
// CONTRACT (written before the implementation; the implementer may add
// fields and helpers but keeps these names): parse() takes the header field
// *value* (after "Authentication-Results:"), unfolded or not, and returns the
// authserv-id, its optional version and every resinfo in order. Comments
// (nested) may appear wherever CFWS is allowed and are skipped; quoted
// strings are unquoted; `none` yields no results; unknown methods are kept.
// Bounded: at most kMaxResults results and kMaxHeader octets are read; beyond
// that the header is an error, never a crash or quadratic work.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mail {

struct AuthProperty {
    std::string ptype;     // "smtp", "header", "body", "policy" (lowercase)
    std::string property;  // "mailfrom", "d", "i", ... (lowercase)
    std::string value;     // as written, quotes removed
};

struct AuthResult {
    std::string method;   // lowercase: "spf", "dkim", "dmarc", "arc", or unknown
    std::string version;  // method version, "" when absent
    std::string result;   // lowercase: "pass", "fail", "softfail", "neutral", ...
    std::string reason;   // reason= value, "" when absent
    std::vector<AuthProperty> props;
    // Value of "ptype.property" (e.g. "smtp.mailfrom", "header.d"); nullopt if absent.
    std::optional<std::string> prop(std::string_view ptype_dot_property) const;
};

struct AuthResults {
    std::string authserv_id;  // as written (compare case-insensitively)
    std::string version;      // "" when absent
    std::vector<AuthResult> results;
};

struct AuthResultsParse {
    std::optional<AuthResults> header;
    std::string error;  // set when !header
};

inline constexpr std::size_t kMaxAuthResultsHeader = 64 * 1024;
inline constexpr std::size_t kMaxAuthResults = 1000;

AuthResultsParse parse_authentication_results(std::string_view value);

}  // namespace mail
