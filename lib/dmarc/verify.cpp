// verify: DMARC for one author domain (RFC 9989 §4.4, §4.7, §4.10; RFC 7489
// §3.1, §6.6). Steps: policy discovery (discovery.h), the organizational
// domain, SPF and DKIM identifier alignment, policy selection (p, sp, np),
// then t=y and pct.
// Choices (documented in mtaguard(1)):
//   - only results named "pass" count (RFC 7489 §4.2); a "temperror" result
//     whose domain would have aligned makes a non-passing message temperror
//     (it might have passed), one that could never align does not matter;
//   - np applies when the policy came from a parent of the author domain and
//     the author domain does not exist: NXDOMAIN for A, then AAAA and MX
//     (RFC 9989 §4.7 np, RFC 8020: NODATA means the name exists); asked only
//     when the message fails and np differs from sp;
//   - t=y asks for the policy one level below the published one (RFC 9989
//     §4.7 t): reject -> quarantine, quarantine -> none, as RFC 7489 §6.6.4
//     does for a message sampled out by pct; `sampled_out` says so, and
//     `testing` tells the two apart;
//   - pct sampling only with dmarc_sampling = yes (RFC 9989 dropped pct).
// Every DNS answer within one call is asked once (a per-call memo), and
// `authentic` is true when every answer used had the AD bit.
#include "dmarc/verify.h"

#include <map>
#include <random>

#include "dmarc/discovery.h"
#include "domain.h"

namespace dmarc {
namespace {

constexpr int kRollRange = 100;  // RFC 7489 §6.6.4: pct is a percentage
// Organizational domains looked up per message, the author's included: a
// bound on the DNS work a message with many DKIM signatures can cause.
constexpr std::size_t kMaxAlignmentWalks = 10;
// Discovery, policy, sampling and result: the parts of an explanation
// besides one per warning and per SPF/DKIM result (a reserve, not a limit).
constexpr std::size_t kTypicalExplanationParts = 6;

// Asks each (name, type) once per verify() call and records whether every
// answer carried the AD bit.
class MemoResolver : public dns::Resolver, public TxtRecordSource {
public:
    explicit MemoResolver(dns::Resolver& inner) : inner_(inner) {}
    dns::Answer query(std::string_view name, dns::RrType type) override {
        auto key = std::make_pair(domain::lower(name), type);
        auto it = memo_.find(key);
        if (it != memo_.end()) return it->second;
        dns::Answer answer = inner_.query(name, type);
        all_authentic_ = all_authentic_ && answer.authentic;
        return memo_.emplace(std::move(key), std::move(answer)).first->second;
    }
    // Discovery's TXT answers, parsed (kept parsed by a caching resolver).
    std::shared_ptr<const ParsedTxt> query_txt(std::string_view name) override {
        std::string key = domain::lower(name);
        auto it = txt_memo_.find(key);
        if (it != txt_memo_.end()) return it->second;
        std::shared_ptr<const ParsedTxt> txt = dmarc::query_txt(inner_, name);
        all_authentic_ = all_authentic_ && txt->answer.authentic;
        return txt_memo_.emplace(std::move(key), std::move(txt)).first->second;
    }
    bool authentic() const { return !(memo_.empty() && txt_memo_.empty()) && all_authentic_; }

private:
    dns::Resolver& inner_;
    std::map<std::pair<std::string, dns::RrType>, dns::Answer> memo_;
    std::map<std::string, std::shared_ptr<const ParsedTxt>> txt_memo_;
    bool all_authentic_ = true;
};

// The state of one verification: DNS, configuration, organizational domains.
class Verification {
public:
    Verification(dns::Resolver& resolver, const config::Config& config) : dns_(resolver), config_(config) {
        if (discovery_method(config) == Method::Psl) psl_ = PublicSuffixList::shared(config);
    }

