// Unit tests of sts::parse_policy (RFC 8461 §3.2) and Policy::matches
// (RFC 8461 §4.1): every case asserts validity, mode, max_age, mx,
// extensions and the error.
#include <cppunit/extensions/HelperMacros.h>

#include <string>
#include <vector>

#include "sts/policy.h"

namespace {

using Mode = sts::Mode;
using Strings = std::vector<std::string>;

struct Case {
    const char* label;
    std::string text;
    bool valid;
    Mode mode = Mode::None;
    std::uint32_t max_age = 0;
    Strings mx;
    std::vector<sts::Extension> extensions;
    const char* error = "";  // substring when invalid
};

Case ok(const char* label, std::string text, Mode mode, std::uint32_t max_age, Strings mx,
        std::vector<sts::Extension> ext = {}) {
    return {label, std::move(text), true, mode, max_age, std::move(mx), std::move(ext), ""};
}
Case bad(const char* label, std::string text, const char* error) {
    return {label, std::move(text), false, Mode::None, 0, {}, {}, error};
}

const std::string kHead = "version: STSv1\nmode: enforce\nmax_age: 86400\n";

const std::vector<Case> kCases = {
    ok("rfc example",
       "version: STSv1\nmode: enforce\nmx: mail.example.com\nmx: *.example.net\nmx: "
       "backupmx.example.com\nmax_age: 604800\n",
       Mode::Enforce, 604800, {"mail.example.com", "*.example.net", "backupmx.example.com"}),
    ok("crlf", "version: STSv1\r\nmode: testing\r\nmx: mx.example.com\r\nmax_age: 3600\r\n",
       Mode::Testing, 3600, {"mx.example.com"}),
    ok("no final newline", "version: STSv1\nmode: enforce\nmx: mx.example.com\nmax_age: 60",
       Mode::Enforce, 60, {"mx.example.com"}),
    ok("no final crlf", "version: STSv1\r\nmode: enforce\r\nmx: mx.example.com\r\nmax_age: 60",
       Mode::Enforce, 60, {"mx.example.com"}),
    ok("mixed line ends", "version: STSv1\r\nmode: enforce\nmx: mx.example.com\r\nmax_age: 60\n",
       Mode::Enforce, 60, {"mx.example.com"}),
    ok("blank lines ignored",
       "\nversion: STSv1\n\nmode: enforce\n  \n\tmx: mx.example.com\nmax_age: 60\n\n\n",
       Mode::Enforce, 60, {"mx.example.com"}),
    ok("blank crlf lines",
       "version: STSv1\r\n\r\nmode: enforce\r\nmx: mx.example.com\r\nmax_age: 60\r\n\r\n",
       Mode::Enforce, 60, {"mx.example.com"}),
    ok("no space after colon", "version:STSv1\nmode:enforce\nmx:mx.example.com\nmax_age:60\n",
       Mode::Enforce, 60, {"mx.example.com"}),
    ok("trailing white space",
       "version: STSv1 \nmode: enforce\t\nmx: mx.example.com  \nmax_age: 60 \n", Mode::Enforce, 60,
       {"mx.example.com"}),
    ok("any order", "max_age: 5\nmx: b.example\nmode: testing\nversion: STSv1\n", Mode::Testing, 5,
       {"b.example"}),
    ok("mode none without mx", "version: STSv1\nmode: none\nmax_age: 86400\n", Mode::None, 86400,
       {}),
    ok("mode none with mx", "version: STSv1\nmode: none\nmx: mx.example.com\nmax_age: 86400\n",
       Mode::None, 86400, {"mx.example.com"}),
    ok("max_age zero", "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 0\n", Mode::Enforce,
       0, {"a.example"}),
    ok("max_age at limit", "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 31557600\n",
       Mode::Enforce, 31557600, {"a.example"}),
    ok("max_age above limit clamped",
       "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 31557601\n", Mode::Enforce, 31557600,
       {"a.example"}),
    ok("max_age ten digits clamped",
       "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 9999999999\n", Mode::Enforce,
       31557600, {"a.example"}),
    ok("max_age leading zeros", "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 000060\n",
       Mode::Enforce, 60, {"a.example"}),
    ok("mx uppercase lowered", kHead + "mx: MX1.Example.COM\nmx: *.EXAMPLE.net\n", Mode::Enforce,
       86400, {"mx1.example.com", "*.example.net"}),
    ok("mx trailing dot", kHead + "mx: mx1.example.com.\n", Mode::Enforce, 86400,
       {"mx1.example.com"}),
    ok("mx duplicate kept once", kHead + "mx: a.example\nmx: A.example\nmx: b.example\n",
       Mode::Enforce, 86400, {"a.example", "b.example"}),
    ok("unicode mx",
       kHead + "mx: mx.b\xc3\xbc"
               "cher.example\n",
       Mode::Enforce, 86400, {"mx.xn--bcher-kva.example"}),
    ok("unicode wildcard mx",
       kHead + "mx: *.b\xc3\xbc"
               "cher.example\n",
       Mode::Enforce, 86400, {"*.xn--bcher-kva.example"}),
    ok("a-label mx", kHead + "mx: XN--BCHER-KVA.example\n", Mode::Enforce, 86400,
       {"xn--bcher-kva.example"}),
    ok("single label mx", kHead + "mx: localhost\n", Mode::Enforce, 86400, {"localhost"}),
    ok("extension kept", kHead + "mx: a.example\nfoo_bar: baz!\n", Mode::Enforce, 86400,
       {"a.example"}, {{"foo_bar", "baz!"}}),
    ok("extension value with spaces and utf-8 (mox)",
       "version:STSv1\r\nmode:\tenforce\r\nmx:  \t\t *.example.com\nmax_age: 1\nmore:ext e  ns ion "
       "\xe2\x82\xac",
       Mode::Enforce, 1, {"*.example.com"}, {{"more", "ext e  ns ion \xe2\x82\xac"}}),
    ok("extension names are case-sensitive fields", kHead + "mx: a.example\nMode: testing\n",
       Mode::Enforce, 86400, {"a.example"}, {{"Mode", "testing"}}),
    // Invalid policies.
    bad("empty", "", "missing version"),
    bad("blank only", "\n\r\n  \n", "missing version"),
    bad("missing version", "mode: enforce\nmx: a.example\nmax_age: 60\n", "missing version"),
    bad("missing mode", "version: STSv1\nmx: a.example\nmax_age: 60\n", "missing mode"),
    bad("missing max_age", "version: STSv1\nmode: enforce\nmx: a.example\n", "missing max_age"),
    bad("enforce without mx", "version: STSv1\nmode: enforce\nmax_age: 60\n", "missing mx"),
    bad("testing without mx", "version: STSv1\nmode: testing\nmax_age: 60\n", "missing mx"),
    bad("wrong version", "version: STSv2\nmode: enforce\nmx: a.example\nmax_age: 60\n",
        "version must be STSv1"),
    bad("lowercase version value", "version: stsv1\nmode: none\nmax_age: 60\n",
        "version must be STSv1"),
    bad("bad mode", "version: STSv1\nmode: reject\nmx: a.example\nmax_age: 60\n", "mode must be"),
    bad("uppercase mode", "version: STSv1\nmode: Enforce\nmx: a.example\nmax_age: 60\n",
        "mode must be"),
    bad("duplicate mode", kHead + "mode: testing\nmx: a.example\n", "duplicate mode"),
    bad("duplicate version", kHead + "version: STSv1\nmx: a.example\n", "duplicate version"),
    bad("duplicate max_age", kHead + "max_age: 60\nmx: a.example\n", "duplicate max_age"),
    bad("negative max_age", "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: -1\n",
        "max_age must be"),
    bad("max_age eleven digits",
        "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 10000000000\n", "max_age must be"),
    bad("max_age with unit", "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 1d\n",
        "max_age must be"),
    bad("max_age plus sign", "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: +60\n",
        "max_age must be"),
    bad("max_age empty", "version: STSv1\nmode: enforce\nmx: a.example\nmax_age:\n",
        "max_age must be"),
    bad("mx empty", kHead + "mx:\n", "empty mx"),
    bad("mx ipv4", kHead + "mx: 192.0.2.1\n", "not an IP address"),
    bad("mx ipv4 bracketed", kHead + "mx: [192.0.2.1]\n", "not an IP address"),
    bad("mx ipv6", kHead + "mx: 2001:db8::1\n", "invalid character"),
    bad("mx brace", kHead + "mx: {mx}.example.com\n", "invalid character"),
    bad("mx closing brace", kHead + "mx: mx.example.com}\n", "invalid character"),
    bad("mx equals", kHead + "mx: a=b.example\n", "invalid character"),
    bad("mx colon", kHead + "mx: mx.example.com:25\n", "invalid character"),
    bad("mx space inside", kHead + "mx: mx1.example.com mx2.example.com\n", "invalid character"),
    bad("mx comma list", kHead + "mx: a.example,b.example\n", "invalid character"),
    bad("mx underscore", kHead + "mx: mx_1.example.com\n", "invalid mx"),
    bad("mx double wildcard", kHead + "mx: *.*.example.com\n", "invalid mx"),
    bad("mx inner wildcard", kHead + "mx: mx.*.example.com\n", "invalid mx"),
    bad("mx bare star", kHead + "mx: *\n", "invalid mx"),
    bad("mx star dot", kHead + "mx: *.\n", "invalid mx"),
    bad("mx wildcard without dot", kHead + "mx: *example.com\n", "invalid mx"),
    bad("mx empty label", kHead + "mx: a..example\n", "invalid mx"),
    bad("mx leading hyphen", kHead + "mx: -mx.example.com\n", "invalid mx"),
    bad("mx long label", kHead + "mx: " + std::string(64, 'a') + ".example\n", "invalid mx"),
    bad("line without colon", kHead + "mx: a.example\njunk\n", "has no \":\""),
    bad("space before colon", kHead + "mx : a.example\n", "invalid field name"),
    bad("extension empty value", kHead + "mx: a.example\nfoo:\n", "invalid value"),
    bad("extension value with tab", kHead + "mx: a.example\nfoo: a\tb\n", "invalid value"),
    bad("extension value control",
        kHead + "mx: a.example\nfoo: a\x01"
                "b\n",
        "invalid value"),
    bad("extension value bad utf-8", kHead + "mx: a.example\nfoo: a\xc3(\n", "invalid value"),
    bad("extension value cut utf-8", kHead + "mx: a.example\nfoo: a\xe2\x82\n", "invalid value"),
    bad("extension bad name", kHead + "mx: a.example\n_foo: a\n", "invalid field name"),
    bad("lone cr inside value", "version: STSv1\rmode: enforce\nmx: a.example\nmax_age: 60\n",
        "version must be"),
    bad("too large",
        kHead + "mx: a.example\n" + "x: " + std::string(sts::kMaxPolicySize, 'y') + "\n",
        "longer than 65536"),
    bad("html error page", "<html><body>Not Found</body></html>", "has no \":\""),
};

struct MatchCase {
    const char* label;
    Strings mx;
    const char* host;
    bool matches;
};

const std::vector<MatchCase> kMatches = {
    {"exact", {"mx.example.com"}, "mx.example.com", true},
    {"exact case-insensitive", {"mx.example.com"}, "MX.Example.COM", true},
    {"exact trailing dot", {"mx.example.com"}, "mx.example.com.", true},
    {"exact differs", {"mx.example.com"}, "mx2.example.com", false},
    {"exact is not suffix", {"example.com"}, "mx.example.com", false},
    {"exact is not prefix", {"mx.example.com"}, "mx.example.com.evil", false},
    {"wildcard one label", {"*.example.com"}, "mx1.example.com", true},
    {"wildcard case and dot", {"*.example.com"}, "MX1.EXAMPLE.COM.", true},
    {"wildcard not the parent", {"*.example.com"}, "example.com", false},
    {"wildcard not two labels", {"*.example.com"}, "a.b.example.com", false},
    {"wildcard needs dot boundary", {"*.example.com"}, "mxexample.com", false},
    {"wildcard other domain", {"*.example.com"}, "mx.example.net", false},
    {"wildcard empty label", {"*.example.com"}, ".example.com", false},
    {"second pattern", {"a.example.com", "*.example.net"}, "b.example.net", true},
    {"no patterns", {}, "mx.example.com", false},
    {"empty host", {"mx.example.com"}, "", false},
    {"unicode host",
     {"mx.xn--bcher-kva.example"},
     "mx.b\xc3\xbc"
     "cher.example",
     true},
    {"unicode host under wildcard",
     {"*.xn--bcher-kva.example"},
     "MX.B\xc3\x9c"
     "CHER.example",
     true},
    {"literal star host", {"*.example.com"}, "*.example.com", false},
};

}  // namespace

class StsPolicyTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(StsPolicyTest);
    CPPUNIT_TEST(table);
    CPPUNIT_TEST(matches_table);
    CPPUNIT_TEST(mode_names);
    CPPUNIT_TEST_SUITE_END();

public:
    void table() {
        CPPUNIT_ASSERT(kCases.size() >= 40);
        for (const auto& c : kCases) {
            auto r = sts::parse_policy(c.text);
            std::string msg = std::string(c.label) + " -> " + r.error;
            CPPUNIT_ASSERT_EQUAL_MESSAGE(msg, c.valid, r.policy.has_value());
            if (!c.valid) {
                CPPUNIT_ASSERT_MESSAGE(msg, r.error.find(c.error) != std::string::npos);
                continue;
            }
            const auto& p = *r.policy;
            CPPUNIT_ASSERT_EQUAL_MESSAGE(msg, std::string(), r.error);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(msg, std::string("STSv1"), p.version);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(msg, std::string(sts::mode_name(c.mode)),
                                         std::string(sts::mode_name(p.mode)));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(msg, c.max_age, p.max_age);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(msg, c.mx.size(), p.mx.size());
            for (std::size_t i = 0; i < c.mx.size(); ++i)
                CPPUNIT_ASSERT_EQUAL_MESSAGE(msg, c.mx[i], p.mx[i]);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(msg, c.extensions.size(), p.extensions.size());
            for (std::size_t i = 0; i < c.extensions.size(); ++i) {
                CPPUNIT_ASSERT_EQUAL_MESSAGE(msg, c.extensions[i].first, p.extensions[i].first);
                CPPUNIT_ASSERT_EQUAL_MESSAGE(msg, c.extensions[i].second, p.extensions[i].second);
            }
        }
    }

    void matches_table() {
        CPPUNIT_ASSERT(kMatches.size() >= 15);
        for (const auto& c : kMatches) {
            sts::Policy p;
            p.mode = sts::Mode::Enforce;
            p.mx = c.mx;
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.label, c.matches, p.matches(c.host));
        }
    }

    void mode_names() {
        CPPUNIT_ASSERT_EQUAL(std::string("enforce"),
                             std::string(sts::mode_name(sts::Mode::Enforce)));
        CPPUNIT_ASSERT_EQUAL(std::string("testing"),
                             std::string(sts::mode_name(sts::Mode::Testing)));
        CPPUNIT_ASSERT_EQUAL(std::string("none"), std::string(sts::mode_name(sts::Mode::None)));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(StsPolicyTest);
