// authres: Authentication-Results header field parser (RFC 8601 §2.2).
//
// Grammar (RFC 8601 §2.2), with the lexical tokens of lexer.h:
//   authres-payload = [CFWS] authserv-id [CFWS authres-version]
//                     ( no-result / 1*resinfo ) [CFWS]
//   no-result = [CFWS] ";" [CFWS] "none"
//   resinfo   = [CFWS] ";" methodspec [CFWS reasonspec] [CFWS 1*propspec]
//   methodspec = [CFWS] method [CFWS] "=" [CFWS] result
//   method    = Keyword [[CFWS] "/" [CFWS] method-version]
//   propspec  = ptype [CFWS] "." [CFWS] property [CFWS] "=" pvalue
// Tolerances for what real filters write, each harmless to the meaning:
//   - authserv-id may contain "/" (OpenDKIM/OpenDMARC AuthservIDWithJobID
//     write "host/QUEUEID", which is not an RFC 2045 token);
//   - an unquoted pvalue is any run of visible octets other than ";", "(",
//     ")", "\"" and "\\" (header.b=AbC+/= of OpenDKIM, smtp.mailfrom=<>,
//     IPv6 addresses in policy.iprev), not only token / addr-spec;
//   - one trailing ";" after the last resinfo.
// Everything else off the grammar is an error: the caller then ignores the
// whole header, which only ever loses results, never invents one.
// Limits: kMaxAuthResultsHeader octets and kMaxAuthResults results; the scan
// is a single pass, so hundreds of results parse in linear time.
#include "mail/authres.h"

#include <cctype>
#include <cstring>

#include "domain.h"
#include "mail/lexer.h"

namespace mail {

std::optional<std::string> AuthResult::prop(std::string_view ptype_dot_property) const {
    std::string_view wanted = ptype_dot_property;
    for (const auto& p : props)  // "ptype.property" compared in place, without building it
        if (wanted.size() == p.ptype.size() + 1 + p.property.size() &&
            domain::iequals(wanted.substr(0, p.ptype.size()), p.ptype) && wanted[p.ptype.size()] == '.' &&
            domain::iequals(wanted.substr(p.ptype.size() + 1), p.property))
            return p.value;
    return std::nullopt;
}

namespace {

// RFC 2045 §5.1 token characters (plus UTF-8, RFC 6532) with "/" allowed for
// authserv-id "host/QUEUEID" (see the file comment).
bool is_authserv_char(char c) {
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x80) return true;
    if (u <= 0x20 || u == 0x7f) return false;
    return std::strchr("()<>@,;:\\\"[]?=", c) == nullptr;
}

// Unquoted pvalue / reason value (tolerant, see the file comment).
bool is_value_char(char c) {
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x80) return true;
    if (u <= 0x20 || u == 0x7f) return false;
    return std::strchr(";()\"\\", c) == nullptr;
}

class Parser {
public:
    explicit Parser(std::string_view value) : lx_(value) {}

    AuthResultsParse run() {
        AuthResultsParse out;
        AuthResults header;
        if (payload(header)) out.header = std::move(header);
        else out.error = lx_.error();
        return out;
    }

private:
    bool payload(AuthResults& h) {
        if (!lx_.skip_cfws()) return false;
        if (!value(h.authserv_id, is_authserv_char, "an authserv-id")) return false;
        bool skipped = false;
        if (!lx_.skip_cfws(skipped)) return false;
        // RFC 8601 §2.2: authres-version = 1*DIGIT [CFWS], after CFWS.
        if (skipped && std::isdigit(static_cast<unsigned char>(lx_.peek()))) {
            h.version = lx_.run([](char c) { return c >= '0' && c <= '9'; });
            if (!lx_.skip_cfws()) return false;
        }
        // RFC 8601 §2.2: ( no-result / 1*resinfo ): at least one ";".
        if (lx_.peek() != ';') return lx_.fail("expected \";\" after the authserv-id");
        bool first = true;
        while (lx_.consume(';')) {
            if (!lx_.skip_cfws()) return false;
            if (lx_.at_end() && !first) return true;  // tolerated trailing ";"
            if (!resinfo(h, first)) return false;
            first = false;
        }
        if (!lx_.at_end()) return lx_.fail("unexpected character");
        return true;
    }

