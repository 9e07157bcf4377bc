// policy: MTA-STS TXT record (RFC 8461 §3.1) and policy file (RFC 8461 §3.2)
// parsers, and MX matching (RFC 8461 §4.1).
//
// CONTRACT (written before the implementation; keep these names): parsers
// return values, never throw. parse_record distinguishes "not an STS record"
// (is_sts false: v=STSv1 is not the first tag) from "an STS record with a
// syntax error". parse_policy accepts LF and CRLF line ends; an mx pattern is
// an LDH host name or "*." plus one; IP literals and characters that would
// break Postfix's reply syntax ({ } = white space :) are refused.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sts {

enum class Mode { Enforce, Testing, None };
std::string_view mode_name(Mode m);  // "enforce", "testing", "none"

using Extension = std::pair<std::string, std::string>;  // key, value

struct Record {
    std::string id;  // 1..32 alphanumerics
    std::vector<Extension> extensions;
};

struct RecordParse {
    std::optional<Record> record;
    bool is_sts = false;
    std::string error;
};

RecordParse parse_record(std::string_view txt);

struct Policy {
    std::string version = "STSv1";
    Mode mode = Mode::None;
    std::uint32_t max_age = 0;      // seconds, at most kMaxMaxAge
    std::vector<std::string> mx;    // lowercase patterns: "mx1.example.com", "*.example.net"
    std::vector<Extension> extensions;
    // RFC 8461 §4.1: host (an MX host name) matches an mx pattern; "*."
    // matches exactly one leftmost label.
    bool matches(std::string_view host) const;
};

struct PolicyParse {
    std::optional<Policy> policy;
    std::string error;
};

inline constexpr std::uint32_t kMaxMaxAge = 31557600;  // RFC 8461 §3.2
inline constexpr std::size_t kMaxPolicySize = 64 * 1024;

PolicyParse parse_policy(std::string_view text);

// One mx value of a policy (RFC 8461 §3.2: ["*."] Domain): the lowercase
// A-label pattern, or an error (IP literal, non-LDH, characters that would
// break Postfix's reply syntax). U-labels are converted with IDNA.
struct MxPattern {
    std::string pattern;
    std::string error;
};
MxPattern parse_mx_pattern(std::string_view value);

}  // namespace sts
