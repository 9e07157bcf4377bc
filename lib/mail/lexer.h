// lexer: the RFC 5322 §3.2 lexical tokens shared by the header parsers in
// lib/mail (Authentication-Results, From, Received-SPF): folding white space,
// comments (nested, with quoted-pairs), quoted strings and atoms.
//
// RFC 5322 §3.2.2 FWS: a line break counts as white space only when a WSP
// follows it (folding); CRLF and a bare LF (what milters often hand over) are
// both accepted as the line break. An unterminated comment or quoted string
// is an error, never "the rest of the header". UTF-8 octets (RFC 6532 §3.2)
// are accepted in atoms, comments and quoted strings.
// Limits: comment nesting is bounded by kMaxCommentDepth; every function
// advances monotonically, so a scan is linear in the input.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace mail {

inline constexpr int kMaxCommentDepth = 64;

class Lexer {
public:
    explicit Lexer(std::string_view input) : in_(input) {}

    bool at_end() const { return pos_ >= in_.size(); }
    char peek() const { return at_end() ? '\0' : in_[pos_]; }
    std::size_t pos() const { return pos_; }
    void advance() { ++pos_; }
    bool consume(char c);

    // RFC 5322 §3.2.2 CFWS, optional: skips white space, folds and comments.
    // Returns false (error set) on an unterminated comment or a line break
    // that is not a fold.
    bool skip_cfws();
    // As skip_cfws(); `skipped` tells whether anything was skipped.
    bool skip_cfws(bool& skipped);
    // As skip_cfws(); the text of the first comment skipped (between its
    // outer parentheses, as written) goes to `first_comment`.
    bool skip_cfws_keeping_comment(bool& skipped, std::string& first_comment);

    // RFC 5322 §3.2.4 quoted-string at the current position (which must be
    // '"'); `out` receives the content, quoted-pairs resolved, folds removed.
    bool quoted_string(std::string& out);
    // RFC 5322 §3.2.3 atom body: 1*atext (plus UTF-8 octets). Empty when none.
    std::string_view atext_run();
    // A run of octets satisfying `pred`.
    template <typename Pred>
    std::string_view run(Pred pred) {
        std::size_t start = pos_;
        while (!at_end() && pred(in_[pos_])) ++pos_;
        return in_.substr(start, pos_ - start);
    }

    bool fail(std::string message);
    const std::string& error() const { return error_; }

private:
    bool fold();     // at CR or LF: consume a fold or fail
    bool comment();  // at '(': consume a whole (nested) comment

    std::string_view in_;
    std::size_t pos_ = 0;
    std::string error_;
};

bool is_wsp(char c);
// RFC 5322 §3.2.3 atext, plus octets >= 0x80 (RFC 6532 §3.2 UTF8-non-ascii).
bool is_atext(char c);
// RFC 5234 B.1 ALPHA / DIGIT, and "-": the characters of RFC 5321 Ldh-str.
bool is_ldh(char c);
// Strips one trailing line break (CRLF or LF) that some callers leave on a
// header value.
std::string_view trim_line_end(std::string_view value);

}  // namespace mail