    // One resinfo after its ";" and CFWS; `first` allows the no-result form.
    bool resinfo(AuthResults& h, bool first) {
        AuthResult r;
        if (!keyword(r.method, "a method")) return false;
        if (!lx_.skip_cfws()) return false;
        // RFC 8601 §2.2 no-result: "none" alone, and only as the sole resinfo.
        if (r.method == "none" && lx_.peek() != '=' && lx_.peek() != '/') {
            if (!first) return lx_.fail("\"none\" after other results");
            if (!lx_.at_end() && !(lx_.consume(';') && lx_.skip_cfws() && lx_.at_end()))
                return lx_.fail("results after \"none\"");
            return true;
        }
        if (lx_.consume('/')) {  // RFC 8601 §2.2 method-version = 1*DIGIT [CFWS]
            if (!lx_.skip_cfws()) return false;
            r.version = lx_.run([](char c) { return c >= '0' && c <= '9'; });
            if (r.version.empty()) return lx_.fail("expected a method version");
            if (!lx_.skip_cfws()) return false;
        }
        if (!lx_.consume('=')) return lx_.fail("expected \"=\" after the method");
        if (!lx_.skip_cfws()) return false;
        if (!keyword(r.result, "a result")) return false;
        if (!separator()) return false;
        if (h.results.size() >= kMaxAuthResults) return lx_.fail("too many results");
        while (!lx_.at_end() && lx_.peek() != ';')
            if (!reason_or_property(r)) return false;
        h.results.push_back(std::move(r));
        return true;
    }

    // RFC 8601 §2.2: [CFWS reasonspec] [CFWS 1*propspec]: reason first, once.
    bool reason_or_property(AuthResult& r) {
        std::string ptype;
        if (!keyword(ptype, "a property type")) return false;
        if (!lx_.skip_cfws()) return false;
        if (ptype == "reason" && lx_.peek() == '=') {
            if (!r.reason.empty() || !r.props.empty()) return lx_.fail("misplaced reason");
            lx_.advance();
            if (!lx_.skip_cfws()) return false;
            if (!value(r.reason, is_value_char, "a reason")) return false;
            return separator();
        }
        AuthProperty p;
        p.ptype = std::move(ptype);
        if (!lx_.consume('.')) return lx_.fail("expected ptype.property=value");
        if (!lx_.skip_cfws()) return false;
        if (!keyword(p.property, "a property")) return false;
        if (!lx_.skip_cfws()) return false;
        if (!lx_.consume('=')) return lx_.fail("expected \"=\" after the property");
        if (!lx_.skip_cfws()) return false;
        if (!value(p.value, is_value_char, "a property value")) return false;
        r.props.push_back(std::move(p));
        return separator();
    }

    // After a result or value: CFWS, or the end of the resinfo (";", end).
    bool separator() {
        bool skipped = false;
        if (!lx_.skip_cfws(skipped)) return false;
        if (!skipped && !lx_.at_end() && lx_.peek() != ';')
            return lx_.fail("expected white space");
        return true;
    }

    // RFC 8601 §2.2 Keyword = ldh-str (RFC 5321 §4.1.2), lowercased.
    bool keyword(std::string& out, const char* what) {
        auto k = lx_.run(is_ldh);
        if (k.empty()) return lx_.fail(std::string("expected ") + what);
        out = domain::lower(k);
        return true;
    }

    // RFC 2045 §5.1 value = token / quoted-string (token chars per caller).
    // A pvalue may also be an addr-spec with a quoted local-part
    // (RFC 8601 §2.2 pvalue: [[local-part] "@"] domain-name).
    template <typename Pred>
    bool value(std::string& out, Pred pred, const char* what) {
        if (lx_.peek() == '"') {
            if (!lx_.quoted_string(out)) return false;
            if (lx_.peek() == '@') out += lx_.run(pred);
            return true;
        }
        out = std::string(lx_.run(pred));
        if (out.empty()) return lx_.fail(std::string("expected ") + what);
        return true;
    }

    Lexer lx_;
};

}  // namespace

AuthResultsParse parse_authentication_results(std::string_view value) {
    if (value.size() > kMaxAuthResultsHeader) {
        AuthResultsParse out;
        out.error = "header longer than " + std::to_string(kMaxAuthResultsHeader) + " octets";
        return out;
    }
    return Parser(trim_line_end(value)).run();
}

}  // namespace mail
