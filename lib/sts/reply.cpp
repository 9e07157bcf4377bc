// reply: socketmap request classification and MTA-STS reply text (reply.h).
#include "sts/reply.h"

#include <vector>

#include "domain.h"

namespace sts {
namespace {

bool is_ldh(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

// Lowercase LDH labels separated by single dots, no empty label.
bool safe_host(std::string_view name) {
    if (name.empty() || name.size() > domain::kMaxName) return false;
    bool label_start = true;
    for (char c : name) {
        if (c == '.') {
            if (label_start) return false;
            label_start = true;
        } else if (is_ldh(c)) {
            label_start = false;
        } else {
            return false;
        }
    }
    return !label_start;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

// The policy's lines as published, or rebuilt from the parsed fields.
std::vector<std::string> policy_lines(const Policy& policy, std::string_view text) {
    std::vector<std::string> lines;
    if (!text.empty()) {
        while (!text.empty()) {
            std::size_t nl = text.find('\n');
            std::string_view line = trim(text.substr(0, nl));
            if (!line.empty()) lines.emplace_back(line);
            text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
        }
        return lines;
    }
    lines.push_back("version: " + policy.version);
    lines.push_back("mode: " + std::string(mode_name(policy.mode)));
    for (const auto& mx : policy.mx) lines.push_back("mx: " + mx);
    lines.push_back("max_age: " + std::to_string(policy.max_age));
    for (const auto& [key, value] : policy.extensions) lines.push_back(key + ": " + value);
    return lines;
}

}  // namespace

std::optional<SocketmapRequest> split_request(std::string_view payload) {
    std::size_t space = payload.find(' ');
    if (space == 0 || space == std::string_view::npos || space + 1 == payload.size()) return std::nullopt;
    return SocketmapRequest{payload.substr(0, space), payload.substr(space + 1)};
}

std::string_view key_kind_name(KeyKind kind) {
    switch (kind) {
    case KeyKind::Domain: return "domain";
    case KeyKind::ParentProbe: return "parent-probe";
    case KeyKind::NextHop: return "next-hop";
    case KeyKind::IpLiteral: return "ip-literal";
    case KeyKind::NotADomain: return "not-a-domain";
    }
    return "not-a-domain";
}

Key classify_key(std::string_view key) {
    Key out;
    if (!key.empty() && key.front() == '.') {
        // Postfix asks ".parent.example" after NOTFOUND for "d.parent.example";
        // an MTA-STS policy covers exactly its own domain (RFC 8461 §4.1).
        out.kind = KeyKind::ParentProbe;
        return out;
    }
    if (domain::is_ip_literal(key)) {
        out.kind = KeyKind::IpLiteral;
        return out;
    }
    if (!key.empty() && (key.front() == '[' || key.find(':') != std::string_view::npos)) {
        // An explicit next hop bypasses the MX lookup MTA-STS protects (RFC 8461 §4).
        out.kind = KeyKind::NextHop;
        return out;
    }
    auto parsed = domain::parse(key);
    if (!parsed) {
        out.error = parsed.error;
        return out;
    }
    out.kind = KeyKind::Domain;
    out.domain = parsed.name->ascii;
    return out;
}

bool safe_mx_pattern(std::string_view pattern) {
    if (pattern.starts_with("*.")) pattern.remove_prefix(2);
    return safe_host(pattern);
}

bool safe_policy_string(std::string_view line) {
    if (line.empty()) return false;
    for (char c : line) {
        auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f || c == '{' || c == '}' || c == '=') return false;
    }
    return true;
}

std::string policy_reply(const std::optional<Policy>& policy, std::string_view policy_text,
                         std::string_view domain, const ReplyOptions& options) {
    // RFC 8461 §5: only "enforce" changes delivery; testing/none deliver as usual.
    if (!policy || policy->mode != Mode::Enforce) return std::string(kReplyNotFound);
    std::string match;
    std::string patterns;
    for (const auto& mx : policy->mx) {
        if (!safe_mx_pattern(mx)) continue;
        if (!match.empty()) match += ':';
        // RFC 8461 §4.1 "*.example.net" is Postfix's ".example.net".
        match += mx.starts_with("*.") ? std::string_view(mx).substr(1) : std::string_view(mx);
        patterns += " mx_host_pattern=" + mx;
    }
    if (match.empty()) return std::string(kReplyNotFound);  // no usable pattern: not a valid policy
    std::string reply = "OK secure match=" + match + " servername=hostname";
    auto fits = [](std::size_t size) { return size <= kMaxReplySize; };
    if (!fits(reply.size())) return std::string(kReplyNotFound);
    if (!options.tlsrpt_attributes || !safe_host(domain)) return reply;

    std::string attributes = " policy_type=sts policy_domain=" + std::string(domain) + patterns;
    std::string strings;
    for (const auto& line : policy_lines(*policy, policy_text))
        if (safe_policy_string(line)) strings += " { policy_string = " + line + " }";
    if (fits(reply.size() + attributes.size() + strings.size())) return reply + attributes + strings;
    if (fits(reply.size() + attributes.size())) return reply + attributes;
    return reply;
}

std::string_view cache_state_name(CacheState state) {
    switch (state) {
    case CacheState::Fresh: return "fresh";
    case CacheState::Backoff: return "backoff";
    case CacheState::Miss: return "miss";
    }
    return "miss";
}

std::string no_policy_reply(FetchFailure failure, std::string_view domain, const ReplyOptions& options) {
    // RFC 8461 §3.3: without a valid policy, deliver as if there were none;
    // sts_policy_failure instead has Postfix >= 3.10 fail the policy
    // (TLSRPT_README: "forces MTA-STS policy enforcement to fail").
    if (!options.policy_failure || failure == FetchFailure::None || !safe_host(domain))
        return std::string(kReplyNotFound);
    return "OK secure policy_type=sts policy_domain=" + std::string(domain) +
           " policy_failure=" + std::string(failure_name(failure));
}

std::string cached_reply(const Lookup& lookup, std::string_view domain, const ReplyOptions& options) {
    if (lookup.state == CacheState::Backoff) return no_policy_reply(lookup.policy_failure, domain, options);
    if (lookup.state != CacheState::Fresh) return std::string(kReplyNotFound);
    return policy_reply(lookup.policy, lookup.policy_text, domain, options);
}

std::string result_reply(const GetResult& result, std::string_view domain, const ReplyOptions& options) {
    if (!result.policy) return no_policy_reply(result.policy_failure, domain, options);
    return policy_reply(result.policy, result.policy_text, domain, options);
}

}  // namespace sts
