// The ldns resolver against ldns-testns on loopback: TXT (single and
// multi-string), NXDOMAIN, NODATA, SERVFAIL, timeout, AD flag, CNAME, MX,
// A/AAAA, TLSA, retry on the next server.
#include <cppunit/extensions/HelperMacros.h>

#include "dns.h"
#include "harness.h"

namespace {

using harness::dns_entry;

const std::string kSoa = "example.com. 3600 IN SOA ns.example.com. host.example.com. 1 3600 600 86400 120\n";

std::string zone() {
    return dns_entry("single.example.com.", "TXT", "NOERROR",
                 "single.example.com. 300 IN TXT \"v=DMARC1; p=reject\"\n") +
           dns_entry("multi.example.com.", "TXT", "AD NOERROR",
                 "multi.example.com. 600 IN TXT \"v=DMARC1; \" \"p=quarantine; \" \"rua=mailto:a@example.com\"\n"
                 "multi.example.com. 200 IN TXT \"second record\"\n") +
           dns_entry("nx.example.com.", "TXT", "NXDOMAIN", "", kSoa) +
           dns_entry("nodata.example.com.", "TXT", "NOERROR", "", kSoa) +
           dns_entry("broken.example.com.", "TXT", "SERVFAIL", "") +
           dns_entry("alias.example.com.", "TXT", "NOERROR",
                 "alias.example.com. 300 IN CNAME target.example.net.\n"
                 "target.example.net. 100 IN TXT \"v=STSv1; id=20260101\"\n") +
           dns_entry("example.com.", "MX", "NOERROR",
                 "example.com. 300 IN MX 10 MX1.example.com.\nexample.com. 300 IN MX 20 mx2.example.com.\n") +
           dns_entry("mx1.example.com.", "A", "NOERROR", "mx1.example.com. 300 IN A 192.0.2.25\n") +
           dns_entry("mx1.example.com.", "AAAA", "NOERROR", "mx1.example.com. 300 IN AAAA 2001:db8::25\n") +
           dns_entry("_25._tcp.mx1.example.com.", "TLSA", "AD NOERROR",
                 "_25._tcp.mx1.example.com. 300 IN TLSA 3 1 1 0123456789abcdef\n");
}

}  // namespace

class DnsIntegrationTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(DnsIntegrationTest);
    CPPUNIT_TEST(txt_single);
    CPPUNIT_TEST(txt_multi_string_and_ad);
    CPPUNIT_TEST(negative_answers);
    CPPUNIT_TEST(servfail);
    CPPUNIT_TEST(timeout);
    CPPUNIT_TEST(next_server_after_timeout);
    CPPUNIT_TEST(cname_followed);
    CPPUNIT_TEST(mx_a_aaaa_tlsa);
    CPPUNIT_TEST(nameserver_specs);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override { dns_ = std::make_unique<harness::TestDns>(zone()); }
    void tearDown() override { dns_.reset(); }

    dns::LdnsResolver resolver() { return dns::LdnsResolver({dns_->nameserver()}, std::chrono::milliseconds(2000)); }

    void txt_single() {
        auto r = resolver();
        auto a = r.query("Single.Example.COM.", dns::RrType::TXT);
        CPPUNIT_ASSERT(a.status == dns::Status::Ok);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), a.texts.size());
        CPPUNIT_ASSERT_EQUAL(std::string("v=DMARC1; p=reject"), a.texts[0]);
        CPPUNIT_ASSERT_EQUAL(std::uint32_t(300), a.ttl);
        CPPUNIT_ASSERT_EQUAL(false, a.authentic);
    }

    void txt_multi_string_and_ad() {
        auto r = resolver();
        auto a = r.query("multi.example.com", dns::RrType::TXT);
        CPPUNIT_ASSERT(a.status == dns::Status::Ok);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), a.texts.size());
        CPPUNIT_ASSERT_EQUAL(std::string("v=DMARC1; p=quarantine; rua=mailto:a@example.com"), a.texts[0]);
        CPPUNIT_ASSERT_EQUAL(std::string("second record"), a.texts[1]);
        CPPUNIT_ASSERT_EQUAL(std::uint32_t(200), a.ttl);  // smallest of the RRset
        CPPUNIT_ASSERT_EQUAL(true, a.authentic);
    }

    void negative_answers() {
        auto r = resolver();
        auto nx = r.query("nx.example.com", dns::RrType::TXT);
        CPPUNIT_ASSERT_EQUAL(std::string("nxdomain"), std::string(dns::status_name(nx.status)));
        CPPUNIT_ASSERT(nx.negative());
        CPPUNIT_ASSERT_EQUAL(std::uint32_t(120), nx.negative_ttl);  // SOA minimum
        auto nodata = r.query("nodata.example.com", dns::RrType::TXT);
        CPPUNIT_ASSERT_EQUAL(std::string("nodata"), std::string(dns::status_name(nodata.status)));
        CPPUNIT_ASSERT(nodata.texts.empty());
        CPPUNIT_ASSERT_EQUAL(std::uint32_t(120), nodata.negative_ttl);
        // A name the data file does not know: ldns-testns sends no answer
        // entry, so the record is absent either way, never "ok".
        CPPUNIT_ASSERT(!r.query("single.example.com", dns::RrType::MX).ok());
    }

    void servfail() {
        auto r = resolver();
        auto a = r.query("broken.example.com", dns::RrType::TXT);
        CPPUNIT_ASSERT_EQUAL(std::string("servfail"), std::string(dns::status_name(a.status)));
        CPPUNIT_ASSERT(a.temporary());
    }

    void timeout() {
        harness::SilentUdp silent;
        dns::LdnsResolver r({"127.0.0.1:" + std::to_string(silent.port())}, std::chrono::milliseconds(200));
        auto a = r.query("single.example.com", dns::RrType::TXT);
        CPPUNIT_ASSERT_EQUAL(std::string("timeout"), std::string(dns::status_name(a.status)));
        CPPUNIT_ASSERT(a.temporary());
        CPPUNIT_ASSERT(!a.error.empty());
    }

    void next_server_after_timeout() {
        harness::SilentUdp silent;
        dns::LdnsResolver r({"127.0.0.1:" + std::to_string(silent.port()), dns_->nameserver()},
                            std::chrono::milliseconds(200));
        auto a = r.query("single.example.com", dns::RrType::TXT);
        CPPUNIT_ASSERT(a.status == dns::Status::Ok);
        CPPUNIT_ASSERT_EQUAL(std::string("v=DMARC1; p=reject"), a.texts.at(0));
    }

    void cname_followed() {
        auto r = resolver();
        auto a = r.query("alias.example.com", dns::RrType::TXT);
        CPPUNIT_ASSERT(a.status == dns::Status::Ok);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), a.texts.size());
        CPPUNIT_ASSERT_EQUAL(std::string("v=STSv1; id=20260101"), a.texts[0]);
        CPPUNIT_ASSERT_EQUAL(std::uint32_t(100), a.ttl);
    }

    void mx_a_aaaa_tlsa() {
        auto r = resolver();
        auto mx = r.query("example.com", dns::RrType::MX);
        CPPUNIT_ASSERT(mx.status == dns::Status::Ok);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), mx.mx.size());
        CPPUNIT_ASSERT_EQUAL(std::uint16_t(10), mx.mx[0].preference);
        CPPUNIT_ASSERT_EQUAL(std::string("mx1.example.com"), mx.mx[0].host);
        auto a = r.query("mx1.example.com", dns::RrType::A);
        CPPUNIT_ASSERT_EQUAL(std::string("192.0.2.25"), a.texts.at(0));
        auto aaaa = r.query("mx1.example.com", dns::RrType::AAAA);
        CPPUNIT_ASSERT_EQUAL(std::string("2001:db8::25"), aaaa.texts.at(0));
        auto tlsa = r.query("_25._tcp.mx1.example.com", dns::RrType::TLSA);
        CPPUNIT_ASSERT(tlsa.status == dns::Status::Ok);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), tlsa.tlsa.size());
        CPPUNIT_ASSERT_EQUAL(std::uint8_t(3), tlsa.tlsa[0].usage);
        CPPUNIT_ASSERT_EQUAL(std::uint8_t(1), tlsa.tlsa[0].selector);
        CPPUNIT_ASSERT_EQUAL(std::uint8_t(1), tlsa.tlsa[0].matching_type);
        CPPUNIT_ASSERT_EQUAL(std::size_t(8), tlsa.tlsa[0].data.size());
        CPPUNIT_ASSERT_EQUAL(std::uint8_t(0xef), tlsa.tlsa[0].data[7]);
        CPPUNIT_ASSERT(tlsa.authentic);
    }

    void nameserver_specs() {
        auto v4 = dns::parse_nameserver("127.0.0.1");
        CPPUNIT_ASSERT(v4 && v4->address == "127.0.0.1" && v4->port == 53);
        auto v4p = dns::parse_nameserver("127.0.0.1:5353");
        CPPUNIT_ASSERT(v4p && v4p->port == 5353);
        auto v6 = dns::parse_nameserver("::1");
        CPPUNIT_ASSERT(v6 && v6->address == "::1" && v6->port == 53);
        auto v6p = dns::parse_nameserver("[::1]:5300");
        CPPUNIT_ASSERT(v6p && v6p->address == "::1" && v6p->port == 5300);
        for (const char* bad : {"", "localhost", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:70000",
                                "[::1", "[::1]5300", "1.2.3.4:x"})
            CPPUNIT_ASSERT_MESSAGE(bad, !dns::parse_nameserver(bad).has_value());
        CPPUNIT_ASSERT_THROW(dns::LdnsResolver({"not-an-ip"}, std::chrono::seconds(1)), std::runtime_error);
    }

private:
    std::unique_ptr<harness::TestDns> dns_;
};

CPPUNIT_TEST_SUITE_REGISTRATION(DnsIntegrationTest);
