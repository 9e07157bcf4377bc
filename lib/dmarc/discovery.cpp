// discovery: DMARC policy discovery and organizational domains; see
// discovery.h for the rules.
#include "dmarc/discovery.h"

#include <algorithm>
#include <memory>

#include "domain.h"

namespace dmarc {
namespace {

constexpr std::string_view kPrefix = "_dmarc.";

// What one name holds (RFC 7489 §6.6.3 steps 1-2, RFC 9989 §4.10 steps 1-2).
// The record is not copied: it stays in the (possibly cached) parsed answer.
struct AtName {
    enum Kind { Nothing, One, Several, Broken, DnsFailure } kind = Nothing;
    std::string name;  // "_dmarc.<domain>"
    std::shared_ptr<const ParsedTxt> answer;
    std::size_t index = 0;  // of the first DMARC record in answer (One, Several, Broken)
    bool authentic = false;
    std::string error;

    const std::string& txt() const { return answer->answer.texts[index]; }
    const RecordParse& parsed() const { return answer->records[index]; }
};

AtName records_at(std::string_view domain, dns::Resolver& resolver) {
    AtName at;
    at.name = std::string(kPrefix) + std::string(domain);
    // RFC 1035 §2.3.4: a name the DNS cannot carry holds no record.
    if (at.name.size() > domain::kMaxName) return at;
    at.answer = query_txt(resolver, at.name);
    const dns::Answer& answer = at.answer->answer;
    at.authentic = answer.authentic;
    if (answer.temporary()) {
        at.kind = AtName::DnsFailure;
        at.error = "DNS " + std::string(dns::status_name(answer.status)) + " for " + at.name + " TXT" +
                   (answer.error.empty() ? "" : ": " + answer.error);
        return at;
    }
    int count = 0;
    for (std::size_t i = 0; i < answer.texts.size(); ++i) {
        if (!at.answer->records[i].is_dmarc) continue;  // RFC 7489 §6.6.3 step 2: not DMARC, ignored
        if (++count == 1) at.index = i;
    }
    if (count > 1) at.kind = AtName::Several;  // RFC 7489 §6.6.3 step 5, RFC 9989 §4.10 step 2
    else if (count == 1) at.kind = at.parsed().valid ? AtName::One : AtName::Broken;
    return at;
}

// Records what one name gave in the lookup; true when discovery ends here.
bool conclude(Lookup& out, const AtName& at, std::string_view domain) {
    switch (at.kind) {
    case AtName::DnsFailure:
        out.status = LookupStatus::TempError;
        out.error = at.error;
        return true;
    case AtName::Broken:
        out.status = LookupStatus::PermError;
        out.domain = std::string(domain);
        out.txt = at.txt();
        out.error = "invalid DMARC record at " + at.name + ": " + at.parsed().error;
        return true;
    case AtName::One:
        out.status = LookupStatus::Found;
        out.domain = std::string(domain);
        out.txt = at.txt();
        // Shares the parsed answer (an aliasing pointer): no copy of the record.
        out.record = std::shared_ptr<const Record>(at.answer, &*at.parsed().record);
        out.warnings = at.parsed().warnings;
        return true;
    case AtName::Several:
        out.notes.push_back("several DMARC records at " + at.name + ": no policy there");
        return false;
    case AtName::Nothing:
        return false;
    }
    return false;
}

void note_query(Lookup& out, const AtName& at) {
    out.queried.push_back(at.name);
    out.authentic = out.authentic && at.authentic;
}

std::size_t label_count(std::string_view name) {
    return name.empty() ? 0 : static_cast<std::size_t>(std::count(name.begin(), name.end(), '.')) + 1;
}

// The suffix of `name` made of its last `n` labels.
std::string_view last_labels(std::string_view name, std::size_t n) {
    std::size_t have = label_count(name);
    while (have > n) {
        name = domain::parent(name);
        --have;
    }
    return name;
}

Lookup lookup_psl(std::string_view domain, dns::Resolver& resolver, const PublicSuffixList& psl) {
    Lookup out;
    out.authentic = true;
    AtName at = records_at(domain, resolver);
    note_query(out, at);
    if (conclude(out, at, domain)) return out;
    // RFC 7489 §6.6.3 step 5: several records at the author domain end
    // discovery; only an empty set goes on to the organizational domain (step 3).
    if (at.kind == AtName::Several) return out;
    if (!psl.ok()) {
        out.status = LookupStatus::TempError;
        out.error = psl.error();
        return out;
    }
    std::string org = psl.orgdomain(domain);
    if (org != domain) {
        AtName at_org = records_at(org, resolver);
        note_query(out, at_org);
        if (conclude(out, at_org, org)) return out;
    }
    out.status = LookupStatus::None;
    return out;
}

// A DNS tree walk (RFC 9989 §4.10): the names holding one DMARC record,
// longest first. The walk stops at a record with psd=y or psd=n, after the
// single-label name, or at a DNS failure (`error`).
struct Walk {
    struct Found {
        std::string domain;
        AtName at;
        bool has_psd(char v) const { return at.kind == AtName::One && at.parsed().record->psd == v; }
    };
    std::vector<Found> found;
    std::vector<std::string> queried;
    std::vector<std::string> notes;
    bool authentic = true;
    std::string error;
};

Walk tree_walk(std::string_view domain, dns::Resolver& resolver) {
    Walk walk;
    for (const auto& name : walk_names(domain)) {
        AtName at = records_at(name, resolver);
        walk.queried.push_back(at.name);
        walk.authentic = walk.authentic && at.authentic;
        if (at.kind == AtName::DnsFailure) {
            walk.error = at.error;
            break;
        }
        if (at.kind == AtName::Several) walk.notes.push_back("several DMARC records at " + at.name + ": none used");
        if (at.kind != AtName::One && at.kind != AtName::Broken) continue;
        walk.found.push_back({name, std::move(at)});
        // RFC 9989 §4.10: a record with psd=y or psd=n ends the walk.
        if (walk.found.back().has_psd('y') || walk.found.back().has_psd('n')) break;
    }
    return walk;
}

// RFC 9989 §4.10.2: psd=n marks the organizational domain; psd=y marks a
// PSD, whose child toward `domain` is the organizational domain; otherwise
// the record with the fewest labels; otherwise `domain` itself. A broken
// record counts as a record without psd.
std::string select_org(std::string_view domain, const Walk& walk) {
    for (const auto& f : walk.found) {
        if (f.has_psd('n')) return f.domain;
        if (f.has_psd('y') && f.domain != domain) return std::string(last_labels(domain, label_count(f.domain) + 1));
    }
    return walk.found.empty() ? std::string(domain) : walk.found.back().domain;
}

// The organizational domain from a walk already made (RFC 9989 §4.10.2).
OrgDomain org_of_walk(std::string_view domain, const Walk& walk) {
    OrgDomain out;
    out.queries = static_cast<int>(walk.queried.size());
    out.authentic = walk.authentic;
    if (!walk.error.empty()) {
        out.error = walk.error;
        return out;
    }
    out.domain = select_org(domain, walk);
    out.ok = true;
    return out;
}

// RFC 9989 §4.10.1: the record at the author domain; else the one at the
// organizational domain; else the PSD's (a psd=y record ends the walk, so it
// is the last one found).
Lookup lookup_treewalk(std::string_view domain, dns::Resolver& resolver, OrgDomain* org_out) {
    Lookup out;
    Walk walk = tree_walk(domain, resolver);
    // Policy and organizational domain come from the same walk (§4.10.1, §4.10.2).
    if (org_out) *org_out = org_of_walk(domain, walk);
    out.queried = walk.queried;
    out.notes = walk.notes;
    out.authentic = walk.authentic;
    // The author domain's own record holds even when the walk above it failed.
    if (!walk.found.empty() && walk.found.front().domain == domain) {
        conclude(out, walk.found.front().at, domain);
        return out;
    }
    if (!walk.error.empty()) {
        out.status = LookupStatus::TempError;
        out.error = walk.error;
        return out;
    }
    std::string org = select_org(domain, walk);
    for (const auto& f : walk.found)
        if (f.domain == org) {
            conclude(out, f.at, f.domain);
            return out;
        }
    if (!walk.found.empty() && walk.found.back().has_psd('y')) {
        conclude(out, walk.found.back().at, walk.found.back().domain);
        return out;
    }
    out.status = LookupStatus::None;
    return out;
}

OrgDomain orgdomain_treewalk(std::string_view domain, dns::Resolver& resolver) {
    return org_of_walk(domain, tree_walk(domain, resolver));
}

}  // namespace

std::shared_ptr<const ParsedTxt> parse_txt(dns::Answer answer) {
    auto out = std::make_shared<ParsedTxt>();
    out->records.reserve(answer.texts.size());
    for (const auto& text : answer.texts) out->records.push_back(parse_record(text));
    out->answer = std::move(answer);
    return out;
}

std::shared_ptr<const ParsedTxt> query_txt(dns::Resolver& resolver, std::string_view name) {
    if (auto* source = dynamic_cast<TxtRecordSource*>(&resolver)) return source->query_txt(name);
    return parse_txt(resolver.query(name, dns::RrType::TXT));
}

Method discovery_method(const config::Config& config) {
    return config.str("dmarc_discovery") == "psl" ? Method::Psl : Method::TreeWalk;
}

std::string_view method_name(Method m) { return m == Method::Psl ? "public suffix list" : "tree walk"; }

std::string_view lookup_status_name(LookupStatus s) {
    switch (s) {
    case LookupStatus::Found: return "found";
    case LookupStatus::None: return "none";
    case LookupStatus::PermError: return "permerror";
    case LookupStatus::TempError: return "temperror";
    }
    return "none";
}

std::vector<std::string> walk_names(std::string_view domain) {
    std::vector<std::string> names;
    if (domain.empty()) return names;
    names.emplace_back(domain);
    std::size_t n = label_count(domain);
    // RFC 9989 §4.10 step 6: fewer than eight labels: drop the leftmost one;
    // eight or more: drop from the left until seven remain.
    std::string_view next = n >= kWalkJumpLabels + 1 ? last_labels(domain, kWalkJumpLabels) : domain::parent(domain);
    // RFC 9989 §4.10 step 8: go on until the single-label name has been asked.
    for (; !next.empty() && names.size() < kMaxWalkQueries; next = domain::parent(next)) names.emplace_back(next);
    return names;
}

Lookup lookup_policy(std::string_view domain, dns::Resolver& resolver, const config::Config& config,
                     const PublicSuffixList* psl, OrgDomain* org) {
    if (discovery_method(config) == Method::TreeWalk) return lookup_treewalk(domain, resolver, org);
    std::shared_ptr<const PublicSuffixList> loaded;
    if (!psl) psl = (loaded = PublicSuffixList::shared(config)).get();
    if (org) *org = orgdomain(domain, resolver, config, psl);
    return lookup_psl(domain, resolver, *psl);
}

OrgDomain orgdomain(std::string_view domain, dns::Resolver& resolver, const config::Config& config,
                    const PublicSuffixList* psl) {
    if (discovery_method(config) == Method::TreeWalk) return orgdomain_treewalk(domain, resolver);
    std::shared_ptr<const PublicSuffixList> loaded;
    if (!psl) psl = (loaded = PublicSuffixList::shared(config)).get();
    OrgDomain out;
    out.ok = psl->ok();
    if (out.ok) out.domain = psl->orgdomain(domain);
    else out.error = psl->error();
    return out;
}

}  // namespace dmarc
