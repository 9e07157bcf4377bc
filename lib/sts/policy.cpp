// policy: the MTA-STS TXT record parser (RFC 8461 §3.1), the policy file
// parser (RFC 8461 §3.2) and MX pattern matching (RFC 8461 §4.1).
//
// Both parsers follow the RFC's ABNF and return values (never throw). Where
// the RFC leaves a choice, this file decides (and mtaguard(1) documents):
//   record  case-sensitive tags (%s"v=STSv1", %s"id="); is_sts is true when
//           the text starts with v=STSv1 followed by the end, white space or
//           ";"; an empty field (";;"), a second id or v is a syntax error;
//           white space at the end without a ";" is accepted (a common
//           publishing slip that changes no meaning).
//   policy  LF or CRLF line ends, the last line may lack one; blank lines
//           (empty or white space only) are ignored; white space around a
//           line is ignored; version, mode and max_age must appear exactly
//           once (a repeat is an error: which one would win is ambiguous),
//           mx may repeat (duplicates are kept once); max_age above
//           31557600 is clamped to 31557600 (the intent, "cache for long",
//           is clear, and refusing it would drop the domain's protection);
//           more than 10 digits is a syntax error.
// Limits: a policy longer than kMaxPolicySize octets is refused.
#include "sts/policy.h"

#include <algorithm>

#include "domain.h"

namespace sts {
namespace {

constexpr std::string_view kRecordVersion = "v=STSv1";
constexpr std::size_t kMaxIdLength = 32;       // RFC 8461 §3.1: 1*32(ALPHA / DIGIT)
constexpr std::size_t kMaxExtNameLength = 32;  // RFC 8461 §3.1/§3.2: 1 + *31 characters
constexpr std::size_t kMaxMaxAgeDigits = 10;   // RFC 8461 §3.2: 1*10(DIGIT)

bool is_wsp(char c) {
    return c == ' ' || c == '\t';
}
bool is_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
bool is_alnum(char c) {
    return is_alpha(c) || is_digit(c);
}

std::string_view trim_wsp(std::string_view s) {
    while (!s.empty() && is_wsp(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_wsp(s.back())) s.remove_suffix(1);
    return s;
}

// RFC 8461 §3.1/§3.2: ext-name = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")
bool valid_ext_name(std::string_view name) {
    if (name.empty() || name.size() > kMaxExtNameLength || !is_alnum(name[0])) return false;
    return std::all_of(name.begin(), name.end(),
                       [](char c) { return is_alnum(c) || c == '_' || c == '-' || c == '.'; });
}

// RFC 8461 §3.1/§3.2: ext-value = 1*(%x21-3A / %x3C / %x3E-7E): printable
// ASCII except "=", ";" and space.
bool valid_ext_value(std::string_view value) {
    if (value.empty()) return false;
    return std::all_of(value.begin(), value.end(), [](char c) {
        auto u = static_cast<unsigned char>(c);
        return u >= 0x21 && u <= 0x7e && c != ';' && c != '=';
    });
}

// RFC 8461 §3.2: sts-policy-ext-value = sts-policy-vchar
// [*(%x20 / sts-policy-vchar) sts-policy-vchar], vchar = %x21-7E / UTF8-2 /
// UTF8-3 / UTF8-4: printable text with inner spaces, no controls, no tabs.
// The caller has trimmed the ends; UTF-8 sequences are checked for shape.
bool valid_policy_ext_value(std::string_view value) {
    if (value.empty()) return false;
    for (std::size_t i = 0; i < value.size();) {
        auto u = static_cast<unsigned char>(value[i]);
        if (u >= 0x20 && u <= 0x7e) {
            ++i;
            continue;
        }
        std::size_t extra = u >= 0xc2 && u <= 0xdf   ? 1
                            : u >= 0xe0 && u <= 0xef ? 2
                            : u >= 0xf0 && u <= 0xf4 ? 3
                                                     : 0;
        if (extra == 0 || i + extra >= value.size()) return false;
        for (std::size_t k = 1; k <= extra; ++k)
            if ((static_cast<unsigned char>(value[i + k]) & 0xc0) != 0x80) return false;
        i += extra + 1;
    }
    return true;
}

std::string quoted(std::string_view s) {
    return "\"" + std::string(s) + "\"";
}

// One field after the version; returns an error or "".
std::string record_field(std::string_view field, Record& record, bool& have_id) {
    auto eq = field.find('=');
    if (eq == std::string_view::npos) return "field " + quoted(field) + " has no \"=\"";
    std::string_view name = field.substr(0, eq);
    std::string_view value = field.substr(eq + 1);
    if (name == "id") {
        // RFC 8461 §3.1: sts-id = %s"id=" 1*32(ALPHA / DIGIT)
        if (have_id) return "duplicate id";
        if (value.empty() || value.size() > kMaxIdLength ||
            !std::all_of(value.begin(), value.end(), is_alnum))
            return "id must be 1 to 32 letters and digits, got " + quoted(value);
        record.id = std::string(value);
        have_id = true;
        return "";
    }
    if (name == "v") return "duplicate v";
    if (!valid_ext_name(name)) return "invalid field name " + quoted(name);
    if (!valid_ext_value(value)) return "invalid value of " + quoted(name) + ": " + quoted(value);
    record.extensions.emplace_back(name, value);
    return "";
}

}  // namespace

std::string_view mode_name(Mode m) {
    switch (m) {
        case Mode::Enforce:
            return "enforce";
        case Mode::Testing:
            return "testing";
        case Mode::None:
            return "none";
    }
    return "none";
}

RecordParse parse_record(std::string_view txt) {
    RecordParse out;
    // RFC 8461 §3.1: sts-text-record = sts-version 1*(sts-sep sts-field) [sts-sep];
    // a record that does not begin with v=STSv1 is not an STS record at all.
    if (txt.substr(0, kRecordVersion.size()) != kRecordVersion ||
        (txt.size() > kRecordVersion.size() && !is_wsp(txt[kRecordVersion.size()]) &&
         txt[kRecordVersion.size()] != ';')) {
        out.error = "not an STS record (does not start with v=STSv1)";
        return out;
    }
    out.is_sts = true;
    Record record;
    bool have_id = false;
    std::size_t pos = kRecordVersion.size();
    while (pos < txt.size()) {
        // RFC 8461 §3.1: sts-sep = *WSP %x3B *WSP
        std::size_t p = pos;
        while (p < txt.size() && is_wsp(txt[p])) ++p;
        // White space at the very end (no ";") is outside the ABNF but
        // carries nothing: accepted (file comment).
        if (p == txt.size()) break;
        if (txt[p] != ';') {
            out.error = "expected \";\" before " + quoted(txt.substr(p));
            return out;
        }
        ++p;
        while (p < txt.size() && is_wsp(txt[p])) ++p;
        if (p == txt.size()) break;  // RFC 8461 §3.1: one optional trailing sts-sep
        // A field holds neither ";" nor white space (id and ext-value exclude both).
        std::size_t end = p;
        while (end < txt.size() && txt[end] != ';' && !is_wsp(txt[end])) ++end;
        if (end == p) {
            out.error = "empty field";
            return out;
        }
        if (auto error = record_field(txt.substr(p, end - p), record, have_id); !error.empty()) {
            out.error = error;
            return out;
        }
        pos = end;
    }
    if (!have_id) {
        out.error = "missing id";  // RFC 8461 §3.1: id is required
        return out;
    }
    out.record = std::move(record);
    return out;
}

namespace {

struct PolicyBuilder {
    Policy policy;
    bool have_version = false;
    bool have_mode = false;
    bool have_max_age = false;

