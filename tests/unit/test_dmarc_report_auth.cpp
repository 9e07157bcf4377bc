// Unit tests of lib/dmarc/report_auth: RFC 7489 §7.1 external report
// destinations, with testing::FakeResolver.
#include <cppunit/extensions/HelperMacros.h>

#include <functional>

#include "dmarc/report_auth.h"
#include "fake_resolver.h"

namespace {

const std::string kName = "example.com._report._dmarc.reports.example.net";
// A valid 236-octet domain; with the 35 octets added the name is too long.
const std::string kLong =
    std::string(63, 'a') + "." + std::string(63, 'b') + "." + std::string(63, 'c') + "." + std::string(40, 'd') + ".com";

struct Case {
    const char* label;
    std::string policy_domain;
    std::function<void(testing::FakeResolver&)> zone;
    const char* status;
    bool accepts;
    std::vector<std::string> records;
    int queries;
    bool authentic = false;
};

const Case kCases[] = {
    {"bare v=DMARC1 of the RFC example", "example.com", [](auto& d) { d.txt(kName, {"v=DMARC1"}); }, "found", true,
     {"v=DMARC1"}, 1},
    {"several records", "example.com",
     [](auto& d) { d.txt(kName, {"v=DMARC1", "v=DMARC1; rua=mailto:r@reports.example.net"}); }, "found", true,
     {"v=DMARC1", "v=DMARC1; rua=mailto:r@reports.example.net"}, 1},
    {"other TXT ignored", "example.com", [](auto& d) { d.txt(kName, {"hello", "v=DMARC1;"}); }, "found", true,
     {"v=DMARC1;"}, 1},
    {"not a valid policy still accepts", "example.com", [](auto& d) { d.txt(kName, {"v=DMARC1; p=bogus"}); },
     "found", true, {"v=DMARC1; p=bogus"}, 1},
    {"only other TXT", "example.com", [](auto& d) { d.txt(kName, {"v=spf1 -all", "v=dmarc1"}); }, "none", false, {},
     1},
    {"nxdomain", "example.com", [](auto&) {}, "none", false, {}, 1},
    {"nodata", "example.com", [](auto& d) { d.fail(kName, dns::RrType::TXT, dns::Status::NoData); }, "none", false,
     {}, 1},
    {"servfail", "example.com", [](auto& d) { d.fail(kName, dns::RrType::TXT, dns::Status::ServFail); },
     "temperror", false, {}, 1},
    {"timeout", "example.com", [](auto& d) { d.fail(kName, dns::RrType::TXT, dns::Status::Timeout); }, "temperror",
     false, {}, 1},
    {"authentic", "example.com", [](auto& d) { d.txt(kName, {"v=DMARC1"}, 300, true); }, "found", true,
     {"v=DMARC1"}, 1, true},
    {"name too long", kLong, [](auto&) {}, "none", false, {}, 0},
};

}  // namespace

class DmarcReportAuthTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(DmarcReportAuthTest);
    CPPUNIT_TEST(table);
    CPPUNIT_TEST_SUITE_END();

public:
    void table() {
        for (const auto& c : kCases) {
            testing::FakeResolver dns;
            c.zone(dns);
            auto r = dmarc::check_report_destination(c.policy_domain, "reports.example.net", dns);
            std::string l = c.label;
            CPPUNIT_ASSERT_EQUAL_MESSAGE(l, std::string(c.status), std::string(dmarc::lookup_status_name(r.status)));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(l, c.accepts, r.accepts);
            CPPUNIT_ASSERT_MESSAGE(l, c.records == r.records);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(l, c.queries, dns.total());
            CPPUNIT_ASSERT_EQUAL_MESSAGE(l, c.authentic, r.authentic);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(l, c.policy_domain + "._report._dmarc.reports.example.net", r.name);
            bool want_error = std::string(c.status) == "temperror" || c.queries == 0;
            CPPUNIT_ASSERT_EQUAL_MESSAGE(l, want_error, !r.error.empty());
        }
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(DmarcReportAuthTest);
