// domain: domain names as mtaguard handles them everywhere.
//
// parse() accepts a name as it appears in mail or DNS: any case, an optional
// trailing dot, U-labels (converted to A-labels with libidn2, IDNA2008 with
// UTS#46 non-transitional mapping) and returns the lowercase A-label form plus
// the Unicode form for display. Validation (RFC 1035 §2.3.4, RFC 5890 §2.3.1):
// LDH labels (letters, digits, hyphen; no leading or trailing hyphen), labels
// of 1..63 octets, names of at most 253 octets without the trailing dot,
// underscore allowed only where a caller asks (DNS owner names such as
// _dmarc.example.com). IP literals are recognised separately and never parse
// as names. Errors are values: ParseResult::error says what is wrong.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace domain {

inline constexpr std::size_t kMaxName = 253;
inline constexpr std::size_t kMaxLabel = 63;

struct Name {
    std::string ascii;    // lowercase, A-labels, no trailing dot: "xn--bcher-kva.example"
    std::string unicode;  // U-labels for display: "bücher.example"
    bool operator==(const Name& other) const { return ascii == other.ascii; }
};

struct ParseResult {
    std::optional<Name> name;
    std::string error;  // set when !name
    explicit operator bool() const { return name.has_value(); }
};

struct ParseOptions {
    bool allow_underscore = false;  // DNS owner names (_dmarc, _mta-sts, _report)
    bool allow_single_label = true;
};

ParseResult parse(std::string_view input, ParseOptions options = {});

// "1.2.3.4", "::1", "[1.2.3.4]", "[IPv6:2001:db8::1]", "[::1]".
bool is_ip_literal(std::string_view input);

std::vector<std::string_view> labels(std::string_view ascii_name);
// "a.b.c" -> "b.c"; "" for a single label.
std::string_view parent(std::string_view ascii_name);

// ASCII lowercase; names are compared in this form.
std::string lower(std::string_view s);
// Appends the ASCII lowercase of `s` to `out` (keys built in one buffer).
void append_lower(std::string& out, std::string_view s);
// ASCII case-insensitive equality, without building lowercase copies.
bool iequals(std::string_view a, std::string_view b);

}  // namespace domain