    std::string version(std::string_view value) {
        if (have_version) return "duplicate version";
        have_version = true;
        // RFC 8461 §3.2: sts-policy-version-value = %s"STSv1"
        if (value != "STSv1") return "version must be STSv1, got " + quoted(value);
        return "";
    }

    std::string mode(std::string_view value) {
        if (have_mode) return "duplicate mode";
        have_mode = true;
        // RFC 8461 §3.2: %s"testing" / %s"enforce" / %s"none"
        if (value == "enforce")
            policy.mode = Mode::Enforce;
        else if (value == "testing")
            policy.mode = Mode::Testing;
        else if (value == "none")
            policy.mode = Mode::None;
        else
            return "mode must be enforce, testing or none, got " + quoted(value);
        return "";
    }

    std::string max_age(std::string_view value) {
        if (have_max_age) return "duplicate max_age";
        have_max_age = true;
        // RFC 8461 §3.2: sts-policy-max-age-value = 1*10(DIGIT)
        if (value.empty() || value.size() > kMaxMaxAgeDigits ||
            !std::all_of(value.begin(), value.end(), is_digit))
            return "max_age must be 1 to 10 digits, got " + quoted(value);
        std::uint64_t seconds = 0;
        for (char c : value) seconds = seconds * 10 + static_cast<std::uint64_t>(c - '0');
        // RFC 8461 §3.2: "This value MUST be no greater than 31557600";
        // a larger value is clamped (see the file comment).
        policy.max_age = static_cast<std::uint32_t>(std::min<std::uint64_t>(seconds, kMaxMaxAge));
        return "";
    }

    std::string mx(std::string_view value) {
        auto pattern = parse_mx_pattern(value);
        if (!pattern.error.empty()) return pattern.error;
        if (std::find(policy.mx.begin(), policy.mx.end(), pattern.pattern) == policy.mx.end())
            policy.mx.push_back(pattern.pattern);
        return "";
    }

