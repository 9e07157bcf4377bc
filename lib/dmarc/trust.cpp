// trust: the RFC 8601 §5 trust rule and the choice of SPF and DKIM
// identities; see trust.h.
#include "dmarc/trust.h"

#include <unistd.h>

#include <algorithm>

#include "domain.h"
#include "mail/authres.h"
#include "mail/received_spf.h"

namespace dmarc {

namespace {

bool null_sender(const MessageFacts& facts) {
    return facts.envelope_from.empty() || facts.envelope_from == "<>";
}

bool contains_ci(const std::vector<std::string>& list, std::string_view id) {
    return std::any_of(list.begin(), list.end(), [&](const std::string& item) { return domain::iequals(item, id); });
}

void collect(const mail::AuthResult& r, bool null, TrustedResults& out) {
    if (r.method == "spf") {
        if (out.spf.size() >= kMaxTrustedResults) return;
        std::string mfrom = identity_domain(r.prop("smtp.mailfrom").value_or(""));
        if (!null) {
            if (!mfrom.empty()) out.spf.push_back({"spf", r.result, mfrom, "mfrom", ""});
            return;
        }
        // RFC 7489 §4.1: with a null reverse-path the SPF identity is HELO.
        std::string helo = identity_domain(r.prop("smtp.helo").value_or(""));
        if (helo.empty()) helo = mfrom;
        if (!helo.empty()) out.spf.push_back({"spf", r.result, helo, "helo", ""});
    } else if (r.method == "dkim") {
        if (out.dkim.size() >= kMaxTrustedResults) return;
        // RFC 6376 §3.5: i= is within d=; its domain is the fallback.
        std::string d = identity_domain(r.prop("header.d").value_or(""));
        if (d.empty()) d = identity_domain(r.prop("header.i").value_or(""));
        if (!d.empty()) out.dkim.push_back({"dkim", r.result, d, "", r.prop("header.s").value_or("")});
    }
}

// The topmost Received-SPF under the rules in trust.h.
void received_spf(const MessageFacts& facts, const config::Config& config, TrustedResults& out) {
    if (facts.received_spf.empty()) return;
    auto parsed = mail::parse_received_spf(facts.received_spf.front());
    if (!parsed.header) return;
    const mail::ReceivedSpf& h = *parsed.header;
    bool trusted = !h.receiver.empty() &&
                   (contains_ci(config.list("trusted_authserv_ids"), h.receiver) ||
                    domain::iequals(h.receiver, own_authserv_id(config)));
    if (!trusted) return;
    if (!h.client_ip.empty() && !facts.client_ip.empty() && h.client_ip != facts.client_ip) return;
    bool null = null_sender(facts);
    std::string envelope = identity_domain(facts.envelope_from);
    std::string claimed = identity_domain(h.envelope_from);
    if (!null) {
        if (!h.identity.empty() && h.identity != "mailfrom") return;
        if (!claimed.empty() && claimed != envelope) return;
        if (!envelope.empty()) out.spf.push_back({"spf", h.result, envelope, "mfrom", ""});
    } else {
        std::string helo = identity_domain(h.helo);
        if (!helo.empty()) out.spf.push_back({"spf", h.result, helo, "helo", ""});
    }
    out.from_received_spf = !out.spf.empty();
}

}  // namespace

std::string own_authserv_id(const config::Config& config) {
    const std::string& configured = config.str("authserv_id");
    if (!configured.empty()) return configured;
    // Asked for every Authentication-Results header of every message: the
    // host name is read once per process, not by a system call each time.
    static const std::string host = [] {
        char name[256] = {};
        return gethostname(name, sizeof name - 1) == 0 && name[0] ? std::string(name) : std::string("localhost");
    }();
    return host;
}

bool trusted_authserv_id(std::string_view id, std::string_view queue_id, const config::Config& config) {
    if (id.empty()) return false;
    if (contains_ci(config.list("trusted_authserv_ids"), id)) return true;
    // Our own id counts only bound to this queue id; a bare own id arrived
    // with the message (RFC 8601 §5) and the milter deletes it.
    if (queue_id.empty()) return false;
    std::string own = own_authserv_id(config);
    // The authserv-id without case (a domain-like token, RFC 8601 §2.5), the
    // queue id exactly: Postfix's long queue ids use both cases, so a
    // case-blind comparison would leave a forger far fewer ids to guess.
    return id.size() == own.size() + 1 + queue_id.size() && domain::iequals(id.substr(0, own.size()), own) &&
           id[own.size()] == '/' && id.substr(own.size() + 1) == queue_id;
}

bool forged_own_header(std::string_view header_value, std::string_view queue_id, const config::Config& config) {
    auto parsed = mail::parse_authentication_results(header_value);
    std::string id;
    if (parsed.header) {
        id = parsed.header->authserv_id;
    } else {
        std::string_view v = header_value;
        while (!v.empty() && (v.front() == ' ' || v.front() == '\t' || v.front() == '\r' || v.front() == '\n'))
            v.remove_prefix(1);
        id = std::string(v.substr(0, v.find_first_of(" \t\r\n;(")));
    }
    return claims_own_id(id, own_authserv_id(config), queue_id);
}

bool names_own_id(std::string_view id, std::string_view own) {
    if (own.empty() || id.size() < own.size()) return false;
    if (!domain::iequals(id.substr(0, own.size()), own)) return false;
    return id.size() == own.size() || id[own.size()] == '/';  // not a different id that shares a prefix
}

bool claims_own_id(std::string_view id, std::string_view own, std::string_view queue_id) {
    if (!names_own_id(id, own)) return false;
    if (id.size() == own.size()) return true;  // unbound: arrived with the message
    // Bound to another queue id, compared exactly as trusted_authserv_id does.
    return queue_id.empty() || id.substr(own.size() + 1) != queue_id;
}

std::string identity_domain(std::string_view identity) {
    std::string_view s = identity;
    while (!s.empty() && (s.front() == '<' || s.front() == ' ')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == '>' || s.back() == ' ')) s.remove_suffix(1);
    if (auto at = s.rfind('@'); at != std::string_view::npos) s.remove_prefix(at + 1);
    if (s.empty()) return "";
    auto parsed = domain::parse(s);
    return parsed ? std::move(parsed.name->ascii) : "";
}

TrustedResults trusted_results(const MessageFacts& facts, const config::Config& config) {
    TrustedResults out;
    bool null = null_sender(facts);
    std::string own = own_authserv_id(config);
    std::vector<mail::AuthResults> headers;
    std::size_t guesses = 0;
    for (const auto& value : facts.authentication_results) {
        auto parsed = mail::parse_authentication_results(value);
        if (!parsed.header) continue;
        const std::string& id = parsed.header->authserv_id;
        // Bound to another queue id (a bare own id guesses nothing).
        if (id.size() > own.size() && claims_own_id(id, own, facts.queue_id)) ++guesses;
        if (trusted_authserv_id(id, facts.queue_id, config)) headers.push_back(std::move(*parsed.header));
    }
    out.own_results_ignored = guesses > kMaxQueueIdGuesses;
    for (const auto& h : headers) {
        if (out.own_results_ignored && names_own_id(h.authserv_id, own)) continue;
        for (const auto& r : h.results) collect(r, null, out);
        if (out.spf.size() >= kMaxTrustedResults && out.dkim.size() >= kMaxTrustedResults) break;
    }
    if (out.spf.empty()) received_spf(facts, config, out);
    return out;
}

}  // namespace dmarc
