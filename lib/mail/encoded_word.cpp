// encoded_word: RFC 2047 decoding for display names; see encoded_word.h.
#include "mail/encoded_word.h"

#include "domain.h"

namespace mail {

namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int base64_value(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

// RFC 2047 §4.1 (RFC 4648 §4 alphabet); padding optional at the end only.
std::optional<std::string> decode_b(std::string_view text) {
    std::string out;
    unsigned bits = 0;
    int nbits = 0;
    std::size_t i = 0;
    for (; i < text.size() && text[i] != '='; ++i) {
        int v = base64_value(text[i]);
        if (v < 0) return std::nullopt;
        bits = (bits << 6) | static_cast<unsigned>(v);
        nbits += 6;
        if (nbits >= 8) {
            nbits -= 8;
            out += static_cast<char>((bits >> nbits) & 0xff);
        }
    }
    for (; i < text.size(); ++i)
        if (text[i] != '=') return std::nullopt;
    return out;
}

// RFC 2047 §4.2: "_" is a space, "=XX" an octet.
std::optional<std::string> decode_q(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c == '_') {
            out += ' ';
        } else if (c == '=') {
            if (i + 2 >= text.size()) return std::nullopt;
            int hi = hex_value(text[i + 1]), lo = hex_value(text[i + 2]);
            if (hi < 0 || lo < 0) return std::nullopt;
            out += static_cast<char>(hi * 16 + lo);
            i += 2;
        } else {
            out += c;
        }
    }
    return out;
}

std::string latin1_to_utf8(std::string_view s) {
    std::string out;
    for (char c : s) {
        auto u = static_cast<unsigned char>(c);
        if (u < 0x80) {
            out += c;
        } else {
            out += static_cast<char>(0xc0 | (u >> 6));
            out += static_cast<char>(0x80 | (u & 0x3f));
        }
    }
    return out;
}

}  // namespace

bool looks_like_encoded_word(std::string_view w) {
    return w.size() >= 8 && w.substr(0, 2) == "=?" && w.substr(w.size() - 2) == "?=";
}

// RFC 2047 §2: encoded-word = "=?" charset "?" encoding "?" encoded-text "?="
std::optional<std::string> decode_encoded_word(std::string_view w) {
    if (!looks_like_encoded_word(w) || w.size() > kMaxEncodedWord) return std::nullopt;
    std::string_view body = w.substr(2, w.size() - 4);
    auto q1 = body.find('?');
    if (q1 == std::string_view::npos) return std::nullopt;
    auto q2 = body.find('?', q1 + 1);
    if (q2 == std::string_view::npos || q2 != q1 + 2) return std::nullopt;
    std::string charset = domain::lower(body.substr(0, q1));
    if (auto star = charset.find('*'); star != std::string::npos) charset.resize(star);  // RFC 2231 §5
    char encoding = body[q1 + 1];
    std::string_view text = body.substr(q2 + 1);
    if (text.find('?') != std::string_view::npos) return std::nullopt;  // RFC 2047 §2: no "?" inside
    std::optional<std::string> bytes;
    if (encoding == 'B' || encoding == 'b') bytes = decode_b(text);
    else if (encoding == 'Q' || encoding == 'q') bytes = decode_q(text);
    if (!bytes) return std::nullopt;
    if (charset == "utf-8" || charset == "us-ascii") return bytes;
    if (charset == "iso-8859-1" || charset == "latin1") return latin1_to_utf8(*bytes);
    return std::nullopt;
}

}  // namespace mail
