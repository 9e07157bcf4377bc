// Unit tests of lib/mail/received_spf: RFC 7208 §9.1 and what policyd-spf
// (Python and Perl), Postfix-era filters and the RFC examples write.
#include <cppunit/extensions/HelperMacros.h>

#include <string>

#include "mail/received_spf.h"

namespace {

struct Case {
    const char* label;
    const char* input;
    // "result|comment|identity|envelope_from|helo|client_ip|receiver|problem|mechanism",
    // or nullptr for an error.
    const char* expected;
    const char* error = "";
};

std::string render(const mail::ReceivedSpf& r) {
    return r.result + "|" + r.comment + "|" + r.identity + "|" + r.envelope_from + "|" + r.helo + "|" +
           r.client_ip + "|" + r.receiver + "|" + r.problem + "|" + r.mechanism;
}

const Case kCases[] = {
    {"rfc example",
     "pass (mybox.example.org: domain of myname@example.com designates 192.0.2.1 as permitted sender)\r\n"
     "      receiver=mybox.example.org; client-ip=192.0.2.1;\r\n"
     "      envelope-from=\"myname@example.com\"; helo=foo.example.com;",
     "pass|mybox.example.org: domain of myname@example.com designates 192.0.2.1 as permitted sender||"
     "myname@example.com|foo.example.com|192.0.2.1|mybox.example.org||"},
    {"rfc example error",
     "permerror (mybox.example.org: domain of myname@example.com uses a mechanism not recognized by this client) "
     "problem=\"invalid mechanism\"",
     "permerror|mybox.example.org: domain of myname@example.com uses a mechanism not recognized by this client"
     "||||||invalid mechanism|"},
    {"policyd-spf python",
     "Pass (mailfrom) identity=mailfrom; client-ip=2001:db8::25; helo=mail.example.com; "
     "envelope-from=bounce@example.com; receiver=<UNKNOWN>",
     "pass|mailfrom|mailfrom|bounce@example.com|mail.example.com|2001:db8::25|<UNKNOWN>||"},
    {"policyd-spf helo", "None (no SPF record) identity=helo; client-ip=192.0.2.7; helo=h.example; envelope-from=<>; receiver=mx.example.org",
     "none|no SPF record|helo|<>|h.example|192.0.2.7|mx.example.org||"},
    {"result only", "softfail", "softfail||||||||"},
    {"mechanism and unknown keys", "fail (x) mechanism=\"-all\"; x-custom=1; identity=MailFrom",
     "fail|x|mailfrom||||||-all"},
    {"no comment", "neutral client-ip=192.0.2.1", "neutral|||||192.0.2.1|||"},
    {"nested comment kept", "temperror (a (b) c) helo=x.example", "temperror|a (b) c|||x.example||||"},
    {"unknown result", "maybe (x) helo=a", nullptr, "unknown SPF result"},
    {"empty", "", nullptr, "unknown SPF result"},
    {"glued", "passclient-ip=1.2.3.4", nullptr, "unknown SPF result"},
    {"unterminated comment", "pass (oops receiver=a", nullptr, "unterminated comment"},
    {"missing equals", "pass receiver", nullptr, "expected \"=\""},
    {"missing separator", "pass receiver=a helo=b", nullptr, "expected \";\""},
    {"duplicate key", "pass receiver=a; receiver=b", nullptr, "key given twice"},
};

}  // namespace

class ReceivedSpfTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ReceivedSpfTest);
    CPPUNIT_TEST(table);
    CPPUNIT_TEST(limits);
    CPPUNIT_TEST_SUITE_END();

public:
    void table() {
        for (const auto& c : kCases) {
            auto r = mail::parse_received_spf(c.input);
            if (c.expected) {
                CPPUNIT_ASSERT_MESSAGE(std::string(c.label) + ": " + r.error, r.header.has_value());
                CPPUNIT_ASSERT_EQUAL_MESSAGE(c.label, std::string(c.expected), render(*r.header));
            } else {
                CPPUNIT_ASSERT_MESSAGE(c.label, !r.header.has_value());
                CPPUNIT_ASSERT_MESSAGE(std::string(c.label) + ": " + r.error,
                                       r.error.find(c.error) != std::string::npos);
            }
        }
    }

    void limits() {
        std::string many = "pass x=1";
        for (std::size_t i = 0; i < mail::kMaxReceivedSpfPairs; ++i) many += "; x=1";
        auto r = mail::parse_received_spf(many);
        CPPUNIT_ASSERT(!r.header);
        CPPUNIT_ASSERT(r.error.find("too many") != std::string::npos);
        auto big = mail::parse_received_spf("pass (" + std::string(mail::kMaxReceivedSpfHeader, 'x') + ")");
        CPPUNIT_ASSERT(!big.header);
        CPPUNIT_ASSERT(big.error.find("longer than") != std::string::npos);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ReceivedSpfTest);
