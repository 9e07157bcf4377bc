// received_spf: RFC 7208 §9.1 Received-SPF parser; see received_spf.h.
#include "mail/received_spf.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "domain.h"
#include "mail/lexer.h"

namespace mail {

namespace {

// RFC 7208 §2.6 results.
constexpr std::array<std::string_view, 7> kResults = {"pass",    "fail",      "softfail", "neutral",
                                                      "none",    "temperror", "permerror"};

bool is_value_char(char c) {
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x80) return true;
    if (u <= 0x20 || u == 0x7f) return false;
    return std::strchr(";()\"\\", c) == nullptr;
}

// RFC 7208 §9.1 key = "client-ip" / "envelope-from" / "helo" / "problem" /
// "receiver" / "identity" / mechanism / name: letters, digits, "-", "_", ".".
bool is_key_char(char c) { return is_ldh(c) || c == '_' || c == '.'; }

std::string* field_for(ReceivedSpf& r, std::string_view key) {
    if (key == "client-ip") return &r.client_ip;
    if (key == "envelope-from") return &r.envelope_from;
    if (key == "helo") return &r.helo;
    if (key == "identity") return &r.identity;
    if (key == "receiver") return &r.receiver;
    if (key == "problem") return &r.problem;
    if (key == "mechanism") return &r.mechanism;
    return nullptr;
}

}  // namespace

ReceivedSpfParse parse_received_spf(std::string_view value) {
    ReceivedSpfParse out;
    if (value.size() > kMaxReceivedSpfHeader) {
        out.error = "header longer than " + std::to_string(kMaxReceivedSpfHeader) + " octets";
        return out;
    }
    value = trim_line_end(value);
    Lexer lx(value);
    ReceivedSpf r;
    auto fail = [&](const char* message) {
        lx.fail(message);
        out.error = lx.error();
        return out;
    };
    if (!lx.skip_cfws()) return fail("");
    r.result = domain::lower(lx.run(is_ldh));
    if (std::find(kResults.begin(), kResults.end(), r.result) == kResults.end())
        return fail("unknown SPF result");
    // RFC 7208 §9.1: result FWS [comment FWS]; the first comment is kept.
    bool skipped = false;
    if (!lx.skip_cfws_keeping_comment(skipped, r.comment)) return fail("");
    if (!skipped && !lx.at_end()) return fail("expected white space after the result");
    std::size_t pairs = 0;
    std::string seen;
    while (!lx.at_end()) {
        std::string key = domain::lower(lx.run(is_key_char));
        if (key.empty()) return fail("expected key=value");
        if (!lx.skip_cfws()) return fail("");
        if (!lx.consume('=')) return fail("expected \"=\" after the key");
        if (!lx.skip_cfws()) return fail("");
        std::string v;
        if (lx.peek() == '"') {
            if (!lx.quoted_string(v)) return fail("");
        } else {
            v = std::string(lx.run(is_value_char));
        }
        if (++pairs > kMaxReceivedSpfPairs) return fail("too many key=value pairs");
        if (std::string* field = field_for(r, key)) {
            if (seen.find("|" + key + "|") != std::string::npos) return fail("key given twice");
            seen += "|" + key + "|";
            *field = key == "identity" ? domain::lower(v) : v;
        }
        if (!lx.skip_cfws()) return fail("");
        if (lx.at_end()) break;
        if (!lx.consume(';')) return fail("expected \";\" between key=value pairs");
        if (!lx.skip_cfws()) return fail("");
    }
    out.header = std::move(r);
    return out;
}

}  // namespace mail
