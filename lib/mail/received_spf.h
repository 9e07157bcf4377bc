// received_spf: Received-SPF header field parser (RFC 7208 §9.1).
//
//   header-field = "Received-SPF:" [CFWS] result FWS [comment FWS]
//                  [ key-value-list ] CRLF
//   key-value-list = key-value-pair *( ";" [CFWS] key-value-pair ) [";"]
//   key-value-pair = key [CFWS] "=" ( dot-atom / quoted-string )
// parse_received_spf() takes the field value. The result word must be one of
// RFC 7208 §2.6 (case-insensitive, returned lowercase); the comment is kept
// as written; known keys fill the struct, unknown keys are ignored. Values
// are accepted as quoted-string or as any run of visible octets except ";"
// and "(" (policyd-spf writes IPv6 client-ip and receiver=<UNKNOWN>
// unquoted, which is not a dot-atom). A key given twice is an error.
// Limits: kMaxReceivedSpfHeader octets, kMaxReceivedSpfPairs pairs.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mail {

struct ReceivedSpf {
    std::string result;         // "pass", "fail", "softfail", "neutral", "none", "temperror", "permerror"
    std::string comment;        // the comment after the result, without parentheses; "" when absent
    std::string identity;       // "mailfrom", "helo", ... (lowercase); "" when absent
    std::string envelope_from;  // envelope-from=
    std::string helo;           // helo=
    std::string client_ip;      // client-ip=
    std::string receiver;       // receiver=
    std::string problem;        // problem=
    std::string mechanism;      // mechanism=
};

struct ReceivedSpfParse {
    std::optional<ReceivedSpf> header;
    std::string error;  // set when !header
};

inline constexpr std::size_t kMaxReceivedSpfHeader = 8 * 1024;
inline constexpr std::size_t kMaxReceivedSpfPairs = 32;

ReceivedSpfParse parse_received_spf(std::string_view value);

}  // namespace mail
