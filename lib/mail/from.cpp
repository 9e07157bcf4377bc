// from: RFC 5322 §3.4 / §3.6.2 From header field parser; see from.h.
//
// Accepted: mailbox-list (RFC 5322 §3.4) and, because a From in the wild
// sometimes carries one, group syntax (§3.4 group: its members count as
// authors; an empty group names nobody); the obsolete forms of §4.4
// (obs-mbox-list empty elements, obs-phrase with ".", obs-local-part,
// obs-domain with CFWS around ".", obs-route in angle-addr); RFC 2047 encoded
// words in display names; UTF-8 (RFC 6532). Domains go through
// domain::parse (A-label, lowercase).
// Errors (the caller treats the header as unusable, never guesses):
// an unterminated comment or quoted string (`a@example.net(.example.com`),
// an element that is not a mailbox (`a@x, b, c@x`), an empty local part or
// domain, `<>`, a domain literal (`[192.0.2.1]`: no DNS domain to look a
// policy up for), an invalid DNS name, anything after the last mailbox, a
// header naming no mailbox at all.
// Limits: kMaxFromHeader octets, kMaxMailboxes mailboxes; a single pass.
#include "mail/from.h"

#include <algorithm>

#include "domain.h"
#include "mail/encoded_word.h"
#include "mail/lexer.h"

namespace mail {

std::vector<std::string> FromParse::domains() const {
    std::vector<std::string> out;
    for (const auto& m : mailboxes)
        if (std::find(out.begin(), out.end(), m.domain) == out.end()) out.push_back(m.domain);
    return out;
}

namespace {

// A word or "." of a phrase or local-part, with the CFWS before it noted.
struct Token {
    std::string text;
    bool dot = false;
    bool quoted = false;
    bool space_before = false;
};

// RFC 5322 §3.2.5 phrase / §4.4 obs-phrase, decoded for display: words
// joined by one space where the header had white space, adjacent encoded
// words joined without it (RFC 2047 §6.2).
std::string display_name(const std::vector<Token>& tokens) {
    std::string out;
    bool prev_encoded = false;
    for (const auto& t : tokens) {
        bool encoded = !t.quoted && !t.dot && looks_like_encoded_word(t.text);
        std::optional<std::string> decoded = encoded ? decode_encoded_word(t.text) : std::nullopt;
        if (!out.empty() && t.space_before && !(prev_encoded && decoded)) out += ' ';
        out += decoded ? *decoded : t.text;
        prev_encoded = decoded.has_value();
    }
    return out;
}

class Parser {
public:
    explicit Parser(std::string_view value) : lx_(value) {}

    FromParse run() {
        FromParse out;
        if (list()) {
            if (mailboxes_.empty()) out.error = "no mailbox in the From header";
            else out.mailboxes = std::move(mailboxes_);
        } else {
            out.error = lx_.error();
        }
        return out;
    }

private:
    // RFC 5322 §3.4 mailbox-list / §4.4 obs-mbox-list: elements separated
    // by ",", empty elements allowed (obsolete syntax).
    bool list() {
        while (true) {
            if (!lx_.skip_cfws()) return false;
            if (lx_.at_end()) return true;
            if (lx_.consume(',')) continue;
            if (!element(false)) return false;
            if (!lx_.skip_cfws()) return false;
            if (lx_.at_end()) return true;
            if (!lx_.consume(',')) return lx_.fail("expected \",\" between addresses");
        }
    }

    // One mailbox (name-addr or addr-spec) or, outside a group, a group.
    bool element(bool in_group) {
        std::vector<Token> words;
        if (!tokens(words)) return false;
        char c = lx_.peek();
        if (c == '<') {  // RFC 5322 §3.4 name-addr = [display-name] angle-addr
            if (!words.empty() && words.front().dot) return lx_.fail("display name starts with \".\"");
            return angle_addr(display_name(words));
        }
        if (c == ':') {  // RFC 5322 §3.4 group = display-name ":" [group-list] ";"
            if (in_group) return lx_.fail("group inside a group");
            if (words.empty()) return lx_.fail("group without a name");
            lx_.advance();
            return group_members();
        }
        if (c == '@') {  // RFC 5322 §3.4.1 addr-spec = local-part "@" domain
            Mailbox m;
            if (!local_part(words, m.local_part)) return false;
            lx_.advance();
            if (!domain(m.domain)) return false;
            return add(std::move(m));
        }
        if (words.empty()) return lx_.fail("expected an address");
        return lx_.fail("address without \"@domain\"");
    }

