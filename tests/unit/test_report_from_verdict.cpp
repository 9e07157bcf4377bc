// Unit tests of lib/report/from_verdict: which author domains of a verdict
// are recorded, the published policy read from the record, dispositions and
// override reasons.
#include <cppunit/extensions/HelperMacros.h>

#include "dmarc/record.h"
#include "report/from_verdict.h"

namespace {

dmarc::DomainResult failing(const std::string& domain, const std::string& record) {
    dmarc::DomainResult d;
    d.author_domain = domain;
    d.status = dmarc::Status::Fail;
    d.policy_domain = domain;
    d.org_domain = domain;
    d.policy_tag = "p";
    d.requested = dmarc::Policy::Reject;
    d.reject = true;
    d.record = record;
    d.aligned_spf = false;
    d.aligned_dkim = false;
    return d;
}

dmarc::Verdict verdict_of(std::vector<dmarc::DomainResult> domains, dmarc::Action action) {
    dmarc::Verdict v;
    v.domains = std::move(domains);
    v.action = action;
    v.spf = {{"spf", "pass", "bounce.example.net", "mfrom", ""}};
    v.dkim = {{"dkim", "pass", "example.net", "", "sel1"}};
    return v;
}

report::MessageContext context() {
    report::MessageContext m;
    m.time = 1700000000;
    m.client_ip = "192.0.2.44";
    m.envelope_from_domain = "bounce.example.net";
    m.envelope_to_domains = {"rcpt.example"};
    return m;
}

}  // namespace

class ReportFromVerdictTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ReportFromVerdictTest);
    CPPUNIT_TEST(fields);
    CPPUNIT_TEST(dispositions_and_reasons);
    CPPUNIT_TEST(not_recorded);
    CPPUNIT_TEST(report_interval);
    CPPUNIT_TEST(parsed_record_is_used);
    CPPUNIT_TEST_SUITE_END();

