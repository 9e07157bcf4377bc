// lexer: RFC 5322 §3.2 tokens; see lexer.h.
#include "mail/lexer.h"

#include <cstring>

namespace mail {

bool is_wsp(char c) { return c == ' ' || c == '\t'; }

bool is_atext(char c) {
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x80) return true;  // RFC 6532 §3.2
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    return c != '\0' && std::strchr("!#$%&'*+-/=?^_`{|}~", c) != nullptr;  // RFC 5322 §3.2.3
}

bool is_ldh(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

std::string_view trim_line_end(std::string_view value) {
    if (!value.empty() && value.back() == '\n') value.remove_suffix(1);
    if (!value.empty() && value.back() == '\r') value.remove_suffix(1);
    return value;
}

bool Lexer::consume(char c) {
    if (peek() != c || at_end()) return false;
    ++pos_;
    return true;
}

bool Lexer::fail(std::string message) {
    if (error_.empty()) error_ = std::move(message) + " at offset " + std::to_string(pos_);
    return false;
}

// RFC 5322 §3.2.2: FWS = ([*WSP CRLF] 1*WSP) / obs-FWS; a line break must be
// followed by WSP, otherwise the header field would have ended there.
bool Lexer::fold() {
    if (peek() == '\r') ++pos_;
    if (peek() != '\n') return fail("bare CR");
    ++pos_;
    if (!is_wsp(peek())) return fail("line break not followed by white space");
    return true;
}

// RFC 5322 §3.2.2: comment = "(" *([FWS] ccontent) [FWS] ")", ccontent =
// ctext / quoted-pair / comment. Iterative, with a depth counter.
bool Lexer::comment() {
    int depth = 0;
    while (!at_end()) {
        char c = in_[pos_];
        if (c == '(') {
            if (++depth > kMaxCommentDepth) return fail("comments nested too deeply");
            ++pos_;
        } else if (c == ')') {
            ++pos_;
            if (--depth == 0) return true;
        } else if (c == '\\') {  // RFC 5322 §3.2.1 quoted-pair
            ++pos_;
            if (at_end()) break;
            ++pos_;
        } else if (c == '\r' || c == '\n') {
            if (!fold()) return false;
        } else {
            ++pos_;
        }
    }
    return fail("unterminated comment");
}

bool Lexer::skip_cfws() {
    bool skipped = false;
    return skip_cfws(skipped);
}

bool Lexer::skip_cfws(bool& skipped) {
    std::string ignored;
    return skip_cfws_keeping_comment(skipped, ignored);
}

bool Lexer::skip_cfws_keeping_comment(bool& skipped, std::string& first_comment) {
    std::size_t start = pos_;
    bool have_comment = false;
    while (!at_end()) {
        char c = in_[pos_];
        if (is_wsp(c)) {
            ++pos_;
        } else if (c == '\r' || c == '\n') {
            if (!fold()) return false;
        } else if (c == '(') {
            std::size_t open = pos_;
            if (!comment()) return false;
            if (!have_comment) first_comment = std::string(in_.substr(open + 1, pos_ - open - 2));
            have_comment = true;
        } else {
            break;
        }
    }
    skipped = pos_ != start;
    return true;
}

// RFC 5322 §3.2.4: quoted-string = [CFWS] DQUOTE *([FWS] qcontent) [FWS]
// DQUOTE [CFWS]; the caller skips the CFWS. A fold's line break is removed
// (unfolding, RFC 5322 §2.2.3), its white space kept.
bool Lexer::quoted_string(std::string& out) {
    ++pos_;  // the opening DQUOTE
    while (!at_end()) {
        char c = in_[pos_];
        if (c == '"') {
            ++pos_;
            return true;
        }
        if (c == '\\') {  // RFC 5322 §3.2.1 quoted-pair
            ++pos_;
            if (at_end()) break;
            out += in_[pos_++];
        } else if (c == '\r' || c == '\n') {
            if (!fold()) return false;
        } else {
            out += c;
            ++pos_;
        }
    }
    return fail("unterminated quoted string");
}

std::string_view Lexer::atext_run() { return run(is_atext); }

}  // namespace mail
