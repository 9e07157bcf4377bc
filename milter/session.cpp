// session: see session.h.
#include "session.h"

#include <algorithm>
#include <cctype>
#include <ctime>

#include "dmarc/trust.h"
#include "domain.h"
#include "log.h"
#include "mail/authres.h"
#include "mail/from.h"
#include "mail/received_spf.h"
#include "report/from_verdict.h"
#include "report/mail.h"

namespace milter {
namespace {

using domain::iequals;

// A reply text that libmilter and SMTP take as it is: printable ASCII without
// '%' (a From parse error may quote whatever the sender wrote), cut to
// kMaxReplyText.
std::string reply_text(std::string_view text) {
    std::string out;
    for (char c : text.substr(0, kMaxReplyText)) {
        auto u = static_cast<unsigned char>(c);
        out += u < 0x20 || u > 0x7e || c == '%' ? '?' : c;
    }
    if (text.size() > kMaxReplyText) out.replace(kMaxReplyText - 3, 3, "...");
    return out;
}

// Cut an oversized value so the parser with this `limit` sees it is too
// long without our keeping all of it.
std::string bounded(std::string_view value, std::size_t limit) {
    return std::string(value.substr(0, std::min(value.size(), limit + 1)));
}

// RFC 5322 §3.2.2: skip white space and (nested) comments.
std::size_t skip_cfws(std::string_view v, std::size_t i) {
    int depth = 0;
    for (; i < v.size(); ++i) {
        char c = v[i];
        if (depth > 0 && c == '\\') {
            ++i;  // quoted-pair inside a comment
        } else if (c == '(') {
            ++depth;
        } else if (c == ')' && depth > 0) {
            --depth;
        } else if (depth == 0 && c != ' ' && c != '\t' && c != '\r' && c != '\n') {
            break;
        }
    }
    return i;
}

std::string join(const std::vector<std::string>& items, char sep = ',') {
    std::string out;
    for (const auto& s : items) {
        if (!out.empty()) out += sep;
        out += s;
    }
    return out;
}

std::string auth_facts(const std::vector<dmarc::AuthFact>& facts) {
    std::vector<std::string> items;
    for (const auto& f : facts) items.push_back(f.result + ":" + f.domain);
    return join(items);
}

}  // namespace

std::string_view strip_angle_brackets(std::string_view address) {
    if (address.size() >= 2 && address.front() == '<' && address.back() == '>')
        address = address.substr(1, address.size() - 2);
    return address;
}

std::string authserv_id_of(std::string_view value) {
    std::size_t i = skip_cfws(value, 0);
    std::string id;
    if (i < value.size() && value[i] == '"') {
        // RFC 5322 §3.2.4 quoted-string
        for (++i; i < value.size() && value[i] != '"'; ++i) {
            if (value[i] == '\\' && i + 1 < value.size()) ++i;
            id += value[i];
        }
    } else {
        // RFC 2045 §5.1 token: up to white space, a comment or ';'
        for (; i < value.size(); ++i) {
            char c = value[i];
            if (c == ';' || c == '(' || c == ' ' || c == '\t' || c == '\r' || c == '\n') break;
            id += c;
        }
    }
    return id;
}

void Session::Message::clear() {
    // clear(), not a fresh Message: the buffers are kept for the next message.
    for (auto* v : {&facts.from_headers, &facts.authentication_results, &facts.received_spf, &rcpt_domains})
        v->clear();
    for (auto* s : {&facts.queue_id, &facts.envelope_from, &facts.helo, &facts.client_ip}) s->clear();
    authres_count = 0;
    own_claims.clear();
    claims_overflow = false;
    from_overflow = false;
    ignored_headers = 0;
    is_report = false;
}

void Session::connect(std::shared_ptr<const Runtime> runtime, std::string client_ip) {
    runtime_ = std::move(runtime);
    client_ip_ = std::move(client_ip);
    message_.clear();
    skip_connection_.clear();
    if (client_ip_.empty() || runtime_->skip_networks.empty()) return;
    auto address = net::parse_address(client_ip_);
    if (address && runtime_->skip_networks.contains(*address)) skip_connection_ = "client in milter_skip_networks";
}

std::string Session::mail(std::string_view envelope_from, std::string_view auth_authen) {
    message_.clear();
    if (!runtime_) return "";  // no connect stage seen: nothing to collect for
    message_.facts.envelope_from = strip_angle_brackets(envelope_from);
    message_.facts.helo = helo_;
    message_.facts.client_ip = client_ip_;
    if (!skip_connection_.empty()) return skip_connection_;
    if (!auth_authen.empty() && runtime_->config->boolean("milter_skip_authenticated"))
        return "authenticated submission";
    return "";
}

void Session::rcpt(std::string_view envelope_to) {
    if (!runtime_) return;
    std::string_view address = strip_angle_brackets(envelope_to);
    auto at = address.rfind('@');
    if (at == std::string_view::npos) return;
    std::string_view domain = address.substr(at + 1);
    auto& domains = message_.rcpt_domains;
    // Compared before copying: most messages repeat one recipient domain.
    if (domains.size() >= kMaxRecipientDomains ||
        std::any_of(domains.begin(), domains.end(), [&](const std::string& d) { return iequals(d, domain); }))
        return;
    domain::append_lower(domains.emplace_back(), domain);
}

void Session::header(std::string_view name, std::string_view value) {
    if (!runtime_) return;  // no connect stage seen (end of message then accepts unevaluated)
    // RFC 5322 §4.5.3 obs-optional: white space before the colon.
    while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
    auto& f = message_.facts;
    if (iequals(name, "From")) {
        if (f.from_headers.size() < kMaxFromHeaders) f.from_headers.push_back(bounded(value, mail::kMaxFromHeader));
        else message_.from_overflow = true;
    } else if (iequals(name, "Authentication-Results")) {
        ++message_.authres_count;
        // Only what names our own id is kept (RFC 8601 §5); whether it is
        // bound to this queue id is known at end of message.
        std::string id = authserv_id_of(value);
        bool ours = dmarc::names_own_id(id, runtime_->authserv_id);
        // Kept for evaluate only when it may be believed (dmarc/trust.h): a
        // trusted id, or ours (bound to the queue id, known at the end).
        int collected = -1;
        if (ours || dmarc::trusted_authserv_id(id, "", *runtime_->config)) {
            auto& kept = f.authentication_results;
            if (kept.size() < kMaxCollectedHeaders) {
                collected = static_cast<int>(kept.size());
                kept.push_back(bounded(value, mail::kMaxAuthResultsHeader));
            } else {
                ++message_.ignored_headers;
            }
        }
        if (!ours) return;
        if (message_.own_claims.size() < kMaxDeletions)
            message_.own_claims.push_back({message_.authres_count, collected, std::move(id)});
        else
            message_.claims_overflow = true;
    } else if (iequals(name, "Received-SPF")) {
        // Only the topmost one is ever used (dmarc/trust.h).
        if (f.received_spf.empty()) f.received_spf.push_back(bounded(value, mail::kMaxReceivedSpfHeader));
    } else if (iequals(name, "Subject")) {
        message_.is_report = message_.is_report || report::is_report_subject(value);  // no reports about reports
    }
}

// One history row per author domain with a policy (report/from_verdict.h).
// The last use of this message's recipient domains: they are moved.
void Session::record_history(const dmarc::Verdict& verdict) {
    if (!runtime_->history) return;
    const auto& facts = message_.facts;
    report::MessageContext message;
    message.time = static_cast<std::int64_t>(std::time(nullptr));
    message.client_ip = facts.client_ip;
    auto at = facts.envelope_from.rfind('@');
    // RFC 9990 IdentifierType: the MAIL FROM domain, the HELO name for a null sender.
    message.envelope_from_domain = at == std::string::npos ? facts.helo : facts.envelope_from.substr(at + 1);
    message.envelope_to_domains = std::move(message_.rcpt_domains);
    message.is_report = message_.is_report;
    for (auto& evaluation : report::evaluations_of(verdict, message)) runtime_->history->record(std::move(evaluation));
}

// A message not evaluated: too many From fields (rejected when failures
// are), or too many forged Authentication-Results to delete (always).
Outcome Session::overflow_outcome(const std::string& queue_id, const std::string& reason,
                                  bool always_reject) const {
    Outcome out;
    const auto& config = *runtime_->config;
    out.add_authres = runtime_->authserv_id + "; dmarc=permerror (" + reason + ")";
    if (always_reject || config.boolean("dmarc_reject_failures")) {
        out.action = dmarc::Action::Reject;
        out.smtp_code = "550";
        out.smtp_xcode = "5.7.1";
        out.smtp_text = reply_text("DMARC: " + reason);
    }
    if (logging::enabled(logging::Level::Info))
        out.log_line = logging::fields({{"queue_id", queue_id},
                                        {"client", client_ip_},
                                        {"status", "permerror"},
                                        {"action", dmarc::action_name(out.action)},
                                        {"reason", reason}});
    return out;
}

// Too many fields claiming our id to delete them all: rejected.
Outcome Session::claims_overflow_outcome() const {
    return overflow_outcome(message_.facts.queue_id,
                            "more than " + std::to_string(kMaxDeletions) +
                                " Authentication-Results header fields claim our authserv-id",
                            true);
}

Outcome Session::skipped_end_of_message(std::string queue_id) {
    message_.facts.queue_id = std::move(queue_id);
    if (message_.claims_overflow) return claims_overflow_outcome();
    Outcome out;
    drop_forged_results(out);
    return out;
}

// RFC 8601 §5: marks for deletion what claims our id, and keeps it out of
// the facts (the believed results stay in place, in order).
void Session::drop_forged_results(Outcome& out) {
    std::vector<int> dropped;  // positions in facts.authentication_results, ascending
    for (const auto& claim : message_.own_claims) {
        if (!dmarc::claims_own_id(claim.id, runtime_->authserv_id, message_.facts.queue_id)) continue;
        out.delete_authres.push_back(claim.index);
        if (claim.collected >= 0) dropped.push_back(claim.collected);
    }
    std::reverse(out.delete_authres.begin(), out.delete_authres.end());
    if (dropped.empty()) return;
    // The rest of the collected values keep their order.
    auto& results = message_.facts.authentication_results;
    std::size_t kept = 0, next = 0;
    for (std::size_t i = 0; i < results.size(); ++i) {
        if (next < dropped.size() && dropped[next] == static_cast<int>(i)) ++next;
        else if (kept++ != i) results[kept - 1].swap(results[i]);
    }
    results.resize(kept);
}

// The one log line of a message (not built when info lines are not logged).
std::string Session::log_line(const dmarc::Verdict& v, const Outcome& out) const {
    if (!logging::enabled(logging::Level::Info)) return "";
    std::vector<std::string> authors;
    std::string_view policy_domain, policy;
    for (const auto& d : v.domains) {
        authors.push_back(d.author_domain);
        if (d.author_domain == v.header_from || policy_domain.empty()) {
            policy_domain = d.policy_domain ? std::string_view(*d.policy_domain) : std::string_view();
            policy = d.requested ? dmarc::policy_name(*d.requested) : std::string_view();
        }
    }
    const auto& facts = message_.facts;
    std::string from = authors.empty() ? v.header_from : join(authors);
    std::string spf = auth_facts(v.spf), dkim = auth_facts(v.dkim);
    std::string deleted = std::to_string(out.delete_authres.size());
    std::string ignored = std::to_string(message_.ignored_headers);
    return logging::fields({{"queue_id", facts.queue_id},
                            {"client", facts.client_ip},
                            {"from", from},
                            {"status", dmarc::status_name(v.status)},
                            {"policy_domain", policy_domain},
                            {"policy", policy},
                            {"action", dmarc::action_name(v.action)},
                            {"spf", spf},
                            {"dkim", dkim},
                            {"forged_authres_deleted", deleted},
                            {"headers_ignored", ignored},
                            {"reason", v.reason}});
}

Outcome Session::end_of_message(std::string queue_id, const Evaluator& evaluate) {
    message_.facts.queue_id = std::move(queue_id);
    if (message_.claims_overflow) return claims_overflow_outcome();
    Outcome out = message_.from_overflow
                      ? overflow_outcome(message_.facts.queue_id,
                                         "more than " + std::to_string(kMaxFromHeaders) + " From header fields", false)
                      : Outcome{};
    drop_forged_results(out);
    if (message_.from_overflow) return out;

    dmarc::Verdict v = evaluate(message_.facts);
    out.action = v.action;
    out.smtp_code = std::move(v.smtp_code);
    out.smtp_xcode = std::move(v.smtp_xcode);
    out.smtp_text = std::move(v.smtp_text);
    if (v.action == dmarc::Action::Reject && out.smtp_code.empty()) {
        out.smtp_code = "550";
        out.smtp_xcode = "5.7.1";
        out.smtp_text = "DMARC policy of " + v.header_from + " rejects this message";
    } else if (v.action == dmarc::Action::TempFail && out.smtp_code.empty()) {
        out.smtp_code = "451";
        out.smtp_xcode = "4.7.1";
        out.smtp_text = "DMARC policy of " + v.header_from + " cannot be determined now";
    }
    out.smtp_text = reply_text(out.smtp_text);
    if (v.action == dmarc::Action::Quarantine) out.quarantine_reason = "DMARC quarantine policy of " + v.header_from;
    if (v.action != dmarc::Action::Reject) out.add_authres = std::move(v.header_value);
    out.log_line = log_line(v, out);
    record_history(v);
    return out;
}

}  // namespace milter
