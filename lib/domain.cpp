// domain: see domain.h.
#include "domain.h"

#include <arpa/inet.h>
#include <idn2.h>

#include <algorithm>
#include <memory>

namespace domain {
namespace {

constexpr std::size_t kMaxAddressText = 45;  // INET6_ADDRSTRLEN without the NUL

bool is_ldh(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

std::optional<std::string> check_ascii_name(std::string_view name, const ParseOptions& options) {
    if (name.empty()) return "empty domain name";
    if (name.size() > kMaxName) return "domain name longer than 253 octets";  // RFC 1035 §2.3.4
    std::size_t count = 0;
    std::string_view tld;
    // Label by label without building a list: this runs for every name of every message.
    for (std::size_t start = 0; start <= name.size(); ++count) {
        std::size_t dot = std::min(name.find('.', start), name.size());
        std::string_view label = name.substr(start, dot - start);
        start = dot + 1;
        tld = label;
        if (label.empty()) return "empty label";
        if (label.size() > kMaxLabel) return "label longer than 63 octets";  // RFC 1035 §2.3.4
        for (std::size_t i = 0; i < label.size(); ++i) {
            char c = label[i];
            if (c == '_' && options.allow_underscore) continue;
            if (!is_ldh(c))
                return "invalid character '" + std::string(1, c) + "' in label \"" +
                       std::string(label) + "\"";
        }
        // RFC 5890 §2.3.1 (LDH label): no hyphen at either end.
        if (label.front() == '-' || label.back() == '-')
            return "label \"" + std::string(label) + "\" starts or ends with a hyphen";
    }
    if (count == 1 && !options.allow_single_label) return "single-label name";
    bool numeric_tld = true;
    for (char c : tld) numeric_tld = numeric_tld && c >= '0' && c <= '9';
    // A name whose last label is all digits would read as an IP address.
    if (numeric_tld) return "top-level label is all digits";
    return std::nullopt;
}

struct FreeDeleter {
    void operator()(char* p) const { idn2_free(p); }
};

}  // namespace

std::string lower(std::string_view s) {
    std::string out;
    append_lower(out, s);
    return out;
}

void append_lower(std::string& out, std::string_view s) {
    std::size_t at = out.size();
    out.append(s);
    for (std::size_t i = at; i < out.size(); ++i)
        if (out[i] >= 'A' && out[i] <= 'Z') out[i] = static_cast<char>(out[i] - 'A' + 'a');
}

bool iequals(std::string_view a, std::string_view b) {
    auto fold = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (fold(a[i]) != fold(b[i])) return false;
    return true;
}

std::vector<std::string_view> labels(std::string_view name) {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    while (true) {
        auto dot = name.find('.', start);
        out.push_back(name.substr(start, dot == std::string_view::npos ? dot : dot - start));
        if (dot == std::string_view::npos) break;
        start = dot + 1;
    }
    return out;
}

std::string_view parent(std::string_view name) {
    auto dot = name.find('.');
    return dot == std::string_view::npos ? std::string_view() : name.substr(dot + 1);
}

bool is_ip_literal(std::string_view input) {
    std::string_view s = input;
    if (s.size() >= 2 && s.front() == '[' && s.back() == ']') {
        s = s.substr(1, s.size() - 2);
        // RFC 5321 §4.1.3: IPv6 address literals carry the "IPv6:" tag.
        if (s.size() > 5 && lower(s.substr(0, 5)) == "ipv6:") s.remove_prefix(5);
    }
    if (s.empty() || s.size() > kMaxAddressText) return false;
    // A domain name is no address: IPv6 text has a colon, IPv4 text
    // (inet_pton's dotted decimal) only digits and dots.
    bool colon = s.find(':') != std::string_view::npos;
    if (!colon && s.find_first_not_of("0123456789.") != std::string_view::npos) return false;
    char text[kMaxAddressText + 1] = {};
    s.copy(text, s.size());
    unsigned char buf[16];
    return colon ? inet_pton(AF_INET6, text, buf) == 1 : inet_pton(AF_INET, text, buf) == 1;
}

ParseResult parse(std::string_view input, ParseOptions options) {
    ParseResult r;
    if (input.size() > 1024) {
        r.error = "domain name too long";
        return r;
    }
    if (!input.empty() && input.back() == '.') input.remove_suffix(1);
    if (is_ip_literal(input)) {
        r.error = "IP address literal, not a domain name";
        return r;
    }
    bool ascii = true;
    for (char c : input) ascii = ascii && static_cast<unsigned char>(c) < 0x80;
    std::string a_name;
    if (ascii) {
        a_name = lower(input);
    } else {
        char* out = nullptr;
        // RFC 5891 via UTS#46 mapping: lowercases and converts U-labels.
        int rc = idn2_to_ascii_8z(std::string(input).c_str(), &out,
                                  IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT);
        std::unique_ptr<char, FreeDeleter> guard(out);
        if (rc != IDN2_OK) {
            r.error = std::string("invalid internationalized name: ") + idn2_strerror(rc);
            return r;
        }
        a_name = lower(out);
    }
    if (auto err = check_ascii_name(a_name, options)) {
        r.error = *err;
        return r;
    }
    Name name{a_name, a_name};
    if (a_name.find("xn--") != std::string::npos) {
        char* out = nullptr;
        int rc = idn2_to_unicode_8z8z(a_name.c_str(), &out, 0);
        std::unique_ptr<char, FreeDeleter> guard(out);
        if (rc != IDN2_OK) {
            // RFC 5891 §5.4: an A-label must decode to a valid U-label.
            r.error = std::string("invalid A-label: ") + idn2_strerror(rc);
            return r;
        }
        name.unicode = out;
        // RFC 5891 §5.4: the U-label must convert back to the same A-label.
        char* back = nullptr;
        rc = idn2_to_ascii_8z(name.unicode.c_str(), &back, IDN2_NONTRANSITIONAL);
        std::unique_ptr<char, FreeDeleter> back_guard(back);
        if (rc != IDN2_OK || lower(back) != a_name) {
            r.error = "invalid A-label: does not round-trip through its U-label";
            return r;
        }
    }
    r.name = std::move(name);
    return r;
}

}  // namespace domain
