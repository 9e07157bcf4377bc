// Unit tests of lib/report/mail: rua destinations with size limits, the
// report message read back (headers, MIME structure, the base64 gzip part
// decoding to the XML), sendmail invocation through a script that records
// its arguments and input, and the RFC 9990 §4 external destination check.
#include <cppunit/extensions/HelperMacros.h>

#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "config.h"
#include "fake_resolver.h"
#include "report/mail.h"
#include "report/xml.h"
#include "report_mime.h"
#include "report_tempdir.h"

namespace {

report::MessageParts sample_parts(const std::string& xml) {
    report::MessageParts p;
    p.from = "dmarc-reports@mx.example.org";
    p.to = "agg@example.com";
    p.receiver = "mx.example.org";
    p.policy_domain = "example.com";
    p.begin = 1700006400;
    p.end = 1700092799;
    p.report_id = "1700006400abcdef0123456789";
    p.date = 1700100000;  // Thu, 16 Nov 2023 02:00:00 +0000
    p.gzipped_xml = report::gzip(xml);
    return p;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// A sendmail stand-in: records argv (one per line) and stdin, exits `status`.
std::string fake_sendmail(const testing::ScratchDir& dir, int status) {
    std::string path = dir.file("sendmail", "#!/bin/sh\nfor a in \"$@\"; do echo \"$a\"; done > \"" +
                                                dir.path() + "/args\"\ncat > \"" + dir.path() +
                                                "/message\"\nexit " + std::to_string(status) + "\n");
    chmod(path.c_str(), 0755);
    return path;
}

}  // namespace

class ReportMailTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ReportMailTest);
    CPPUNIT_TEST(destinations);
    CPPUNIT_TEST(message);
    CPPUNIT_TEST(base64_lines);
    CPPUNIT_TEST(sendmail);
    CPPUNIT_TEST(sendmail_failures);
    CPPUNIT_TEST(external_destinations);
    CPPUNIT_TEST(report_subjects);
    CPPUNIT_TEST_SUITE_END();

