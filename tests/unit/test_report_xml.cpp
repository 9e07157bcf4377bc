// Unit tests of lib/report/xml: the RFC 9990 document is parsed back with a
// strict reader and every element the schema requires is asserted, in the
// schema's order where it is a sequence; escaping; result mapping; gzip.
#include <cppunit/extensions/HelperMacros.h>

#include "report/xml.h"
#include "report_samples.h"
#include "report_xml_reader.h"

namespace {

constexpr std::int64_t kMidnight = 1700006400;

using Names = std::vector<std::string>;

report::Report sample_report() {
    auto pass = testing::sample_evaluation(kMidnight + 10);
    auto local = testing::sample_evaluation(kMidnight + 20);
    local.source_ip = "2001:db8::25";
    local.dmarc_dkim = "fail";
    local.dmarc_spf = "fail";
    local.disposition = "none";
    local.reasons = {"local_policy", "sampled_out"};
    local.dkim = {};
    local.spf = {{"mailfrom.example", "", "mfrom", "hardfail"}};
    local.envelope_to_domains = {};
    auto reports = report::aggregate({pass, pass, local}, 86400);
    return reports.at(0);
}

report::Metadata metadata() { return {"Example Org", "postmaster@mx.example.org", "170000640012ab", "treewalk"}; }

testing::XmlNode parsed(const std::string& xml) {
    auto p = testing::parse_xml(xml);
    if (!p.root) CPPUNIT_FAIL("XML does not parse: " + p.error + "\n" + xml);
    return *p.root;
}

std::string get(const testing::XmlNode& node, const std::string& path) {
    auto v = node.value(path);
    if (!v) CPPUNIT_FAIL("missing or repeated element " + path);
    return *v;
}

}  // namespace

class ReportXmlTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ReportXmlTest);
    CPPUNIT_TEST(document);
    CPPUNIT_TEST(records);
    CPPUNIT_TEST(escaping);
    CPPUNIT_TEST(spf_always_present);
    CPPUNIT_TEST(spf_mail_from_only);
    CPPUNIT_TEST(gzip_round_trip);
    CPPUNIT_TEST_SUITE_END();

