// net::parse_address, parse_network and NetworkList: IPv4, IPv6, mapped
// addresses, prefix edges and malformed input.
#include <cppunit/extensions/HelperMacros.h>

#include "net/cidr.h"

class CidrTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(CidrTest);
    CPPUNIT_TEST(addresses);
    CPPUNIT_TEST(networks_parse);
    CPPUNIT_TEST(membership);
    CPPUNIT_TEST(list);
    CPPUNIT_TEST_SUITE_END();

public:
    void addresses() {
        struct Case {
            const char* label;
            const char* text;
            bool ok;
            bool v6;
            const char* canonical;
        };
        const Case cases[] = {
            {"ipv4", "192.0.2.1", true, false, "192.0.2.1"},
            {"ipv6", "2001:DB8::1", true, true, "2001:db8::1"},
            {"bracketed", "[2001:db8::2]", true, true, "2001:db8::2"},
            {"postfix prefix", "IPv6:::1", true, true, "::1"},
            {"mapped is ipv4", "::ffff:10.1.2.3", true, false, "10.1.2.3"},
            {"empty", "", false, false, ""},
            {"name", "localhost", false, false, ""},
            {"short ipv4", "10.1", false, false, ""},
            {"octet overflow", "256.1.1.1", false, false, ""},
            {"with prefix", "10.0.0.0/8", false, false, ""},
        };
        for (const auto& c : cases) {
            auto a = net::parse_address(c.text);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.label, c.ok, a.has_value());
            if (!a) continue;
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.label, c.v6, a->v6);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.label, std::string(c.canonical), a->to_string());
        }
    }

    void networks_parse() {
        struct Case {
            const char* label;
            const char* text;
            const char* canonical;  // "" when an error is expected
            const char* error_part;
        };
        const Case cases[] = {
            {"v4 /8", "10.0.0.0/8", "10.0.0.0/8", ""},
            {"v4 host", "192.0.2.7", "192.0.2.7/32", ""},
            {"v4 /0", "0.0.0.0/0", "0.0.0.0/0", ""},
            {"v6 /32", "2001:db8::/32", "2001:db8::/32", ""},
            {"v6 host", "::1", "::1/128", ""},
            {"mapped /104", "::ffff:10.0.0.0/104", "10.0.0.0/8", ""},
            {"host bits", "10.0.0.1/8", "", "bits set beyond"},
            {"v6 host bits", "2001:db8::1/64", "", "bits set beyond"},
            {"prefix too long", "10.0.0.0/33", "", "bad prefix length"},
            {"v6 prefix too long", "::/129", "", "bad prefix length"},
            {"empty prefix", "10.0.0.0/", "", "bad prefix length"},
            {"signed prefix", "10.0.0.0/+8", "", "bad prefix length"},
            {"junk prefix", "10.0.0.0/8x", "", "bad prefix length"},
            {"mapped too short", "::ffff:0.0.0.0/90", "", "shorter than /96"},
            {"not an address", "example.com/24", "", "not an IP address"},
        };
        for (const auto& c : cases) {
            auto p = net::parse_network(c.text);
            if (*c.canonical) {
                CPPUNIT_ASSERT_MESSAGE(std::string(c.label) + ": " + p.error, p.network.has_value());
                CPPUNIT_ASSERT_EQUAL_MESSAGE(c.label, std::string(c.canonical), p.network->to_string());
                CPPUNIT_ASSERT_MESSAGE(c.label, p.error.empty());
            } else {
                CPPUNIT_ASSERT_MESSAGE(c.label, !p.network.has_value());
                CPPUNIT_ASSERT_MESSAGE(std::string(c.label) + ": " + p.error,
                                       p.error.find(c.error_part) != std::string::npos);
            }
        }
    }

    void membership() {
        struct Case {
            const char* label;
            const char* network;
            const char* address;
            bool inside;
        };
        const Case cases[] = {
            {"inside /8", "10.0.0.0/8", "10.255.1.2", true},
            {"outside /8", "10.0.0.0/8", "11.0.0.1", false},
            {"odd prefix inside", "192.0.2.128/25", "192.0.2.200", true},
            {"odd prefix outside", "192.0.2.128/25", "192.0.2.127", false},
            {"/0 matches every v4", "0.0.0.0/0", "203.0.113.9", true},
            {"/0 v4 does not match v6", "0.0.0.0/0", "2001:db8::1", false},
            {"mapped client in v4 net", "10.0.0.0/8", "::ffff:10.9.9.9", true},
            {"v6 /32 inside", "2001:db8::/32", "2001:db8:ffff::1", true},
            {"v6 /32 outside", "2001:db8::/32", "2001:db9::1", false},
            {"v6 /127 edge", "2001:db8::/127", "2001:db8::1", true},
            {"v6 /127 beyond", "2001:db8::/127", "2001:db8::2", false},
            {"host exact", "127.0.0.1", "127.0.0.1", true},
            {"host other", "127.0.0.1", "127.0.0.2", false},
        };
        for (const auto& c : cases) {
            auto n = net::parse_network(c.network);
            auto a = net::parse_address(c.address);
            CPPUNIT_ASSERT_MESSAGE(c.label, n.network && a);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.label, c.inside, n.network->contains(*a));
        }
    }

    void list() {
        std::string error;
        auto l = net::NetworkList::parse({"192.0.2.0/24", "2001:db8::/48"}, error);
        CPPUNIT_ASSERT(l.has_value());
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), l->size());
        CPPUNIT_ASSERT(l->contains(*net::parse_address("192.0.2.99")));
        CPPUNIT_ASSERT(l->contains(*net::parse_address("2001:db8:0:1::5")));
        CPPUNIT_ASSERT(!l->contains(*net::parse_address("198.51.100.1")));
        auto bad = net::NetworkList::parse({"192.0.2.0/24", "192.0.2.1/24"}, error);
        CPPUNIT_ASSERT(!bad.has_value());
        CPPUNIT_ASSERT_MESSAGE(error, error.find("192.0.2.1/24") != std::string::npos);
        auto empty = net::NetworkList::parse({}, error);
        CPPUNIT_ASSERT(empty && empty->empty());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(CidrTest);
