// The RFC 9990 schema our reports are checked against
// (tests/data/rfc9990-aggregate.xsd), itself checked against RFC 9990's
// element tables ("Description of the content XML file": the "#" column
// R/O/*/+ of every element, the orders that MUST be kept, the listed values).
// The published Appendix A text was not at hand when the file was written
// (its header says which sources it was assembled from), so these cases are
// what keeps it honest: one document carrying every element the tables list
// must pass, and each single departure from the tables must fail, as
// xmllint(1) sees it.
#include <cppunit/extensions/HelperMacros.h>

#include <memory>
#include <string>

#include "harness.h"
#include "report_schema.h"

namespace {

// Every element the tables list, optional ones and both extension points
// included, in the tables' order.
const std::string kEveryElement = R"(<?xml version="1.0" encoding="UTF-8"?>
<feedback xmlns="urn:ietf:params:xml:ns:dmarc-2.0" xmlns:ext="urn:example:dmarc-extension">
  <version>1.0</version>
  <report_metadata>
    <org_name>Receiver Org</org_name>
    <email>dmarc-reports@receiver.example</email>
    <extra_contact_info>https://receiver.example/dmarc</extra_contact_info>
    <report_id>1721054318-example.com@receiver.example</report_id>
    <date_range>
      <begin>1721001600</begin>
      <end>1721087999</end>
    </date_range>
    <error>two DMARC records at _dmarc.example.com</error>
    <generator>mtaguard</generator>
  </report_metadata>
  <policy_published>
    <domain>example.com</domain>
    <discovery_method>treewalk</discovery_method>
    <p>quarantine</p>
    <sp>none</sp>
    <np>reject</np>
    <fo>1</fo>
    <adkim>s</adkim>
    <aspf>r</aspf>
    <testing>n</testing>
  </policy_published>
  <extension>
    <ext:arc-override>never</ext:arc-override>
  </extension>
  <record>
    <row>
      <source_ip>2001:db8::25</source_ip>
      <count>3</count>
      <policy_evaluated>
        <disposition>none</disposition>
        <dkim>fail</dkim>
        <spf>fail</spf>
        <reason>
          <type>local_policy</type>
          <comment>allow-listed sender</comment>
        </reason>
        <reason>
          <type>policy_test_mode</type>
        </reason>
      </policy_evaluated>
    </row>
    <identifiers>
      <header_from>example.com</header_from>
      <envelope_from>bounce.example.com</envelope_from>
      <envelope_to>receiver.example</envelope_to>
    </identifiers>
    <auth_results>
      <dkim>
        <domain>example.com</domain>
        <selector>sel1</selector>
        <result>fail</result>
        <human_result>body hash mismatch</human_result>
      </dkim>
      <dkim>
        <domain>esp.example</domain>
        <selector>sel2</selector>
        <result>pass</result>
      </dkim>
      <spf>
        <domain>bounce.example.com</domain>
        <scope>mfrom</scope>
        <result>softfail</result>
        <human_result>~all</human_result>
      </spf>
    </auth_results>
    <ext:arc-results>pass</ext:arc-results>
  </record>
  <record>
    <row>
      <source_ip>192.0.2.7</source_ip>
      <count>1</count>
      <policy_evaluated>
        <disposition>pass</disposition>
        <dkim>pass</dkim>
        <spf>pass</spf>
      </policy_evaluated>
    </row>
    <identifiers>
      <header_from>news.example.com</header_from>
      <envelope_from></envelope_from>
    </identifiers>
    <auth_results>
      <dkim>
        <domain>example.com</domain>
        <selector>sel1</selector>
        <result>pass</result>
      </dkim>
    </auth_results>
  </record>
</feedback>
)";

struct Change {
    const char* label;
    const char* from;  // a unique piece of kEveryElement
    const char* to;
};

std::string changed(const Change& c) {
    std::string xml = kEveryElement;
    auto at = xml.find(c.from);
    CPPUNIT_ASSERT_MESSAGE(std::string(c.label) + ": not in the document: " + c.from,
                           at != std::string::npos && xml.find(c.from, at + 1) == std::string::npos);
    xml.replace(at, std::string(c.from).size(), c.to);
    return xml;
}

}  // namespace

class ReportSchemaTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ReportSchemaTest);
    CPPUNIT_TEST(every_listed_element);
    CPPUNIT_TEST(optional_elements);
    CPPUNIT_TEST(required_elements);
    CPPUNIT_TEST(multiplicity_order_values);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override { dir_ = std::make_unique<harness::TempDir>(); }
    void tearDown() override { dir_.reset(); }

    void every_listed_element() { ASSERT_SCHEMA_VALID("every element", kEveryElement, dir_->path()); }

    // "O" and "*" in the tables: each may be left out.
    void optional_elements() {
        const Change cases[] = {
            {"version", "  <version>1.0</version>\n", ""},
            {"extra_contact_info", "<extra_contact_info>https://receiver.example/dmarc</extra_contact_info>", ""},
            {"error", "<error>two DMARC records at _dmarc.example.com</error>", ""},
            {"generator", "<generator>mtaguard</generator>", ""},
            {"discovery_method", "<discovery_method>treewalk</discovery_method>", ""},
            {"sp", "<sp>none</sp>", ""},
            {"np", "<np>reject</np>", ""},
            {"fo", "<fo>1</fo>", ""},
            {"adkim", "<adkim>s</adkim>", ""},
            {"aspf", "<aspf>r</aspf>", ""},
            {"testing", "<testing>n</testing>", ""},
            {"extension", "<extension>\n    <ext:arc-override>never</ext:arc-override>\n  </extension>", ""},
            {"record extension", "<ext:arc-results>pass</ext:arc-results>", ""},
            {"reason comment", "<comment>allow-listed sender</comment>", ""},
            {"envelope_from", "<envelope_from>bounce.example.com</envelope_from>", ""},
            {"envelope_to", "<envelope_to>receiver.example</envelope_to>", ""},
            {"dkim human_result", "<human_result>body hash mismatch</human_result>", ""},
            {"spf scope", "<scope>mfrom</scope>", ""},
            {"spf human_result", "<human_result>~all</human_result>", ""},
            {"spf (O)",
             "<spf>\n        <domain>bounce.example.com</domain>\n        <scope>mfrom</scope>\n"
             "        <result>softfail</result>\n        <human_result>~all</human_result>\n      </spf>",
             ""},
        };
        for (const auto& c : cases)
            ASSERT_SCHEMA_VALID(std::string("without ") + c.label, changed(c), dir_->path());
    }

    // "R" and "+" in the tables: leaving one out fails.
    void required_elements() {
        const Change cases[] = {
            {"org_name", "<org_name>Receiver Org</org_name>", ""},
            {"email", "<email>dmarc-reports@receiver.example</email>", ""},
            {"report_id", "<report_id>1721054318-example.com@receiver.example</report_id>", ""},
            {"begin", "<begin>1721001600</begin>", ""},
            {"end", "<end>1721087999</end>", ""},
            {"policy domain", "<domain>example.com</domain>\n    <discovery_method>",
             "<discovery_method>"},
            {"p", "<p>quarantine</p>", ""},
            {"source_ip", "<source_ip>192.0.2.7</source_ip>", ""},
            {"count", "<count>1</count>", ""},
            {"disposition", "<disposition>pass</disposition>", ""},
            {"policy_evaluated dkim", "<dkim>fail</dkim>", ""},
            {"policy_evaluated spf", "<spf>fail</spf>", ""},
            {"header_from", "<header_from>news.example.com</header_from>", ""},
            {"dkim selector", "<selector>sel2</selector>", ""},
            {"dkim result", "<result>fail</result>", ""},
            {"spf domain", "<domain>bounce.example.com</domain>\n        <scope>", "<scope>"},
            {"spf result", "<result>softfail</result>", ""},
            {"reason type", "<type>policy_test_mode</type>", ""},
        };
        for (const auto& c : cases)
            ASSERT_SCHEMA_INVALID(std::string("without ") + c.label, changed(c), dir_->path());
        // "+": at least one record.
        std::string none = kEveryElement;
        none.erase(none.find("  <record>"), none.rfind("</record>\n") + 10 - none.find("  <record>"));
        ASSERT_SCHEMA_INVALID("without records", none, dir_->path());
    }

    // "O" means at most one; the orders the tables say MUST be kept; the
    // values they list (and RFC 7489's that RFC 9990 dropped).
    void multiplicity_order_values() {
        const Change cases[] = {
            {"two spf results", "<spf>\n        <domain>bounce.example.com</domain>",
             "<spf><domain>b.example</domain><result>pass</result></spf>\n      <spf>\n"
             "        <domain>bounce.example.com</domain>"},
            {"two sp", "<sp>none</sp>", "<sp>none</sp><sp>none</sp>"},
            {"two errors", "<error>two DMARC records at _dmarc.example.com</error>",
             "<error>a</error><error>b</error>"},
            {"extension before policy_published", "  <policy_published>", "  <extension/>\n  <policy_published>"},
            {"spf before dkim in policy_evaluated", "<dkim>fail</dkim>\n        <spf>fail</spf>",
             "<spf>fail</spf>\n        <dkim>fail</dkim>"},
            {"spf before dkim in auth_results",
             "<auth_results>\n      <dkim>\n        <domain>example.com</domain>\n        <selector>sel1</selector>\n"
             "        <result>pass</result>",
             "<auth_results>\n      <spf><domain>x.example</domain><result>pass</result></spf>\n      <dkim>\n"
             "        <domain>example.com</domain>\n        <selector>sel1</selector>\n        <result>pass</result>"},
            {"identifiers before row", "  <record>\n    <row>\n      <source_ip>192.0.2.7",
             "  <record>\n    <identifiers><header_from>x.example</header_from></identifiers>\n    <row>\n"
             "      <source_ip>192.0.2.7"},
            {"spf scope helo", "<scope>mfrom</scope>", "<scope>helo</scope>"},
            {"reason type sampled_out (RFC 7489)", "<type>policy_test_mode</type>", "<type>sampled_out</type>"},
            {"reason type forwarded (RFC 7489)", "<type>local_policy</type>", "<type>forwarded</type>"},
            {"pct (RFC 7489)", "<fo>1</fo>", "<fo>1</fo><pct>100</pct>"},
            {"disposition accepted", "<disposition>pass</disposition>", "<disposition>accepted</disposition>"},
            {"p pass", "<p>quarantine</p>", "<p>pass</p>"},
            {"discovery_method dns", "<discovery_method>treewalk</discovery_method>",
             "<discovery_method>dns</discovery_method>"},
            {"testing yes", "<testing>n</testing>", "<testing>yes</testing>"},
            {"adkim relaxed", "<adkim>s</adkim>", "<adkim>relaxed</adkim>"},
            {"dkim result softfail", "<result>fail</result>", "<result>softfail</result>"},
            {"count two", "<count>3</count>", "<count>two</count>"},
            {"no namespace", " xmlns=\"urn:ietf:params:xml:ns:dmarc-2.0\"", ""},
        };
        for (const auto& c : cases)
            ASSERT_SCHEMA_INVALID(c.label, changed(c), dir_->path());
    }

private:
    std::unique_ptr<harness::TempDir> dir_;
};

CPPUNIT_TEST_SUITE_REGISTRATION(ReportSchemaTest);