    // group-list = mailbox-list / CFWS / obs-group-list, up to ";".
    bool group_members() {
        while (true) {
            if (!lx_.skip_cfws()) return false;
            if (lx_.consume(';')) return true;
            if (lx_.consume(',')) continue;
            if (lx_.at_end()) return lx_.fail("group not closed with \";\"");
            if (!element(true)) return false;
            if (!lx_.skip_cfws()) return false;
            if (lx_.consume(';')) return true;
            if (lx_.at_end()) return lx_.fail("group not closed with \";\"");
            if (!lx_.consume(',')) return lx_.fail("expected \",\" or \";\" in a group");
        }
    }

    // RFC 5322 §3.4 angle-addr = [CFWS] "<" addr-spec ">" [CFWS], and
    // §4.4 obs-angle-addr with an obs-route ("@a,@b:") that is ignored.
    bool angle_addr(std::string display) {
        lx_.advance();  // "<"
        if (!lx_.skip_cfws()) return false;
        if (lx_.peek() == '@' || lx_.peek() == ',') {
            if (!obs_route()) return false;
        }
        if (lx_.peek() == '>') return lx_.fail("empty address <>");
        Mailbox m;
        m.display_name = std::move(display);
        std::vector<Token> words;
        if (!tokens(words)) return false;
        if (lx_.peek() != '@') return lx_.fail("address without \"@domain\"");
        if (!local_part(words, m.local_part)) return false;
        lx_.advance();
        if (!domain(m.domain)) return false;
        if (!lx_.skip_cfws()) return false;
        if (!lx_.consume('>')) return lx_.fail("expected \">\"");
        return add(std::move(m));
    }

    // RFC 5322 §4.4 obs-route = obs-domain-list ":";
    // obs-domain-list = *(CFWS / ",") "@" domain *("," [CFWS] ["@" domain])
    bool obs_route() {
        bool any = false;
        while (true) {
            if (!lx_.skip_cfws()) return false;
            if (lx_.consume(',')) continue;
            if (!lx_.consume('@')) break;
            std::string ignored;
            if (!domain(ignored)) return false;
            any = true;
        }
        if (!any || !lx_.consume(':')) return lx_.fail("malformed route in angle address");
        return lx_.skip_cfws();
    }

    // Words and dots with the CFWS between them (phrase, local-part).
    bool tokens(std::vector<Token>& out) {
        while (true) {
            bool skipped = false;
            if (!lx_.skip_cfws(skipped)) return false;
            Token t;
            t.space_before = skipped;
            char c = lx_.peek();
            if (lx_.at_end()) return true;
            if (c == '"') {
                t.quoted = true;
                if (!lx_.quoted_string(t.text)) return false;
            } else if (c == '.') {
                lx_.advance();
                t.dot = true;
                t.text = ".";
            } else if (is_atext(c)) {
                t.text = std::string(lx_.atext_run());
            } else {
                return true;
            }
            out.push_back(std::move(t));
        }
    }

    // RFC 5322 §3.4.1 local-part = dot-atom / quoted-string /
    // obs-local-part (§4.4: word *("." word)).
    bool local_part(const std::vector<Token>& words, std::string& out) {
        if (words.empty()) return lx_.fail("empty local part");
        for (std::size_t i = 0; i < words.size(); ++i) {
            bool want_word = i % 2 == 0;
            if (words[i].dot == want_word) return lx_.fail("malformed local part");
            out += words[i].text;
        }
        if (words.back().dot) return lx_.fail("local part ends with \".\"");
        return true;
    }

    // RFC 5322 §3.4.1 domain = dot-atom / domain-literal / obs-domain
    // (§4.4: atom *("." atom), CFWS allowed around each atom).
    bool domain(std::string& out) {
        if (!lx_.skip_cfws()) return false;
        if (lx_.peek() == '[')  // RFC 5322 §3.4.1 domain-literal: no DNS name, no DMARC policy
            return lx_.fail("domain literal is not a DNS domain");
        std::string text;
        while (true) {
            auto atom = lx_.atext_run();
            if (atom.empty()) return lx_.fail(text.empty() ? "empty domain" : "empty domain label");
            text += atom;
            if (!lx_.skip_cfws()) return false;
            if (!lx_.consume('.')) break;
            text += '.';
            if (!lx_.skip_cfws()) return false;
        }
        auto parsed = domain::parse(text);
        if (!parsed) return lx_.fail("invalid domain \"" + text + "\": " + parsed.error);
        out = parsed.name->ascii;
        return true;
    }

    bool add(Mailbox m) {
        if (mailboxes_.size() >= kMaxMailboxes) return lx_.fail("too many mailboxes");
        mailboxes_.push_back(std::move(m));
        return true;
    }

    Lexer lx_;
    std::vector<Mailbox> mailboxes_;
};

}  // namespace

FromParse parse_from(std::string_view value) {
    if (value.size() > kMaxFromHeader) {
        FromParse out;
        out.error = "From header longer than " + std::to_string(kMaxFromHeader) + " octets";
        return out;
    }
    return Parser(trim_line_end(value)).run();
}

}  // namespace mail