    MemoResolver& dns() { return dns_; }
    const config::Config& config() const { return config_; }
    const PublicSuffixList* psl() const { return psl_.get(); }

    // The organizational domain of `name`; nullptr once kMaxAlignmentWalks
    // names have been looked up.
    const OrgDomain* org(const std::string& name) {
        auto it = orgs_.find(name);
        if (it == orgs_.end()) {
            if (orgs_.size() >= kMaxAlignmentWalks) return nullptr;
            it = orgs_.emplace(name, orgdomain(name, dns_, config_, psl())).first;
        }
        return &it->second;
    }

    // Policy discovery for the author domain, which also gives its
    // organizational domain (the first of the kMaxAlignmentWalks).
    Lookup lookup(const std::string& author) {
        OrgDomain org;
        Lookup lk = lookup_policy(author, dns_, config_, psl(), &org);
        orgs_.emplace(author, std::move(org));
        return lk;
    }

private:
    MemoResolver dns_;
    const config::Config& config_;
    std::map<std::string, OrgDomain> orgs_;
    std::shared_ptr<const PublicSuffixList> psl_;
};

enum class Match { Aligned, NotAligned, TempError, OverLimit };

// RFC 7489 §3.1.1 / §3.1.2, RFC 9989 §4.4.1 / §4.4.2: strict = the same
// name; relaxed = the same organizational domain. An organizational domain
// is the name itself or one of its parents, so only names at or below the
// author's organizational domain need a walk of their own, and at most
// kMaxAlignmentWalks of them per message (each walk is up to 8 queries).
Match align(Verification& v, const std::string& id, const std::string& author, Alignment mode) {
    if (id.empty()) return Match::NotAligned;
    if (id == author) return Match::Aligned;
    if (mode == Alignment::Strict) return Match::NotAligned;
    const OrgDomain* a = v.org(author);
    if (!a || !a->ok) return Match::TempError;
    if (id != a->domain && !id.ends_with("." + a->domain)) return Match::NotAligned;
    const OrgDomain* b = v.org(id);
    if (!b) return Match::OverLimit;
    if (!b->ok) return Match::TempError;
    return a->domain == b->domain ? Match::Aligned : Match::NotAligned;
}

std::string normalise(std::string_view name) {
    auto parsed = domain::parse(name);
    return parsed ? std::move(parsed.name->ascii) : domain::lower(name);
}

// Alignment of one method's results; explanation pieces appended to `why`.
struct MethodOutcome {
    bool aligned = false;
    bool temperror = false;  // a temperror result that could have aligned, or DNS
};

MethodOutcome check_method(Verification& v, std::string_view method, const std::vector<AuthFact>& facts,
                           const std::string& author, Alignment mode, std::vector<std::string>& why) {
    MethodOutcome out;
    std::string mode_text = mode == Alignment::Strict ? "strict" : "relaxed";
    for (const auto& f : facts) {
        std::string result = domain::lower(f.result);
        std::string id = normalise(f.domain);
        Match m = align(v, id, author, mode);
        std::string subject = std::string(method) + " " + result + " for " + (id.empty() ? "(no domain)" : id);
        // A result that could have made the message pass, had it aligned.
        bool might_pass = result == "pass" || result == "temperror";
        if (m == Match::TempError) {
            out.temperror = out.temperror || might_pass;
            why.push_back(subject + ": organizational domain unknown (DNS failure)");
            continue;
        }
        if (m == Match::OverLimit) {
            why.push_back(subject + ": not aligned (more than " + std::to_string(kMaxAlignmentWalks) +
                          " organizational domains to look up)");
            continue;
        }
        bool aligned = m == Match::Aligned;
        why.push_back(subject + (aligned ? " aligned (" : " not aligned (") + mode_text + ")");
        if (result == "pass" && aligned) out.aligned = true;
        if (result == "temperror" && (aligned || id.empty())) out.temperror = true;
    }
    if (facts.empty()) why.push_back(std::string(method) + ": no result");
    return out;
}

enum class Existence { Exists, Missing, TempError };

// RFC 9989 §4.10 (np), RFC 8020: the author domain does not exist when
// A, AAAA and MX all answer NXDOMAIN.
Existence author_exists(MemoResolver& dns, const std::string& author) {
    for (auto type : {dns::RrType::A, dns::RrType::AAAA, dns::RrType::MX}) {
        dns::Answer a = dns.query(author, type);
        if (a.temporary()) return Existence::TempError;
        if (a.status != dns::Status::NxDomain) return Existence::Exists;
    }
    return Existence::Missing;
}

Policy one_level_lower(Policy p) {
    // RFC 7489 §6.6.4: reject becomes quarantine, quarantine becomes none.
    return p == Policy::Reject ? Policy::Quarantine : Policy::None;
}

int draw_roll() {
    std::random_device device;
    return std::uniform_int_distribution<int>(0, kRollRange - 1)(device);
}

void fail_with(DomainResult& r, Status status, std::string error) {
    r.status = status;
    r.error = std::move(error);
    r.explanation = r.explanation.empty() ? r.error : r.explanation + "; " + r.error;
}

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
    std::string out;
    std::size_t size = 0;
    for (const auto& p : parts) size += p.size() + sep.size();
    out.reserve(size);  // one allocation for the whole text
    for (const auto& p : parts) {
        if (!out.empty()) out += sep;
        out += p;
    }
    return out;
}

// Where the policy came from, for people.
std::string describe_discovery(const Lookup& lk, const std::string& author, const OrgDomain& org, Method method) {
    std::string s = "policy found at _dmarc." + *lk.domain;
    s += *lk.domain == author ? " (the author domain" : " (parent of " + author;
    s += ", " + std::string(method_name(method)) + " " + std::to_string(lk.queried.size()) +
         (lk.queried.size() == 1 ? " query" : " queries") + ")";
    s += org.ok ? "; organizational domain " + org.domain : "; organizational domain unknown (" + org.error + ")";
    for (const auto& n : lk.notes) s += "; " + n;
    return s;
}

// p for the author domain itself; sp for its subdomains; np for subdomains
// that do not exist (RFC 7489 §6.3 sp, RFC 9989 §4.7 np). Returns false on
// a DNS failure of the existence check.
bool select_policy(Verification& v, DomainResult& r, const Record& rec, const std::string& author) {
    if (*r.policy_domain == author) {
        r.policy_tag = "p";
        r.requested = r.applied = rec.p;
        return true;
    }
    r.policy_tag = "sp";
    r.requested = r.applied = rec.sp;
    // Existence matters only when it changes the answer: a failing message
    // and an np that differs from sp (an absent np is sp, RFC 9989 §4.7).
    if (r.status != Status::Fail || !rec.np_explicit || rec.np == rec.sp) return true;
    Existence e = author_exists(v.dns(), author);
    if (e == Existence::TempError) return false;
    if (e == Existence::Missing) {
        r.policy_tag = "np";
        r.requested = r.applied = rec.np;
    }
    return true;
}

// t=y and pct (RFC 9989 §4.7, RFC 7489 §6.6.4).
void apply_sampling(Verification& v, DomainResult& r, const Record& rec, int roll, std::vector<std::string>& why) {
    r.testing = rec.testing;
    r.applied = r.requested;
    if (r.status != Status::Fail || *r.requested == Policy::None) return;
    if (rec.testing) {
        r.sampled_out = true;
        why.push_back("t=y: policy applied one level lower");
    } else if (rec.pct < kRollRange && v.config().boolean("dmarc_sampling")) {
        if (roll < 0 || roll >= kRollRange) roll = draw_roll();
        r.sampled_out = !(roll < rec.pct);  // RFC 7489 §6.6.4: apply when roll < pct
        why.push_back("pct=" + std::to_string(rec.pct) + " roll " + std::to_string(roll) +
                      (r.sampled_out ? ": sampled out, policy applied one level lower" : ": policy applies"));
    }
    if (r.sampled_out) r.applied = one_level_lower(*r.requested);
}

void evaluate_found(Verification& v, DomainResult& r, const Lookup& lk, const std::string& author,
                    const std::vector<AuthFact>& spf, const std::vector<AuthFact>& dkim, int roll) {
    const Record& rec = *lk.record;
    const OrgDomain& org = *v.org(author);  // the first lookup: never over the limit
    r.policy_domain = lk.domain;
    r.record = lk.txt;
    r.parsed_record = lk.record;
    // The organizational domain matters only for relaxed alignment of
    // different names; align() turns its DNS failure into temperror there.
    if (org.ok) r.org_domain = org.domain;
    std::vector<std::string> why;
    why.reserve(kTypicalExplanationParts + lk.warnings.size() + spf.size() + dkim.size());
    why.push_back(describe_discovery(lk, author, org, discovery_method(v.config())));
    for (const auto& w : lk.warnings) why.push_back("record: " + w);
    MethodOutcome s = check_method(v, "SPF", spf, author, rec.aspf, why);
    MethodOutcome d = check_method(v, "DKIM", dkim, author, rec.adkim, why);
    r.aligned_spf = s.aligned;
    r.aligned_dkim = d.aligned;
    // RFC 7489 §4.2: pass when either method passes aligned.
    if (s.aligned || d.aligned) r.status = Status::Pass;
    else if (s.temperror || d.temperror) r.status = Status::TempError;
    else r.status = Status::Fail;
    if (!select_policy(v, r, rec, author)) {
        r.explanation = join(why, "; ");
        return fail_with(r, Status::TempError, "DNS failure checking whether " + author + " exists");
    }
    why.push_back("policy " + *r.policy_tag + "=" + std::string(policy_name(*r.requested)));
    apply_sampling(v, r, rec, roll, why);
    r.reject = r.status == Status::Fail && *r.requested != Policy::None;
    why.push_back("result " + std::string(status_name(r.status)));
    r.explanation = join(why, "; ");
}

}  // namespace