    std::string extension(std::string_view name, std::string_view value) {
        if (!valid_ext_name(name)) return "invalid field name " + quoted(name);
        if (!valid_policy_ext_value(value))
            return "invalid value of " + quoted(name) + ": " + quoted(value);
        policy.extensions.emplace_back(name, value);
        return "";
    }

    std::string line(std::string_view text) {
        auto colon = text.find(':');
        if (colon == std::string_view::npos) return "line " + quoted(text) + " has no \":\"";
        std::string_view key = text.substr(0, colon);
        // RFC 8461 §3.2: sts-policy-field-delim = ":" *WSP
        std::string_view value = trim_wsp(text.substr(colon + 1));
        if (key == "version") return version(value);
        if (key == "mode") return mode(value);
        if (key == "max_age") return max_age(value);
        if (key == "mx") return mx(value);
        return extension(key, value);
    }

    std::string finish() const {
        if (!have_version) return "missing version";  // RFC 8461 §3.2: required
        if (!have_mode) return "missing mode";
        if (!have_max_age) return "missing max_age";
        // RFC 8461 §3.2: mx is required at least once, except when mode is none.
        if (policy.mode != Mode::None && policy.mx.empty()) return "missing mx";
        return "";
    }
};

}  // namespace

MxPattern parse_mx_pattern(std::string_view value) {
    MxPattern out;
    if (value.empty()) {
        out.error = "empty mx";
        return out;
    }
    // Characters that would break Postfix's "match=a:b" reply attribute
    // syntax never pass, whatever IDNA would make of them.
    for (char c : value)
        if (c == '{' || c == '}' || c == '=' || c == ':' || c == ',' || is_wsp(c) ||
            static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
            out.error = "invalid character in mx " + quoted(value);
            return out;
        }
    std::string_view host = value;
    bool wildcard = false;
    // RFC 8461 §3.2: sts-policy-mx-value = ["*."] Domain
    if (host.substr(0, 2) == "*.") {
        wildcard = true;
        host.remove_prefix(2);
    }
    // RFC 8461 §3.2 (Domain, RFC 5321 §4.1.2): a host name, never an address.
    if (domain::is_ip_literal(host)) {
        out.error = "mx must be a host name, not an IP address: " + quoted(value);
        return out;
    }
    auto parsed = domain::parse(host);
    if (!parsed) {
        out.error = "invalid mx " + quoted(value) + ": " + parsed.error;
        return out;
    }
    out.pattern = (wildcard ? "*." : "") + parsed.name->ascii;
    return out;
}

PolicyParse parse_policy(std::string_view text) {
    PolicyParse out;
    if (text.size() > kMaxPolicySize) {
        out.error = "policy longer than " + std::to_string(kMaxPolicySize) + " octets";
        return out;
    }
    PolicyBuilder builder;
    std::size_t start = 0;
    int number = 0;
    while (start < text.size()) {
        auto lf = text.find('\n', start);
        std::string_view line = text.substr(start, lf == std::string_view::npos ? lf : lf - start);
        start = lf == std::string_view::npos ? text.size() : lf + 1;
        ++number;
        // RFC 8461 §3.2: sts-policy-term = CRLF / LF
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        line = trim_wsp(line);
        if (line.empty()) continue;  // blank lines carry nothing (file comment)
        if (auto error = builder.line(line); !error.empty()) {
            out.error = "line " + std::to_string(number) + ": " + error;
            return out;
        }
    }
    if (auto error = builder.finish(); !error.empty()) {
        out.error = error;
        return out;
    }
    out.policy = std::move(builder.policy);
    return out;
}

namespace {

// An A-label host, lowercase, without the trailing dot; "" when unusable.
std::string normalise_host(std::string_view host) {
    if (!host.empty() && host.back() == '.') host.remove_suffix(1);
    bool ascii = std::all_of(host.begin(), host.end(),
                             [](char c) { return static_cast<unsigned char>(c) < 0x80; });
    if (ascii) return domain::lower(host);
    auto parsed = domain::parse(host);
    return parsed ? parsed.name->ascii : std::string();
}

bool is_label(std::string_view s) {
    return !s.empty() && s.find('.') == std::string_view::npos &&
           std::all_of(s.begin(), s.end(), [](char c) { return is_alnum(c) || c == '-'; });
}

}  // namespace

bool Policy::matches(std::string_view host_in) const {
    std::string host = normalise_host(host_in);
    if (host.empty()) return false;
    for (const auto& pattern : mx) {
        if (pattern.substr(0, 2) == "*.") {
            // RFC 8461 §4.1: "*.example.com" matches exactly one extra
            // leftmost label: mx1.example.com, not example.com, not
            // a.b.example.com.
            std::string_view suffix = std::string_view(pattern).substr(1);
            if (host.size() > suffix.size() && host.ends_with(suffix) &&
                is_label(std::string_view(host).substr(0, host.size() - suffix.size())))
                return true;
        } else if (host == pattern) {
            return true;
        }
    }
    return false;
}

}  // namespace sts