public:
    // RFC 7489 §6.3 ri is kept as published; none (RFC 9989) or an invalid
    // one is no ri at all, so that report_interval applies.
    void report_interval() {
        const struct {
            const char* label;
            const char* record;
            std::optional<std::uint32_t> ri;
        } cases[] = {
            {"hourly", "v=DMARC1; p=reject; ri=3600", 3600u},
            {"the RFC 7489 default, explicit", "v=DMARC1; p=reject; ri=86400", 86400u},
            {"zero", "v=DMARC1; p=reject; ri=0", 0u},
            {"none (RFC 9989)", "v=DMARC1; p=reject", std::nullopt},
            {"invalid", "v=DMARC1; p=reject; ri=hourly", std::nullopt},
            {"beyond 32 bits", "v=DMARC1; p=reject; ri=4294967296", std::nullopt},
        };
        for (const auto& c : cases) {
            auto rows = report::evaluations_of(
                verdict_of({failing("example.com", c.record)}, dmarc::Action::Reject), context());
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.label, std::size_t(1), rows.size());
            CPPUNIT_ASSERT_MESSAGE(c.label, rows[0].policy.ri == c.ri);
        }
    }

    // verify() hands the record it parsed along: the published policy is
    // read from it (the text is not parsed again), and from the text when a
    // result carries only that.
    void parsed_record_is_used() {
        auto parse = dmarc::parse_record("v=DMARC1; p=quarantine; sp=none; ri=3600");
        CPPUNIT_ASSERT(parse.record);
        auto d = failing("example.com", "v=DMARC1; p=reject");  // a text that says otherwise
        d.parsed_record = std::make_shared<const dmarc::Record>(*parse.record);
        auto rows = report::evaluations_of(verdict_of({d}, dmarc::Action::Reject), context());
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), rows.size());
        CPPUNIT_ASSERT_EQUAL(std::string("quarantine"), rows[0].policy.p);
        CPPUNIT_ASSERT_EQUAL(std::string("none"), rows[0].policy.sp);
        CPPUNIT_ASSERT(rows[0].policy.ri == std::optional<std::uint32_t>(3600));
        d.parsed_record.reset();
        rows = report::evaluations_of(verdict_of({d}, dmarc::Action::Reject), context());
        CPPUNIT_ASSERT_EQUAL(std::string("reject"), rows[0].policy.p);
    }

    void fields() {
        auto d = failing("example.com", "v=DMARC1; p=reject; sp=quarantine; adkim=s; pct=50; "
                                        "rua=mailto:a@example.com!10k,mailto:b@example.com");
        auto pass = failing("example.org", "v=DMARC1; p=none");
        pass.status = dmarc::Status::Pass;
        pass.requested = dmarc::Policy::None;
        pass.aligned_dkim = true;
        auto m = context();
        m.is_report = true;
        auto rows = report::evaluations_of(verdict_of({d, pass}, dmarc::Action::Reject), m);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), rows.size());
        const auto& e = rows[0];
        CPPUNIT_ASSERT_EQUAL(std::int64_t(1700000000), e.time);
        CPPUNIT_ASSERT_EQUAL(std::string("192.0.2.44"), e.source_ip);
        CPPUNIT_ASSERT_EQUAL(std::string("example.com"), e.header_from);
        CPPUNIT_ASSERT_EQUAL(std::string("bounce.example.net"), e.envelope_from_domain);
        CPPUNIT_ASSERT(e.envelope_to_domains == std::vector<std::string>{"rcpt.example"});
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), e.spf.size());
        CPPUNIT_ASSERT_EQUAL(std::string("bounce.example.net"), e.spf[0].domain);
        CPPUNIT_ASSERT_EQUAL(std::string("mfrom"), e.spf[0].scope);
        CPPUNIT_ASSERT_EQUAL(std::string("pass"), e.spf[0].result);
        CPPUNIT_ASSERT_EQUAL(std::string("sel1"), e.dkim[0].selector);
        CPPUNIT_ASSERT_EQUAL(std::string("example.net"), e.dkim[0].domain);
        CPPUNIT_ASSERT_EQUAL(std::string("example.com"), e.policy.domain);
        CPPUNIT_ASSERT_EQUAL(std::string("reject"), e.policy.p);
        CPPUNIT_ASSERT_EQUAL(std::string("quarantine"), e.policy.sp);
        CPPUNIT_ASSERT_EQUAL(std::string("quarantine"), e.policy.np);
        CPPUNIT_ASSERT_EQUAL(std::string("s"), e.policy.adkim);
        CPPUNIT_ASSERT_EQUAL(std::string("r"), e.policy.aspf);
        CPPUNIT_ASSERT_EQUAL(50, e.policy.pct);
        CPPUNIT_ASSERT_EQUAL(std::string("n"), e.policy.t);
        CPPUNIT_ASSERT_EQUAL(std::string("u"), e.policy.psd);
        CPPUNIT_ASSERT(e.policy.rua ==
                       (std::vector<std::string>{"mailto:a@example.com!10240", "mailto:b@example.com"}));
        CPPUNIT_ASSERT_EQUAL(std::string("fail"), e.dmarc_spf);
        CPPUNIT_ASSERT_EQUAL(std::string("fail"), e.dmarc_dkim);
        CPPUNIT_ASSERT_EQUAL(std::string("reject"), e.disposition);
        CPPUNIT_ASSERT(e.reasons.empty());
        CPPUNIT_ASSERT(e.is_report);
        CPPUNIT_ASSERT_EQUAL(std::string("example.org"), rows[1].header_from);
        CPPUNIT_ASSERT_EQUAL(std::string("pass"), rows[1].dmarc_dkim);
        CPPUNIT_ASSERT(rows[1].reasons.empty());
    }

    void dispositions_and_reasons() {
        struct Case {
            const char* label;
            dmarc::Action action;
            bool testing, sampled_out;
            const char* disposition;
            const char* reason;  // "" none
        } cases[] = {
            {"rejected as asked", dmarc::Action::Reject, false, false, "reject", ""},
            {"local policy accepts", dmarc::Action::Accept, false, false, "none", "local_policy"},
            {"local policy quarantines", dmarc::Action::Quarantine, false, false, "quarantine", "local_policy"},
            {"t=y", dmarc::Action::Quarantine, true, false, "quarantine", "policy_test_mode"},
            {"pct sampling", dmarc::Action::Quarantine, false, true, "quarantine", "sampled_out"},
        };
        for (const auto& c : cases) {
            auto d = failing("example.com", "v=DMARC1; p=reject");
            d.testing = c.testing;
            d.sampled_out = c.sampled_out;
            auto rows = report::evaluations_of(verdict_of({d}, c.action), context());
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.label, std::size_t(1), rows.size());
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.label, std::string(c.disposition), rows[0].disposition);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.label, std::string(c.reason),
                                         rows[0].reasons.empty() ? std::string() : rows[0].reasons[0]);
        }
    }

    void not_recorded() {
        auto none = failing("none.example", "");
        none.status = dmarc::Status::None;
        none.policy_domain.reset();
        none.record.reset();
        auto perm = failing("perm.example", "v=DMARC1; p=bogus");
        perm.status = dmarc::Status::PermError;
        auto temp = failing("temp.example", "v=DMARC1; p=reject");
        temp.status = dmarc::Status::TempError;
        CPPUNIT_ASSERT(report::evaluations_of(verdict_of({none, perm, temp}, dmarc::Action::Accept), context())
                           .empty());
        auto fail = failing("example.com", "v=DMARC1; p=reject");
        CPPUNIT_ASSERT(report::evaluations_of(verdict_of({fail}, dmarc::Action::TempFail), context()).empty());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ReportFromVerdictTest);