DomainResult verify(std::string_view author_domain, const std::vector<AuthFact>& spf,
                    const std::vector<AuthFact>& dkim, dns::Resolver& resolver, const config::Config& config,
                    int roll) {
    DomainResult r;
    if (domain::is_ip_literal(author_domain)) {
        // An address literal is not a DNS name and cannot publish a policy.
        r.author_domain = std::string(author_domain);
        r.explanation = "no DMARC policy: the author domain is an address literal";
        return r;
    }
    auto parsed = domain::parse(author_domain);
    if (!parsed) {
        r.author_domain = std::string(author_domain);
        fail_with(r, Status::PermError, "invalid author domain \"" + r.author_domain + "\": " + parsed.error);
        return r;
    }
    const std::string author = parsed.name->ascii;
    r.author_domain = author;
    Verification v(resolver, config);
    Lookup lk = v.lookup(author);
    switch (lk.status) {
    case LookupStatus::TempError:
        fail_with(r, Status::TempError, lk.error);
        break;
    case LookupStatus::PermError:
        r.policy_domain = lk.domain;
        r.record = lk.txt;
        fail_with(r, Status::PermError, lk.error);
        break;
    case LookupStatus::None:
        r.status = Status::None;
        if (const OrgDomain* org = v.org(author); org && org->ok) r.org_domain = org->domain;
        r.explanation = "no DMARC policy (asked " + join(lk.queried, ", ") + ")";
        for (const auto& n : lk.notes) r.explanation += "; " + n;
        break;
    case LookupStatus::Found:
        evaluate_found(v, r, lk, author, spf, dkim, roll);
        break;
    }
    r.authentic = v.dns().authentic();
    return r;
}

}  // namespace dmarc
