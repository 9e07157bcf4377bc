// Unit tests of sts::discover (RFC 8461 §3.1) with a fake resolver: one STS
// record among other TXT records, none, several, invalid, DNS failures; and
// the RFC 8460 §4.3 failure names and the policy URL.
#include <cppunit/extensions/HelperMacros.h>

#include "fake_resolver.h"
#include "sts/fetch.h"

namespace {

using Status = sts::DiscoveryStatus;

struct Case {
    const char* label;
    std::vector<std::string> texts;  // empty: the name does not exist
    Status status;
    const char* id;     // when Found
    const char* error;  // substring when not Found
};

const std::vector<Case> kCases = {
    {"one record", {"v=STSv1; id=20190429T010101"}, Status::Found, "20190429T010101", ""},
    {"with spf and others", {"v=spf1 -all", "v=STSv1; id=abc;", "hello"}, Status::Found, "abc", ""},
    {"with extension", {"v=STSv1; id=abc; x=y"}, Status::Found, "abc", ""},
    {"no record", {}, Status::None, nullptr, "no TXT record"},
    {"only other txt",
     {"v=spf1 -all", "google-site-verification=x"},
     Status::None,
     nullptr,
     "no STS record"},
    {"two records", {"v=STSv1; id=a", "v=STSv1; id=b"}, Status::None, nullptr, "2 STS records"},
    {"valid and invalid",
     {"v=STSv1; id=a", "v=STSv1; id=bad-id"},
     Status::None,
     nullptr,
     "2 STS records"},
    {"invalid record", {"v=STSv1; id="}, Status::None, nullptr, "invalid STS record"},
    {"lowercase version ignored", {"v=stsv1; id=a"}, Status::None, nullptr, "no STS record"},
};

}  // namespace

class StsDiscoverTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(StsDiscoverTest);
    CPPUNIT_TEST(table);
    CPPUNIT_TEST(dns_failures);
    CPPUNIT_TEST(name_normalised);
    CPPUNIT_TEST(invalid_domain);
    CPPUNIT_TEST(failure_names);
    CPPUNIT_TEST(url);
    CPPUNIT_TEST_SUITE_END();

public:
    void table() {
        for (const auto& c : kCases) {
            testing::FakeResolver dns;
            if (!c.texts.empty()) dns.txt("_mta-sts.example.com", c.texts);
            auto d = sts::discover("example.com", dns);
            CPPUNIT_ASSERT_MESSAGE(c.label, d.status == c.status);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.label, 1,
                                         dns.count("_mta-sts.example.com", dns::RrType::TXT));
            if (c.status == Status::Found) {
                CPPUNIT_ASSERT_EQUAL_MESSAGE(c.label, std::string(c.id), d.record.id);
                CPPUNIT_ASSERT_EQUAL_MESSAGE(c.label, std::string(), d.error);
                bool txt_is_one_of =
                    std::find(c.texts.begin(), c.texts.end(), d.txt) != c.texts.end();
                CPPUNIT_ASSERT_MESSAGE(c.label, txt_is_one_of && d.txt.starts_with("v=STSv1"));
            } else {
                CPPUNIT_ASSERT_MESSAGE(c.label + std::string(": ") + d.error,
                                       d.error.find(c.error) != std::string::npos);
                CPPUNIT_ASSERT_EQUAL_MESSAGE(c.label, std::string(), d.record.id);
            }
        }
    }

    void dns_failures() {
        for (auto status : {dns::Status::ServFail, dns::Status::Timeout}) {
            testing::FakeResolver dns;
            dns.fail("_mta-sts.example.com", dns::RrType::TXT, status);
            auto d = sts::discover("example.com", dns);
            CPPUNIT_ASSERT(d.status == Status::TempError);
            CPPUNIT_ASSERT(d.error.find(std::string(dns::status_name(status))) !=
                           std::string::npos);
        }
        testing::FakeResolver dns;
        dns.fail("_mta-sts.example.com", dns::RrType::TXT, dns::Status::NoData);
        auto d = sts::discover("example.com", dns);
        CPPUNIT_ASSERT(d.status == Status::None);
        CPPUNIT_ASSERT(d.error.find("nodata") != std::string::npos);
    }

    void name_normalised() {
        testing::FakeResolver dns;
        dns.txt("_mta-sts.xn--bcher-kva.example", {"v=STSv1; id=u"});
        auto d = sts::discover(
            "B\xc3\x9c"
            "CHER.example.",
            dns);
        CPPUNIT_ASSERT(d.status == Status::Found);
        CPPUNIT_ASSERT_EQUAL(std::string("u"), d.record.id);
        CPPUNIT_ASSERT_EQUAL(1, dns.count("_mta-sts.xn--bcher-kva.example", dns::RrType::TXT));
    }

    void invalid_domain() {
        testing::FakeResolver dns;
        for (const char* bad : {"", "192.0.2.1", "[192.0.2.1]", "a..b", "exa mple.com"}) {
            auto d = sts::discover(bad, dns);
            CPPUNIT_ASSERT_MESSAGE(bad, d.status == Status::None);
            CPPUNIT_ASSERT_MESSAGE(bad, d.error.starts_with("invalid domain"));
        }
        CPPUNIT_ASSERT_EQUAL(0, dns.total());  // refused before any query
    }

    void failure_names() {
        CPPUNIT_ASSERT_EQUAL(std::string(""),
                             std::string(sts::failure_name(sts::FetchFailure::None)));
        CPPUNIT_ASSERT_EQUAL(std::string("sts-policy-fetch-error"),
                             std::string(sts::failure_name(sts::FetchFailure::FetchError)));
        CPPUNIT_ASSERT_EQUAL(std::string("sts-policy-invalid"),
                             std::string(sts::failure_name(sts::FetchFailure::PolicyInvalid)));
        CPPUNIT_ASSERT_EQUAL(std::string("sts-webpki-invalid"),
                             std::string(sts::failure_name(sts::FetchFailure::WebPkiInvalid)));
    }

    void url() {
        CPPUNIT_ASSERT_EQUAL(std::string("https://mta-sts.example.com/.well-known/mta-sts.txt"),
                             sts::policy_url("example.com"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("https://mta-sts.example.com:8443/.well-known/mta-sts.txt"),
            sts::policy_url("example.com", 8443));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(StsDiscoverTest);