public:
    void destinations() {
        struct Case {
            const char* label;
            const char* uri;
            const char* address;  // nullptr: refused
            const char* domain_or_error;
            long long max = -1;
        } cases[] = {
            {"plain", "mailto:dmarc@Example.COM", "dmarc@Example.COM", "example.com"},
            {"scheme case", "MAILTO:a@example.com", "a@example.com", "example.com"},
            {"bytes", "mailto:a@example.com!500", "a@example.com", "example.com", 500},
            {"kilobytes", "mailto:a@example.com!10k", "a@example.com", "example.com", 10240},
            {"megabytes", "mailto:a@example.com!2M", "a@example.com", "example.com", 2LL << 20},
            {"gigabytes", "mailto:a@example.com!1g", "a@example.com", "example.com", 1LL << 30},
            {"terabytes", "mailto:a@example.com!1t", "a@example.com", "example.com", 1LL << 40},
            {"https", "https://example.com/r", nullptr, "not a mailto"},
            {"bad unit", "mailto:a@example.com!10x", nullptr, "bad size"},
            {"empty size", "mailto:a@example.com!", nullptr, "bad size"},
            {"no domain", "mailto:a@", nullptr, "not a plain"},
            {"no at", "mailto:postmaster", nullptr, "not a plain"},
            {"space", "mailto:a b@example.com", nullptr, "not a plain"},
            {"newline", "mailto:a@example.com\nBcc: x@evil", nullptr, "not a plain"},
            {"option", "mailto:-oQ/tmp@example.com", nullptr, "'-'"},
            {"too long", nullptr, nullptr, "not a plain"},
        };
        for (const auto& c : cases) {
            std::string uri = c.uri ? c.uri : "mailto:" + std::string(250, 'a') + "@example.com";
            auto p = report::parse_destination(uri);
            if (c.address == nullptr) {
                CPPUNIT_ASSERT_MESSAGE(c.label, !p.destination.has_value());
                CPPUNIT_ASSERT_MESSAGE(std::string(c.label) + ": " + p.error,
                                       p.error.find(c.domain_or_error) != std::string::npos);
                continue;
            }
            CPPUNIT_ASSERT_MESSAGE(std::string(c.label) + ": " + p.error, p.destination.has_value());
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.label, std::string(c.address), p.destination->address);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.label, std::string(c.domain_or_error), p.destination->domain);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.label, uri, p.destination->uri);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.label, c.max, p.destination->max_bytes
                                                             ? static_cast<long long>(*p.destination->max_bytes)
                                                             : -1LL);
        }
    }

    void message() {
        std::string xml = "<?xml version=\"1.0\"?>\n<feedback/>\n";
        auto parts = sample_parts(xml);
        auto m = testing::parse_mime(report::build_message(parts));
        CPPUNIT_ASSERT_EQUAL(std::string(), m.error);
        const auto& h = m.top;
        CPPUNIT_ASSERT_EQUAL(std::string("dmarc-reports@mx.example.org"), h.header("from"));
        CPPUNIT_ASSERT_EQUAL(std::string("agg@example.com"), h.header("to"));
        CPPUNIT_ASSERT_EQUAL(std::string("Report Domain: example.com Submitter: mx.example.org "
                                         "Report-ID: 1700006400abcdef0123456789"),
                             h.header("subject"));
        CPPUNIT_ASSERT_EQUAL(std::string("Thu, 16 Nov 2023 02:00:00 +0000"), h.header("date"));
        CPPUNIT_ASSERT_EQUAL(std::string("<1700006400abcdef0123456789.1700100000@mx.example.org>"),
                             h.header("message-id"));
        CPPUNIT_ASSERT_EQUAL(std::string("1.0"), h.header("mime-version"));
        CPPUNIT_ASSERT_EQUAL(std::string("auto-generated"), h.header("auto-submitted"));
        for (const char* once : {"from", "to", "subject", "date", "message-id", "mime-version"})
            CPPUNIT_ASSERT_EQUAL_MESSAGE(once, std::size_t(1), h.count(once));
        CPPUNIT_ASSERT(h.header("content-type").rfind("multipart/mixed;", 0) == 0);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), m.parts.size());
        CPPUNIT_ASSERT(m.parts[0].header("content-type").rfind("text/plain", 0) == 0);
        const auto& gz = m.parts[1];
        std::string name = "mx.example.org!example.com!1700006400!1700092799!1700006400abcdef0123456789.xml.gz";
        CPPUNIT_ASSERT_EQUAL(name, report::attachment_name(parts));
        CPPUNIT_ASSERT(gz.header("content-type").rfind("application/gzip;", 0) == 0);
        CPPUNIT_ASSERT_EQUAL(name, testing::header_parameter(gz.header("content-type"), "name"));
        CPPUNIT_ASSERT_EQUAL(std::string("base64"), gz.header("content-transfer-encoding"));
        CPPUNIT_ASSERT(gz.header("content-disposition").rfind("attachment;", 0) == 0);
        CPPUNIT_ASSERT_EQUAL(name, testing::header_parameter(gz.header("content-disposition"), "filename"));
        auto bytes = testing::base64_decode(gz.body);
        CPPUNIT_ASSERT(bytes.has_value());
        CPPUNIT_ASSERT(*bytes == parts.gzipped_xml);
        auto back = report::gunzip(*bytes, 1 << 20);
        CPPUNIT_ASSERT(back.has_value());
        CPPUNIT_ASSERT_EQUAL(xml, *back);
    }

    void base64_lines() {
        struct Case {
            const char* in;
            const char* out;
        } cases[] = {{"", ""}, {"f", "Zg==\n"}, {"fo", "Zm8=\n"}, {"foo", "Zm9v\n"}, {"foob", "Zm9vYg==\n"}};
        for (const auto& c : cases) {
            std::string in = c.in;
            CPPUNIT_ASSERT_EQUAL(std::string(c.out), report::base64({in.begin(), in.end()}));
        }
        std::vector<std::uint8_t> big(1000, 0xab);
        std::string text = report::base64(big);
        std::istringstream lines(text);
        std::string line;
        while (std::getline(lines, line)) CPPUNIT_ASSERT(line.size() <= 76);
        CPPUNIT_ASSERT(*testing::base64_decode(text) == big);
    }

    void sendmail() {
        testing::ScratchDir dir;
        std::string message = "Subject: x\n\nbody\n";
        auto r = report::send_message(fake_sendmail(dir, 0), "from@mx.example.org", "to@example.com", message);
        CPPUNIT_ASSERT_MESSAGE(r.error, r.ok);
        CPPUNIT_ASSERT_EQUAL(std::string("-i\n-f\nfrom@mx.example.org\n--\nto@example.com\n"),
                             read_file(dir.path() + "/args"));
        CPPUNIT_ASSERT_EQUAL(message, read_file(dir.path() + "/message"));
    }

    void sendmail_failures() {
        testing::ScratchDir dir;
        auto r = report::send_message(fake_sendmail(dir, 75), "f@x.example", "t@y.example", "x\n");
        CPPUNIT_ASSERT(!r.ok);
        CPPUNIT_ASSERT_EQUAL(std::string("sendmail exited with status 75"), r.error);
        r = report::send_message(dir.path() + "/absent", "f@x.example", "t@y.example", "x\n");
        CPPUNIT_ASSERT(!r.ok);
        CPPUNIT_ASSERT_EQUAL(dir.path() + "/absent: cannot run", r.error);
    }

    void external_destinations() {
        testing::FakeResolver dns;
        dns.txt("_dmarc.example.com", {"v=DMARC1; p=reject"});
        dns.txt("example.com._report._dmarc.reports.example.net", {"v=DMARC1"});
        dns.txt("example.com._report._dmarc.wild.example", {"v=DMARC1; rua=mailto:x@wild.example"});
        dns.txt("example.com._report._dmarc.notdmarc.example", {"v=spf1 -all", "v=DMARC10"});
        dns.fail("example.com._report._dmarc.broken.example", dns::RrType::TXT, dns::Status::ServFail);
        dns.fail("_dmarc.dnsdown.example", dns::RrType::TXT, dns::Status::Timeout);
        const std::string long_name = std::string(60, 'a') + "." + std::string(60, 'b') + "." +
                                      std::string(60, 'c') + "." + std::string(60, 'd') + ".example";
        config::Config treewalk;  // dmarc_discovery = treewalk (the default)
        report::DnsReportAuth auth(dns, treewalk);
        using D = report::AuthDecision;
        struct Case {
            const char* label;
            const char* policy;
            const char* dest;
            D expected;
            int txt_queries;  // of <policy>._report._dmarc.<dest>
        } cases[] = {
            {"same domain", "example.com", "example.com", D::Authorized, 0},
            {"same organization (tree walk finds _dmarc.example.com)", "news.example.com",
             "Reports.Example.com", D::Authorized, 0},
            {"authorized", "example.com", "reports.example.net", D::Authorized, 1},
            {"authorized with tags", "example.com", "wild.example", D::Authorized, 1},
            {"no record", "example.com", "victim.example", D::Refused, 1},
            {"not a DMARC record", "example.com", "notdmarc.example", D::Refused, 1},
            {"temporary", "example.com", "broken.example", D::TempError, 1},
            {"organizational domain unknown", "example.com", "dnsdown.example", D::TempError, 0},
            {"name too long", "example.com", long_name.c_str(), D::Refused, 0},
        };
        for (const auto& c : cases) {
            dns.reset_counts();
            CPPUNIT_ASSERT_MESSAGE(c.label, c.expected == auth.authorize(c.policy, c.dest));
            std::string name = domain::lower(std::string(c.policy) + "._report._dmarc." + c.dest);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.label, c.txt_queries, dns.count(name, dns::RrType::TXT));
        }
    }

    void report_subjects() {
        struct Case {
            const char* subject;
            bool is_report;
        } cases[] = {
            {"Report Domain: example.com Submitter: mx.example.org Report-ID: <1@x>", true},
            {"Report Domain: example.com Submitter: mx.example.org", true},
            {"Report  Domain:\r\n\texample.com\r\n Submitter: google.com Report-ID: 123", true},
            {"Report Domain: example.com", false},
            {"report domain: example.com submitter: x.example", false},  // %s: case-sensitive
            {"Re: Report Domain: example.com Submitter: x.example", false},
            {"Weekly report", false},
            {"", false},
        };
        for (const auto& c : cases)
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.subject, c.is_report, report::is_report_subject(c.subject));
        report::MessageParts parts = sample_parts("<feedback/>");
        auto ours = testing::parse_mime(report::build_message(parts)).top.header("subject");
        CPPUNIT_ASSERT(report::is_report_subject(ours));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ReportMailTest);
