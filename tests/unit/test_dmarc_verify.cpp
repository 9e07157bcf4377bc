// Unit tests of lib/dmarc/verify and discovery with testing::FakeResolver:
// alignment modes, p/sp/np selection, t=y, pct with a fixed roll, temperror
// paths, multiple records, tree walk and public suffix list discovery, psd,
// the 8-query limit. Every case asserts every DomainResult field and the
// number of DNS queries.
#include <cppunit/extensions/HelperMacros.h>


#include <cstdio>
#include <fstream>
#include <functional>
#include <memory>

#include "dmarc/discovery.h"
#include "dmarc/psl.h"
#include "dmarc/record.h"
#include "dmarc/verify.h"
#include "common/scratch_dir.h"
#include "fake_resolver.h"

namespace {

using dns::RrType;
using testing::FakeResolver;

std::shared_ptr<const config::Config> make_config(const std::vector<std::string>& overrides) {
    config::Loader loader;
    for (const auto& o : overrides) loader.override_value(o);
    auto cfg = loader.finish();
    if (!cfg) throw std::logic_error("bad test configuration");
    return cfg;
}

void address(FakeResolver& dns, const std::string& name, bool authentic = false) {
    dns::Answer a;
    a.status = dns::Status::Ok;
    a.texts = {"192.0.2.1"};
    a.authentic = authentic;
    dns.set(name, RrType::A, a);
}

// The zone every case starts from.
void base_zone(FakeResolver& dns) {
    dns.txt("_dmarc.example.com", {"v=DMARC1; p=reject; sp=none; np=quarantine"});
    address(dns, "example.com");
    address(dns, "mail.example.com");
    dns.txt("_dmarc.strict.example", {"v=DMARC1; p=reject; adkim=s; aspf=s"});
    dns.txt("_dmarc.quar.example", {"v=DMARC1; p=quarantine"});
    dns.txt("_dmarc.none.example", {"v=DMARC1; p=none"});
    dns.txt("_dmarc.test.example", {"v=DMARC1; p=reject; t=y"});
    dns.txt("_dmarc.testq.example", {"v=DMARC1; p=quarantine; t=y"});
    dns.txt("_dmarc.pct50.example", {"v=DMARC1; p=reject; pct=50"});
    dns.txt("_dmarc.pct0.example", {"v=DMARC1; p=reject; pct=0"});
    dns.txt("_dmarc.pct100.example", {"v=DMARC1; p=quarantine; pct=100"});
    dns.txt("_dmarc.multi.example", {"v=DMARC1; p=reject", "v=DMARC1; p=none"});
    dns.txt("_dmarc.sub.multi2.example", {"v=DMARC1; p=none", "v=DMARC1; p=none"});
    dns.txt("_dmarc.multi2.example", {"v=DMARC1; p=reject"});
    address(dns, "sub.multi2.example");
    dns.txt("_dmarc.broken.example", {"v=DMARC1; p=bogus"});
    dns.fail("_dmarc.down.example", RrType::TXT, dns::Status::ServFail);
    dns.txt("_dmarc.mixed.example", {"v=spf1 -all", "hello", "v=DMARC1; p=reject"});
    dns.txt("_dmarc.sub.orgx.example", {"v=DMARC1; p=none"});
    dns.txt("_dmarc.orgx.example", {"v=DMARC1; p=reject"});
    dns.txt("_dmarc.zz", {"v=DMARC1; p=reject; psd=y"});
    dns.txt("_dmarc.big.zz2", {"v=DMARC1; p=quarantine; psd=n"});
    dns.txt("_dmarc.zz2", {"v=DMARC1; p=none"});
    address(dns, "mail.big.zz2");
    dns.txt("_dmarc.example.co.uk", {"v=DMARC1; p=reject"});
    address(dns, "news.example.co.uk");
    dns.txt("_dmarc.blogspot.com", {"v=DMARC1; p=reject"});
    address(dns, "a.blogspot.com");
}

dmarc::AuthFact fact(const std::string& method, const std::string& result, const std::string& domain) {
    return dmarc::AuthFact{method, result, domain, method == "spf" ? "mfrom" : "", ""};
}
std::vector<dmarc::AuthFact> spf(const std::string& result, const std::string& domain) {
    return {fact("spf", result, domain)};
}
std::vector<dmarc::AuthFact> dkim(const std::string& result, const std::string& domain) {
    return {fact("dkim", result, domain)};
}
const std::vector<dmarc::AuthFact> kNone;

// `failing` DKIM failures for f1.example.com..., then a pass for ok.example.com.
std::vector<dmarc::AuthFact> many_dkim(int failing) {
    std::vector<dmarc::AuthFact> out;
    for (int i = 1; i <= failing; ++i) out.push_back(fact("dkim", "fail", "f" + std::to_string(i) + ".example.com"));
    out.push_back(fact("dkim", "pass", "ok.example.com"));
    return out;
}

struct Expect {
    const char* status;
    const char* policy_domain;  // nullptr: null
    const char* org_domain;     // nullptr: null
    const char* policy;         // "p", "sp", "np" or nullptr
    const char* requested;      // nullptr: null
    bool reject;
    bool sampled_out;
    bool aligned_spf;
    bool aligned_dkim;
    int queries;                // total DNS queries
    const char* applied = nullptr;
    const char* error = "";     // substring of the error ("" = no error)
    bool authentic = false;
    bool testing = false;
};

struct Case {
    const char* label;
    std::string author;
    std::vector<dmarc::AuthFact> spf;
    std::vector<dmarc::AuthFact> dkim;
    std::vector<std::string> config;
    int roll;
    Expect expect;
    std::function<void(FakeResolver&)> extra = nullptr;
};

const std::vector<std::string> kTree;  // defaults: treewalk, sampling on
const std::vector<std::string> kPsl{"dmarc_discovery=psl"};
const std::vector<std::string> kNoSampling{"dmarc_sampling=no"};

std::string opt(const std::optional<std::string>& s) { return s ? *s : "(null)"; }
std::string opt(const char* s) { return s ? s : "(null)"; }

}  // namespace

class DmarcVerifyTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(DmarcVerifyTest);
    CPPUNIT_TEST(table);
    CPPUNIT_TEST(walk_names);
    CPPUNIT_TEST(orgdomains);
    CPPUNIT_TEST(psl_file);
    CPPUNIT_TEST(psl_loaded_once_per_file_version);
    CPPUNIT_TEST(explanation);
    CPPUNIT_TEST_SUITE_END();

    static std::vector<Case> cases();

public:
    void table() {
        for (const auto& c : cases()) {
            FakeResolver dns;
            base_zone(dns);
            if (c.extra) c.extra(dns);
            auto cfg = make_config(c.config);
            auto r = dmarc::verify(c.author, c.spf, c.dkim, dns, *cfg, c.roll);
            const Expect& e = c.expect;
            std::string l = std::string(c.label) + " [" + r.explanation + "] ";
            CPPUNIT_ASSERT_EQUAL_MESSAGE(l + "status", std::string(e.status), std::string(dmarc::status_name(r.status)));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(l + "policy_domain", opt(e.policy_domain), opt(r.policy_domain));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(l + "org_domain", opt(e.org_domain), opt(r.org_domain));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(l + "policy", opt(e.policy), opt(r.policy_tag));
            std::optional<std::string> requested, applied;
            if (r.requested) requested = std::string(dmarc::policy_name(*r.requested));
            if (r.applied) applied = std::string(dmarc::policy_name(*r.applied));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(l + "requested", opt(e.requested), opt(requested));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(l + "applied", opt(e.applied ? e.applied : e.requested), opt(applied));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(l + "reject", e.reject, r.reject);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(l + "sampled_out", e.sampled_out, r.sampled_out);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(l + "testing", e.testing, r.testing);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(l + "aligned_spf", e.aligned_spf, r.aligned_spf);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(l + "aligned_dkim", e.aligned_dkim, r.aligned_dkim);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(l + "authentic", e.authentic, r.authentic);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(l + "queries", e.queries, dns.total());
            if (*e.error) CPPUNIT_ASSERT_MESSAGE(l + "error " + r.error, r.error.find(e.error) != std::string::npos);
            else CPPUNIT_ASSERT_EQUAL_MESSAGE(l + "error", std::string(), r.error);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(l + "author", true, !r.author_domain.empty());
            CPPUNIT_ASSERT_MESSAGE(l + "explanation", !r.explanation.empty());
        }
    }

    // RFC 9989 §4.10: at most 8 names; eight or more labels jump to seven.
    void walk_names() {
        auto n = dmarc::walk_names("a.b.c.d.e.f.g.h.i.example.com");
        std::vector<std::string> want{"a.b.c.d.e.f.g.h.i.example.com", "e.f.g.h.i.example.com", "f.g.h.i.example.com",
                                      "g.h.i.example.com", "h.i.example.com", "i.example.com", "example.com", "com"};
        CPPUNIT_ASSERT(want == n);
        auto eight = dmarc::walk_names("a.b.c.d.e.f.g.h");
        CPPUNIT_ASSERT_EQUAL(std::size_t(8), eight.size());
        CPPUNIT_ASSERT_EQUAL(std::string("b.c.d.e.f.g.h"), eight[1]);
        auto seven = dmarc::walk_names("a.b.c.d.e.f.g");
        CPPUNIT_ASSERT_EQUAL(std::size_t(7), seven.size());
        CPPUNIT_ASSERT_EQUAL(std::string("g"), seven.back());
        auto one = dmarc::walk_names("example");
        CPPUNIT_ASSERT(std::vector<std::string>{"example"} == one);
        CPPUNIT_ASSERT(dmarc::walk_names("").empty());
    }

    void orgdomains() {
        FakeResolver dns;
        base_zone(dns);
        auto tree = make_config(kTree);
        auto psl = make_config(kPsl);
        struct {
            const char* name;
            const std::vector<std::string>& config;
            const char* org;
            int queries;
        } cases[] = {
            {"mail.example.com", kTree, "example.com", 3},
            {"example.com", kTree, "example.com", 2},
            {"a.b.org1.zz", kTree, "org1.zz", 4},        // psd=y at zz
            {"mail.big.zz2", kTree, "big.zz2", 2},       // psd=n stops the walk
            {"sub.orgx.example", kTree, "orgx.example", 3},
            {"nothing.example", kTree, "nothing.example", 2},
            {"mail.example.com", kPsl, "example.com", 0},
            {"news.example.co.uk", kPsl, "example.co.uk", 0},
            {"a.blogspot.com", kPsl, "blogspot.com", 0},  // ICANN section only
            {"co.uk", kPsl, "co.uk", 0},
        };
        for (const auto& c : cases) {
            dns.reset_counts();
            auto cfg = make_config(c.config);
            auto o = dmarc::orgdomain(c.name, dns, *cfg);
            CPPUNIT_ASSERT_MESSAGE(c.name, o.ok);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.name, std::string(c.org), o.domain);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.name, c.queries, dns.total());
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.name, c.queries, o.queries);
            // lookup_policy gives the same organizational domain; with a tree
            // walk from its own walk (no query is asked twice).
            dns.reset_counts();
            dmarc::OrgDomain with_lookup;
            auto lk = dmarc::lookup_policy(c.name, dns, *cfg, nullptr, &with_lookup);
            CPPUNIT_ASSERT_MESSAGE(c.name, with_lookup.ok);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.name, std::string(c.org), with_lookup.domain);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.name, c.queries, with_lookup.queries);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.name, o.authentic, with_lookup.authentic);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.name, static_cast<int>(lk.queried.size()), dns.total());
            if (c.queries > 0) CPPUNIT_ASSERT_EQUAL_MESSAGE(c.name, c.queries, dns.total());
        }
        dns.fail("_dmarc.com", RrType::TXT, dns::Status::Timeout);
        auto failed = dmarc::orgdomain("mail.example.com", dns, *tree);
        CPPUNIT_ASSERT(!failed.ok);
        CPPUNIT_ASSERT(failed.error.find("_dmarc.com") != std::string::npos);
        dmarc::OrgDomain failed_walk;
        dmarc::lookup_policy("mail.example.com", dns, *tree, nullptr, &failed_walk);
        CPPUNIT_ASSERT(!failed_walk.ok);
        CPPUNIT_ASSERT_EQUAL(failed.error, failed_walk.error);
        CPPUNIT_ASSERT_EQUAL(failed.queries, failed_walk.queries);
    }

    // A list file is read once and shared by every message until it
    // changes (it was read for every message: a few ms each).
    void psl_loaded_once_per_file_version() {
        testing::ScratchDir dir;
        std::string path = dir.file("psl.dat", "// ===BEGIN ICANN DOMAINS===\nzz\n// ===END ICANN DOMAINS===\n");
        auto cfg = make_config({"dmarc_discovery=psl", std::string("public_suffix_list=") + path});
        auto first = dmarc::PublicSuffixList::shared(*cfg);
        auto again = dmarc::PublicSuffixList::shared(*cfg);
        CPPUNIT_ASSERT(first->ok());
        CPPUNIT_ASSERT(first == again);
        CPPUNIT_ASSERT_EQUAL(std::string("b.zz"), first->orgdomain("a.b.zz"));
        // The file changes (size and time): the next message reads it again.
        std::ofstream(path) << "// ===BEGIN ICANN DOMAINS===\nzz\nco.zz\nb.zz\n// ===END ICANN DOMAINS===\n";
        auto changed = dmarc::PublicSuffixList::shared(*cfg);
        CPPUNIT_ASSERT(changed != first);
        CPPUNIT_ASSERT_EQUAL(std::string("a.b.zz"), changed->orgdomain("a.b.zz"));
        CPPUNIT_ASSERT_EQUAL(std::string("b.zz"), first->orgdomain("a.b.zz"));  // a message holding the old list keeps it
        std::remove(path.c_str());
        auto gone = dmarc::PublicSuffixList::shared(*cfg);  // not kept when it cannot be loaded
        CPPUNIT_ASSERT(!gone->ok());
        CPPUNIT_ASSERT(gone->error().find(path) != std::string::npos);
        auto builtin = make_config({"dmarc_discovery=psl"});
        CPPUNIT_ASSERT(dmarc::PublicSuffixList::shared(*builtin) == dmarc::PublicSuffixList::shared(*builtin));
        CPPUNIT_ASSERT_EQUAL(std::string("example.co.uk"), dmarc::PublicSuffixList::shared(*builtin)->orgdomain("mail.example.co.uk"));
    }

    // public_suffix_list names a file; a file that cannot be loaded is a temperror.
    void psl_file() {
        testing::ScratchDir dir;
        std::string path = dir.file("psl.dat", "// ===BEGIN ICANN DOMAINS===\nzz\nco.zz\n// ===END ICANN DOMAINS===\n");
        FakeResolver dns;
        auto cfg = make_config({"dmarc_discovery=psl", std::string("public_suffix_list=") + path});
        auto o = dmarc::orgdomain("a.b.co.zz", dns, *cfg);
        CPPUNIT_ASSERT(o.ok);
        CPPUNIT_ASSERT_EQUAL(std::string("b.co.zz"), o.domain);
        auto missing = make_config({"dmarc_discovery=psl", "public_suffix_list=/nonexistent/psl.dat"});
        auto m = dmarc::orgdomain("a.b.co.zz", dns, *missing);
        CPPUNIT_ASSERT(!m.ok);
        base_zone(dns);
        auto r = dmarc::verify("mail.example.com", kNone, kNone, dns, *missing, 0);
        CPPUNIT_ASSERT_EQUAL(std::string("temperror"), std::string(dmarc::status_name(r.status)));
        CPPUNIT_ASSERT(r.error.find("public suffix list") != std::string::npos);
    }

    void explanation() {
        FakeResolver dns;
        base_zone(dns);
        address(dns, "bounce.example.com");
        auto cfg = make_config(kTree);
        auto r = dmarc::verify("mail.example.com", spf("pass", "bounce.example.com"), dkim("fail", "example.net"), dns,
                               *cfg, 0);
        const std::string& x = r.explanation;
        CPPUNIT_ASSERT_MESSAGE(x, x.find("policy found at _dmarc.example.com (parent of mail.example.com, tree walk "
                                         "3 queries); organizational domain example.com") == 0);
        CPPUNIT_ASSERT_MESSAGE(x, x.find("SPF pass for bounce.example.com aligned (relaxed)") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(x, x.find("DKIM fail for example.net not aligned (relaxed)") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(x, x.find("policy sp=none") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(x, x.find("result pass") != std::string::npos);
        // The record used travels with the result, parsed (for the report history).
        CPPUNIT_ASSERT(r.record && r.parsed_record);
        CPPUNIT_ASSERT(dmarc::parse_record(*r.record).record->sp == r.parsed_record->sp);
        CPPUNIT_ASSERT(r.parsed_record->sp == dmarc::Policy::None);
        // The record's own oddities are part of the story.
        dns.txt("_dmarc.fallback.example", {"v=DMARC1; rua=mailto:r@x.example"});
        auto f = dmarc::verify("fallback.example", kNone, kNone, dns, *cfg, 0);
        CPPUNIT_ASSERT_MESSAGE(f.explanation, f.explanation.find("record: no p tag, but a valid rua: treated as p=none") !=
                                                  std::string::npos);
        auto lim = dmarc::verify("example.com", kNone, many_dkim(9), dns, *cfg, 0);
        CPPUNIT_ASSERT_MESSAGE(lim.explanation, lim.explanation.find("DKIM pass for ok.example.com: not aligned (more "
                                                                     "than 10 organizational domains") !=
                                                    std::string::npos);
    }
};

std::vector<Case> DmarcVerifyTest::cases() {
    // status, policy_domain, org_domain, policy, requested, reject, sampled_out,
    // aligned_spf, aligned_dkim, queries [, applied, error, authentic, testing]
    return {
        // --- alignment (RFC 7489 §3.1, RFC 9989 §4.4) ---
        {"relaxed spf subdomain", "example.com", spf("pass", "bounce.example.com"), kNone, kTree, 0,
         {"pass", "example.com", "example.com", "p", "reject", false, false, true, false, 3}},
        {"relaxed dkim same", "example.com", kNone, dkim("pass", "example.com"), kTree, 0,
         {"pass", "example.com", "example.com", "p", "reject", false, false, false, true, 2}},
        {"dkim name case and dot", "example.com", kNone, dkim("pass", "EXAMPLE.COM."), kTree, 0,
         {"pass", "example.com", "example.com", "p", "reject", false, false, false, true, 2}},
        {"relaxed dkim other org", "example.com", kNone, dkim("pass", "example.net"), kTree, 0,
         {"fail", "example.com", "example.com", "p", "reject", true, false, false, false, 2}},
        {"relaxed same tld other org", "example.com", spf("pass", "other.com"), kNone, kTree, 0,
         {"fail", "example.com", "example.com", "p", "reject", true, false, false, false, 2}},
        {"nine walks allowed", "example.com", kNone, many_dkim(8), kTree, 0,
         {"pass", "example.com", "example.com", "p", "reject", false, false, false, true, 11}},
        {"walk limit reached", "example.com", kNone, many_dkim(9), kTree, 0,
         {"fail", "example.com", "example.com", "p", "reject", true, false, false, false, 11}},
        {"strict spf subdomain", "strict.example", spf("pass", "mail.strict.example"), kNone, kTree, 0,
         {"fail", "strict.example", "strict.example", "p", "reject", true, false, false, false, 2}},
        {"strict dkim exact", "strict.example", kNone, dkim("pass", "strict.example"), kTree, 0,
         {"pass", "strict.example", "strict.example", "p", "reject", false, false, false, true, 2}},
        {"spf fail aligned domain", "example.com", spf("fail", "example.com"), kNone, kTree, 0,
         {"fail", "example.com", "example.com", "p", "reject", true, false, false, false, 2}},
        {"no results", "example.com", kNone, kNone, kTree, 0,
         {"fail", "example.com", "example.com", "p", "reject", true, false, false, false, 2}},
        {"both aligned", "example.com", spf("pass", "example.com"), dkim("pass", "example.com"), kTree, 0,
         {"pass", "example.com", "example.com", "p", "reject", false, false, true, true, 2}},
        {"spf softfail does not count", "example.com", spf("softfail", "example.com"), kNone, kTree, 0,
         {"fail", "example.com", "example.com", "p", "reject", true, false, false, false, 2}},
        {"second dkim aligned", "example.com", kNone,
         {fact("dkim", "pass", "example.net"), fact("dkim", "pass", "sub.example.com")}, kTree, 0,
         {"pass", "example.com", "example.com", "p", "reject", false, false, false, true, 3}},
        // --- policy selection p / sp / np (RFC 7489 §6.3, RFC 9989 §4.7) ---
        {"sp for existing subdomain", "mail.example.com", kNone, kNone, kTree, 0,
         {"fail", "example.com", "example.com", "sp", "none", false, false, false, false, 4}},
        {"np for nonexistent subdomain", "ghost.example.com", kNone, kNone, kTree, 0,
         {"fail", "example.com", "example.com", "np", "quarantine", true, false, false, false, 6}},
        {"nodata subdomain exists", "nodata.example.com", kNone, kNone, kTree, 0,
         {"fail", "example.com", "example.com", "sp", "none", false, false, false, false, 4},
         [](FakeResolver& d) { d.fail("nodata.example.com", RrType::A, dns::Status::NoData); }},
        {"mx only subdomain exists", "mx.example.com", kNone, kNone, kTree, 0,
         {"fail", "example.com", "example.com", "sp", "none", false, false, false, false, 6},
         [](FakeResolver& d) {
             dns::Answer a;
             a.status = dns::Status::Ok;
             a.mx = {{10, "mx.example.net"}};
             d.set("mx.example.com", RrType::MX, a);
         }},
        {"pass skips existence check", "ghost.example.com", spf("pass", "example.com"), kNone, kTree, 0,
         {"pass", "example.com", "example.com", "sp", "none", false, false, true, false, 3}},
        {"quarantine at author", "quar.example", kNone, kNone, kTree, 0,
         {"fail", "quar.example", "quar.example", "p", "quarantine", true, false, false, false, 2}},
        {"p none", "none.example", kNone, kNone, kTree, 0,
         {"fail", "none.example", "none.example", "p", "none", false, false, false, false, 2}},
        // --- t=y (RFC 9989 §4.7) ---
        {"t=y reject", "test.example", kNone, kNone, kTree, 0,
         {"fail", "test.example", "test.example", "p", "reject", true, true, false, false, 2, "quarantine", "", false,
          true}},
        {"t=y quarantine", "testq.example", kNone, kNone, kTree, 0,
         {"fail", "testq.example", "testq.example", "p", "quarantine", true, true, false, false, 2, "none", "", false,
          true}},
        {"t=y pass", "test.example", kNone, dkim("pass", "test.example"), kTree, 0,
         {"pass", "test.example", "test.example", "p", "reject", false, false, false, true, 2, nullptr, "", false,
          true}},
        // --- pct (RFC 7489 §6.6.4) with a fixed roll ---
        {"pct 50 roll 49 applies", "pct50.example", kNone, kNone, kTree, 49,
         {"fail", "pct50.example", "pct50.example", "p", "reject", true, false, false, false, 2}},
        {"pct 50 roll 50 sampled out", "pct50.example", kNone, kNone, kTree, 50,
         {"fail", "pct50.example", "pct50.example", "p", "reject", true, true, false, false, 2, "quarantine"}},
        {"pct 0 roll 0 sampled out", "pct0.example", kNone, kNone, kTree, 0,
         {"fail", "pct0.example", "pct0.example", "p", "reject", true, true, false, false, 2, "quarantine"}},
        {"pct 0 random roll sampled out", "pct0.example", kNone, kNone, kTree, -1,
         {"fail", "pct0.example", "pct0.example", "p", "reject", true, true, false, false, 2, "quarantine"}},
        {"pct 100 roll 99 applies", "pct100.example", kNone, kNone, kTree, 99,
         {"fail", "pct100.example", "pct100.example", "p", "quarantine", true, false, false, false, 2}},
        {"pct 0 sampling off", "pct0.example", kNone, kNone, kNoSampling, 0,
         {"fail", "pct0.example", "pct0.example", "p", "reject", true, false, false, false, 2}},
        {"pct 0 pass not sampled", "pct0.example", spf("pass", "pct0.example"), kNone, kTree, 0,
         {"pass", "pct0.example", "pct0.example", "p", "reject", false, false, true, false, 2}},
        // --- temperror (RFC 7489 §6.6.2, §11.2) ---
        {"policy servfail", "down.example", kNone, kNone, kTree, 0,
         {"temperror", nullptr, nullptr, nullptr, nullptr, false, false, false, false, 1, nullptr, "servfail"}},
        {"policy timeout on walk", "a.down2.example", kNone, kNone, kTree, 0,
         {"temperror", nullptr, nullptr, nullptr, nullptr, false, false, false, false, 2, nullptr, "timeout"},
         [](FakeResolver& d) { d.fail("_dmarc.down2.example", RrType::TXT, dns::Status::Timeout); }},
        {"spf temperror aligned", "example.com", spf("temperror", "example.com"), dkim("fail", "example.com"), kTree, 0,
         {"temperror", "example.com", "example.com", "p", "reject", false, false, false, false, 2}},
        {"spf temperror unrelated", "example.com", spf("temperror", "other.net"), kNone, kTree, 0,
         {"fail", "example.com", "example.com", "p", "reject", true, false, false, false, 2}},
        {"dkim temperror, spf pass", "example.com", spf("pass", "example.com"), dkim("temperror", "example.com"), kTree,
         0, {"pass", "example.com", "example.com", "p", "reject", false, false, true, false, 2}},
        {"org walk failure for relaxed", "sub.orgx.example", spf("pass", "other.orgx.example"), kNone, kTree, 0,
         {"temperror", "sub.orgx.example", nullptr, "p", "none", false, false, false, false, 2},
         [](FakeResolver& d) { d.fail("_dmarc.orgx.example", RrType::TXT, dns::Status::ServFail); }},
        {"org walk failure not needed", "sub.orgx.example", spf("pass", "sub.orgx.example"), kNone, kTree, 0,
         {"pass", "sub.orgx.example", nullptr, "p", "none", false, false, true, false, 2},
         [](FakeResolver& d) { d.fail("_dmarc.orgx.example", RrType::TXT, dns::Status::ServFail); }},
        {"existence check servfail", "ghost.example.com", kNone, kNone, kTree, 0,
         {"temperror", "example.com", "example.com", "sp", "none", false, false, false, false, 4, nullptr,
          "exists"},
         [](FakeResolver& d) { d.fail("ghost.example.com", RrType::A, dns::Status::ServFail); }},
        // --- none, permerror, multiple records (RFC 7489 §6.6.3) ---
        {"no policy anywhere", "nothing.example", kNone, kNone, kTree, 0,
         {"none", nullptr, "nothing.example", nullptr, nullptr, false, false, false, false, 2}},
        {"broken record", "broken.example", kNone, kNone, kTree, 0,
         {"permerror", "broken.example", nullptr, nullptr, nullptr, false, false, false, false, 2, nullptr,
          "invalid p value"}},
        {"invalid author domain", "example.net(.example.com", kNone, kNone, kTree, 0,
         {"permerror", nullptr, nullptr, nullptr, nullptr, false, false, false, false, 0, nullptr,
          "invalid author domain"}},
        {"address literal", "[192.0.2.1]", spf("pass", "192.0.2.1"), kNone, kTree, 0,
         {"none", nullptr, nullptr, nullptr, nullptr, false, false, false, false, 0}},
        {"org unknown only matters for a pass", "sub.orgx.example", spf("fail", "other.orgx.example"), kNone, kTree,
         0, {"fail", "sub.orgx.example", nullptr, "p", "none", false, false, false, false, 2},
         [](FakeResolver& d) { d.fail("_dmarc.orgx.example", RrType::TXT, dns::Status::ServFail); }},
        {"rua fallback record", "fallback.example", kNone, kNone, kTree, 0,
         {"fail", "fallback.example", "fallback.example", "p", "none", false, false, false, false, 2},
         [](FakeResolver& d) { d.txt("_dmarc.fallback.example", {"v=DMARC1; p=rejected; rua=mailto:r@x.example"}); }},
        {"non-DMARC TXT ignored", "mixed.example", kNone, kNone, kTree, 0,
         {"fail", "mixed.example", "mixed.example", "p", "reject", true, false, false, false, 2}},
        {"multiple records treewalk", "multi.example", kNone, kNone, kTree, 0,
         {"none", nullptr, "multi.example", nullptr, nullptr, false, false, false, false, 2}},
        {"multiple records psl", "multi.example", kNone, kNone, kPsl, 0,
         {"none", nullptr, "multi.example", nullptr, nullptr, false, false, false, false, 1}},
        {"multiple at author, walk goes on", "sub.multi2.example", kNone, kNone, kTree, 0,
         {"fail", "multi2.example", "multi2.example", "sp", "reject", true, false, false, false, 3}},
        {"multiple at author, psl stops", "sub.multi2.example", kNone, kNone, kPsl, 0,
         {"none", nullptr, "multi2.example", nullptr, nullptr, false, false, false, false, 1}},
        // --- organizational domain fallback, both discovery methods ---
        {"treewalk parent policy", "mail.example.com", spf("pass", "mail.example.com"), kNone, kTree, 0,
         {"pass", "example.com", "example.com", "sp", "none", false, false, true, false, 3}},
        {"psl org policy", "mail.example.com", spf("pass", "mail.example.com"), kNone, kPsl, 0,
         {"pass", "example.com", "example.com", "sp", "none", false, false, true, false, 2}},
        {"psl np", "ghost.example.com", kNone, kNone, kPsl, 0,
         {"fail", "example.com", "example.com", "np", "quarantine", true, false, false, false, 5}},
        {"psl relaxed co.uk", "news.example.co.uk", spf("pass", "bounce.example.co.uk"), kNone, kPsl, 0,
         {"pass", "example.co.uk", "example.co.uk", "sp", "reject", false, false, true, false, 2}},
        {"psl icann only", "a.blogspot.com", kNone, dkim("pass", "b.blogspot.com"), kPsl, 0,
         {"pass", "blogspot.com", "blogspot.com", "sp", "reject", false, false, false, true, 2}},
        {"own record, higher org", "sub.orgx.example", spf("pass", "bounce.orgx.example"), kNone, kTree, 0,
         {"pass", "sub.orgx.example", "orgx.example", "p", "none", false, false, true, false, 4}},
        {"own record, psl org", "sub.orgx.example", spf("pass", "bounce.orgx.example"), kNone, kPsl, 0,
         {"pass", "sub.orgx.example", "orgx.example", "p", "none", false, false, true, false, 1}},
        // --- RFC 9989 §4.10.1: author record, else organizational domain, else PSD ---
        {"intermediate record not used", "a.b.inter.example", kNone, kNone, kTree, 0,
         {"fail", "inter.example", "inter.example", "sp", "reject", true, false, false, false, 4},
         [](FakeResolver& d) {
             d.txt("_dmarc.b.inter.example", {"v=DMARC1; p=none"});
             d.txt("_dmarc.inter.example", {"v=DMARC1; p=reject"});
         }},
        {"PSD record when the org domain has none", "a.b.org3.zz3", kNone, kNone, kTree, 0,
         {"fail", "zz3", "org3.zz3", "sp", "reject", true, false, false, false, 4},
         [](FakeResolver& d) {
             d.txt("_dmarc.b.org3.zz3", {"v=DMARC1; p=none"});
             d.txt("_dmarc.zz3", {"v=DMARC1; p=reject; psd=y"});
         }},
        {"broken record at the org domain", "x.broken.example", kNone, kNone, kTree, 0,
         {"permerror", "broken.example", nullptr, nullptr, nullptr, false, false, false, false, 3, nullptr,
          "invalid p value"}},
        // --- psd (RFC 9989 §4.10.2) ---
        {"psd=y policy", "a.b.org1.zz", spf("pass", "c.org1.zz"), kNone, kTree, 0,
         {"pass", "zz", "org1.zz", "sp", "reject", false, false, true, false, 5}},
        {"psd=y sibling not aligned", "a.b.org1.zz", spf("pass", "org2.zz"), kNone, kTree, 0,
         {"fail", "zz", "org1.zz", "sp", "reject", true, false, false, false, 4}},
        {"psd=n stops the walk", "mail.big.zz2", spf("pass", "big.zz2"), kNone, kTree, 0,
         {"pass", "big.zz2", "big.zz2", "sp", "quarantine", false, false, true, false, 2}},
        // --- the 8-query limit (RFC 9989 §4.10) ---
        {"long name finds example.com", "a.b.c.d.e.f.g.h.i.example.com", kNone, kNone, kTree, 0,
         {"fail", "example.com", "example.com", "np", "quarantine", true, false, false, false, 11}},
        {"long name, no policy: 8 queries", "a.b.c.d.e.f.g.h.i.nowhere.test", kNone, kNone, kTree, 0,
         {"none", nullptr, "a.b.c.d.e.f.g.h.i.nowhere.test", nullptr, nullptr, false, false, false, false, 8}},
        // --- authentic: every answer had the AD bit ---
        {"authentic", "secure.example", kNone, dkim("pass", "secure.example"), kTree, 0,
         {"pass", "secure.example", "secure.example", "p", "reject", false, false, false, true, 2, nullptr, "", true},
         [](FakeResolver& d) {
             d.txt("_dmarc.secure.example", {"v=DMARC1; p=reject"}, 300, true);
             dns::Answer nx;
             nx.status = dns::Status::NxDomain;
             nx.authentic = true;
             d.set("_dmarc.example", RrType::TXT, nx);
         }},
        {"one answer not authentic", "secure.example", kNone, dkim("pass", "secure.example"), kTree, 0,
         {"pass", "secure.example", "secure.example", "p", "reject", false, false, false, true, 2},
         [](FakeResolver& d) { d.txt("_dmarc.secure.example", {"v=DMARC1; p=reject"}, 300, true); }},
    };
}

CPPUNIT_TEST_SUITE_REGISTRATION(DmarcVerifyTest);