public:
    void document() {
        auto root = parsed(report::render_xml(sample_report(), metadata()));
        CPPUNIT_ASSERT_EQUAL(std::string("feedback"), root.name);
        CPPUNIT_ASSERT_EQUAL(std::string("urn:ietf:params:xml:ns:dmarc-2.0"), root.attributes.at("xmlns"));
        CPPUNIT_ASSERT(root.child_names() ==
                       (Names{"version", "report_metadata", "policy_published", "record", "record"}));
        CPPUNIT_ASSERT_EQUAL(std::string("1.0"), get(root, "version"));
        CPPUNIT_ASSERT(root.one("report_metadata")->child_names() ==
                       (Names{"org_name", "email", "report_id", "date_range"}));
        CPPUNIT_ASSERT_EQUAL(std::string("Example Org"), get(root, "report_metadata/org_name"));
        CPPUNIT_ASSERT_EQUAL(std::string("postmaster@mx.example.org"), get(root, "report_metadata/email"));
        CPPUNIT_ASSERT_EQUAL(std::string("170000640012ab"), get(root, "report_metadata/report_id"));
        CPPUNIT_ASSERT_EQUAL(std::to_string(kMidnight), get(root, "report_metadata/date_range/begin"));
        CPPUNIT_ASSERT_EQUAL(std::to_string(kMidnight + 86399), get(root, "report_metadata/date_range/end"));
        const auto* policy = root.one("policy_published");
        CPPUNIT_ASSERT(policy->child_names() ==
                       (Names{"domain", "p", "sp", "np", "adkim", "aspf", "discovery_method", "testing"}));
        CPPUNIT_ASSERT_EQUAL(std::string("example.com"), get(*policy, "domain"));
        CPPUNIT_ASSERT_EQUAL(std::string("reject"), get(*policy, "p"));
        CPPUNIT_ASSERT_EQUAL(std::string("quarantine"), get(*policy, "sp"));
        CPPUNIT_ASSERT_EQUAL(std::string("reject"), get(*policy, "np"));
        CPPUNIT_ASSERT_EQUAL(std::string("r"), get(*policy, "adkim"));
        CPPUNIT_ASSERT_EQUAL(std::string("s"), get(*policy, "aspf"));
        CPPUNIT_ASSERT_EQUAL(std::string("treewalk"), get(*policy, "discovery_method"));
        CPPUNIT_ASSERT_EQUAL(std::string("n"), get(*policy, "testing"));
    }

    void records() {
        auto root = parsed(report::render_xml(sample_report(), metadata()));
        auto records = root.all("record");
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), records.size());
        // Rows are sorted by source IP: "192..." before "2001...".
        const auto& pass = *records[0];
        CPPUNIT_ASSERT(pass.child_names() == (Names{"row", "identifiers", "auth_results"}));
        CPPUNIT_ASSERT(pass.one("row")->child_names() == (Names{"source_ip", "count", "policy_evaluated"}));
        CPPUNIT_ASSERT_EQUAL(std::string("192.0.2.10"), get(pass, "row/source_ip"));
        CPPUNIT_ASSERT_EQUAL(std::string("2"), get(pass, "row/count"));
        CPPUNIT_ASSERT(pass.one("row")->one("policy_evaluated")->child_names() ==
                       (Names{"disposition", "dkim", "spf"}));
        CPPUNIT_ASSERT_EQUAL(std::string("none"), get(pass, "row/policy_evaluated/disposition"));
        CPPUNIT_ASSERT_EQUAL(std::string("pass"), get(pass, "row/policy_evaluated/dkim"));
        CPPUNIT_ASSERT_EQUAL(std::string("fail"), get(pass, "row/policy_evaluated/spf"));
        CPPUNIT_ASSERT(pass.one("identifiers")->child_names() ==
                       (Names{"envelope_to", "envelope_from", "header_from"}));
        CPPUNIT_ASSERT_EQUAL(std::string("example.org"), get(pass, "identifiers/envelope_to"));
        CPPUNIT_ASSERT_EQUAL(std::string("bounce.example.com"), get(pass, "identifiers/envelope_from"));
        CPPUNIT_ASSERT_EQUAL(std::string("example.com"), get(pass, "identifiers/header_from"));
        const auto* auth = pass.one("auth_results");
        CPPUNIT_ASSERT(auth->child_names() == (Names{"dkim", "dkim", "spf"}));
        auto dkim = auth->all("dkim");
        CPPUNIT_ASSERT(dkim[0]->child_names() == (Names{"domain", "selector", "result"}));
        CPPUNIT_ASSERT_EQUAL(std::string("example.com"), get(*dkim[0], "domain"));
        CPPUNIT_ASSERT_EQUAL(std::string("s1"), get(*dkim[0], "selector"));
        CPPUNIT_ASSERT_EQUAL(std::string("pass"), get(*dkim[0], "result"));
        CPPUNIT_ASSERT_EQUAL(std::string("esp.example"), get(*dkim[1], "domain"));
        CPPUNIT_ASSERT_EQUAL(std::string("sel2"), get(*dkim[1], "selector"));
        CPPUNIT_ASSERT_EQUAL(std::string("fail"), get(*dkim[1], "result"));
        CPPUNIT_ASSERT(auth->one("spf")->child_names() == (Names{"domain", "scope", "result"}));
        CPPUNIT_ASSERT_EQUAL(std::string("bounce.example.com"), get(*auth, "spf/domain"));
        CPPUNIT_ASSERT_EQUAL(std::string("mfrom"), get(*auth, "spf/scope"));
        CPPUNIT_ASSERT_EQUAL(std::string("pass"), get(*auth, "spf/result"));

        const auto& local = *records[1];
        CPPUNIT_ASSERT_EQUAL(std::string("2001:db8::25"), get(local, "row/source_ip"));
        CPPUNIT_ASSERT_EQUAL(std::string("1"), get(local, "row/count"));
        const auto* evaluated = local.one("row")->one("policy_evaluated");
        CPPUNIT_ASSERT(evaluated->child_names() == (Names{"disposition", "dkim", "spf", "reason", "reason"}));
        auto reasons = evaluated->all("reason");
        CPPUNIT_ASSERT(reasons[0]->child_names() == (Names{"type"}));
        CPPUNIT_ASSERT_EQUAL(std::string("local_policy"), get(*reasons[0], "type"));
        // RFC 9990 has no sampled_out type: "other" with the word as comment.
        CPPUNIT_ASSERT_EQUAL(std::string("other"), get(*reasons[1], "type"));
        CPPUNIT_ASSERT_EQUAL(std::string("sampled_out"), get(*reasons[1], "comment"));
        CPPUNIT_ASSERT(local.one("identifiers")->child_names() == (Names{"envelope_from", "header_from"}));
        CPPUNIT_ASSERT(local.one("auth_results")->child_names() == (Names{"spf"}));
        CPPUNIT_ASSERT_EQUAL(std::string("mailfrom.example"), get(local, "auth_results/spf/domain"));
        CPPUNIT_ASSERT_EQUAL(std::string("mfrom"), get(local, "auth_results/spf/scope"));
        CPPUNIT_ASSERT_EQUAL(std::string("fail"), get(local, "auth_results/spf/result"));  // hardfail
    }

    void escaping() {
        struct Case {
            const char* label;
            const char* in;
            const char* out;
        } cases[] = {
            {"markup", "<a href=\"x\">&'", "&lt;a href=&quot;x&quot;&gt;&amp;&apos;"},
            {"controls dropped", "a\x01" "b\x1f" "c\td", "abc\td"},
            {"utf-8 kept", "Bücher", "Bücher"},
        };
        for (const auto& c : cases)
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.label, std::string(c.out), report::xml_escape(c.in));
        auto meta = metadata();
        meta.org_name = "A & B <Mail> \"Co\"";
        auto r = sample_report();
        r.rows[0].header_from = "x</header_from><evil/>";
        auto root = parsed(report::render_xml(r, meta));
        CPPUNIT_ASSERT_EQUAL(meta.org_name, get(root, "report_metadata/org_name"));
        CPPUNIT_ASSERT_EQUAL(r.rows[0].header_from, get(*root.all("record")[0], "identifiers/header_from"));
    }

    void spf_always_present() {
        auto r = sample_report();
        r.rows.resize(1);
        r.rows[0].spf.clear();
        r.policy.t.clear();
        r.policy.sp.clear();
        auto meta = metadata();
        meta.discovery_method.clear();
        auto root = parsed(report::render_xml(r, meta));
        const auto* spf = root.one("record")->one("auth_results")->one("spf");
        CPPUNIT_ASSERT(spf != nullptr);
        CPPUNIT_ASSERT_EQUAL(std::string("bounce.example.com"), get(*spf, "domain"));
        CPPUNIT_ASSERT_EQUAL(std::string("none"), get(*spf, "result"));
        // sp unrecorded: its default, p (RFC 7489 §6.3), is reported.
        CPPUNIT_ASSERT(root.one("policy_published")->child_names() ==
                       (Names{"domain", "p", "sp", "np", "adkim", "aspf"}));
        CPPUNIT_ASSERT_EQUAL(std::string("reject"), get(*root.one("policy_published"), "sp"));
    }

    // One spf element, of the MAIL FROM identity: a HELO result is left out,
    // the first MAIL FROM one kept; only HELO: "none" for envelope_from.
    void spf_mail_from_only() {
        const struct {
            const char* label;
            std::vector<report::AuthResultEntry> spf;
            const char* domain;
            const char* result;
        } cases[] = {
            {"helo, then mfrom",
             {{"mx.example.net", "", "helo", "pass"}, {"bounce.example.com", "", "mfrom", "softfail"},
              {"other.example", "", "mfrom", "pass"}},
             "bounce.example.com", "softfail"},
            {"no scope recorded", {{"bounce.example.com", "", "", "fail"}}, "bounce.example.com", "fail"},
            {"helo only", {{"mx.example.net", "", "helo", "pass"}}, "bounce.example.com", "none"},
        };
        for (const auto& c : cases) {
            auto r = sample_report();
            r.rows.resize(1);
            r.rows[0].spf = c.spf;
            auto root = parsed(report::render_xml(r, metadata()));
            auto spf = root.one("record")->one("auth_results")->all("spf");
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.label, std::size_t(1), spf.size());
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.label, std::string(c.domain), get(*spf[0], "domain"));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.label, std::string("mfrom"), get(*spf[0], "scope"));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.label, std::string(c.result), get(*spf[0], "result"));
        }
    }

    void gzip_round_trip() {
        std::string xml = report::render_xml(sample_report(), metadata());
        auto gz = report::gzip(xml);
        CPPUNIT_ASSERT(gz.size() > 18);
        CPPUNIT_ASSERT_EQUAL(0x1f, int(gz[0]));  // RFC 1952 §2.3.1 ID1 ID2
        CPPUNIT_ASSERT_EQUAL(0x8b, int(gz[1]));
        auto back = report::gunzip(gz, 1 << 20);
        CPPUNIT_ASSERT(back.has_value());
        CPPUNIT_ASSERT_EQUAL(xml, *back);
        CPPUNIT_ASSERT(!report::gunzip(gz, 10).has_value());  // over the limit
        gz.resize(gz.size() - 4);
        CPPUNIT_ASSERT(!report::gunzip(gz, 1 << 20).has_value());  // truncated
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ReportXmlTest);
