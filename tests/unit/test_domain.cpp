// Unit tests of lib/domain: validation, case, trailing dot, IDNA, IP literals.
#include <cppunit/extensions/HelperMacros.h>

#include "domain.h"

namespace {

struct Case {
    const char* label;
    const char* input;
    const char* ascii;    // nullptr: must fail
    const char* unicode;  // or error substring when failing
    bool underscore = false;
};

const Case kCases[] = {
    {"plain", "example.com", "example.com", "example.com"},
    {"uppercase", "ExAmPlE.CoM", "example.com", "example.com"},
    {"trailing dot", "example.com.", "example.com", "example.com"},
    {"single label", "localhost", "localhost", "localhost"},
    {"hyphen inside", "my-host.example", "my-host.example", "my-host.example"},
    {"digits", "123.example", "123.example", "123.example"},
    {"u-label", "bücher.example", "xn--bcher-kva.example", "bücher.example"},
    {"u-label uppercase", "BÜCHER.example", "xn--bcher-kva.example", "bücher.example"},
    {"a-label", "XN--BCHER-KVA.example", "xn--bcher-kva.example", "bücher.example"},
    {"bad a-label", "xn--zz-.example", nullptr, "hyphen"},
    {"invalid a-label", "xn--a.example", nullptr, "A-label"},
    {"empty", "", nullptr, "empty"},
    {"only dot", ".", nullptr, "empty"},
    {"empty label", "a..example", nullptr, "empty label"},
    {"leading dot", ".example.com", nullptr, "empty label"},
    {"leading hyphen", "-a.example", nullptr, "hyphen"},
    {"trailing hyphen", "a-.example", nullptr, "hyphen"},
    {"underscore refused", "_dmarc.example.com", nullptr, "invalid character '_'"},
    {"underscore allowed", "_dmarc.Example.com", "_dmarc.example.com", "_dmarc.example.com", true},
    {"space", "exa mple.com", nullptr, "invalid character ' '"},
    {"paren", "example.net(.example.com", nullptr, "invalid character '('"},
    {"at sign", "user@example.com", nullptr, "invalid character '@'"},
    {"label 63", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example",
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example",
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example"},
    {"label 64", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example", nullptr,
     "longer than 63"},
    {"ipv4", "192.0.2.1", nullptr, "IP address literal"},
    {"ipv4 bracketed", "[192.0.2.1]", nullptr, "IP address literal"},
    {"ipv6 tagged", "[IPv6:2001:db8::1]", nullptr, "IP address literal"},
    {"numeric tld", "host.123", nullptr, "all digits"},
};

}  // namespace

class DomainTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(DomainTest);
    CPPUNIT_TEST(parse_table);
    CPPUNIT_TEST(name_length);
    CPPUNIT_TEST(ip_literals);
    CPPUNIT_TEST(parents);
    CPPUNIT_TEST_SUITE_END();

public:
    void parse_table() {
        for (const auto& c : kCases) {
            domain::ParseOptions opt;
            opt.allow_underscore = c.underscore;
            auto r = domain::parse(c.input, opt);
            if (c.ascii) {
                CPPUNIT_ASSERT_MESSAGE(std::string(c.label) + ": " + r.error, r.name.has_value());
                CPPUNIT_ASSERT_EQUAL_MESSAGE(c.label, std::string(c.ascii), r.name->ascii);
                CPPUNIT_ASSERT_EQUAL_MESSAGE(c.label, std::string(c.unicode), r.name->unicode);
            } else {
                CPPUNIT_ASSERT_MESSAGE(c.label, !r.name.has_value());
                CPPUNIT_ASSERT_MESSAGE(std::string(c.label) + ": " + r.error,
                                       r.error.find(c.unicode) != std::string::npos);
            }
        }
    }

    void name_length() {
        std::string label(63, 'a');
        std::string name = label + "." + label + "." + label + "." + std::string(61, 'b');  // 253
        CPPUNIT_ASSERT_EQUAL(std::size_t(253), name.size());
        CPPUNIT_ASSERT(domain::parse(name).name.has_value());
        CPPUNIT_ASSERT(domain::parse(name + ".").name.has_value());
        auto r = domain::parse(name + "b");
        CPPUNIT_ASSERT(!r.name.has_value());
        CPPUNIT_ASSERT(r.error.find("253") != std::string::npos);
        CPPUNIT_ASSERT(!domain::parse(std::string(5000, 'a')).name.has_value());
    }

    void ip_literals() {
        CPPUNIT_ASSERT(domain::is_ip_literal("127.0.0.1"));
        CPPUNIT_ASSERT(domain::is_ip_literal("::1"));
        CPPUNIT_ASSERT(domain::is_ip_literal("[::1]"));
        CPPUNIT_ASSERT(domain::is_ip_literal("[ipv6:2001:db8::1]"));
        CPPUNIT_ASSERT(!domain::is_ip_literal("example.com"));
        CPPUNIT_ASSERT(!domain::is_ip_literal("[example.com]"));
        CPPUNIT_ASSERT(!domain::is_ip_literal("1.2.3"));
        CPPUNIT_ASSERT(!domain::is_ip_literal(""));
        CPPUNIT_ASSERT(domain::is_ip_literal("192.0.2.10"));
        CPPUNIT_ASSERT(domain::is_ip_literal("::ffff:192.0.2.1"));
        CPPUNIT_ASSERT(!domain::is_ip_literal("192.0.2.1a"));
        CPPUNIT_ASSERT(!domain::is_ip_literal("1:2"));
        CPPUNIT_ASSERT(!domain::is_ip_literal("0x7f.0.0.1"));
        CPPUNIT_ASSERT(!domain::is_ip_literal(std::string(46, '1')));
    }

    void parents() {
        CPPUNIT_ASSERT_EQUAL(std::string("b.c"), std::string(domain::parent("a.b.c")));
        CPPUNIT_ASSERT_EQUAL(std::string(""), std::string(domain::parent("c")));
        auto l = domain::labels("a.b.c");
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), l.size());
        CPPUNIT_ASSERT_EQUAL(std::string("b"), std::string(l[1]));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(DomainTest);
