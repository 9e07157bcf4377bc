// Unit tests of lib/mail/authres: RFC 8601 §2.2 syntax and what OpenDKIM,
// OpenDMARC, policyd-spf, rspamd and Gmail write. Each case's expectation is
// a rendering of every parsed field:
//   ID[ v=VERSION]; METHOD[/V]=RESULT[ reason=<R>][ PTYPE.PROP=<VALUE>]...
#include <cppunit/extensions/HelperMacros.h>

#include <chrono>
#include <string>

#include "mail/authres.h"

namespace {

std::string render(const mail::AuthResults& h) {
    std::string out = h.authserv_id;
    if (!h.version.empty()) out += " v=" + h.version;
    if (h.results.empty()) out += "; none";
    for (const auto& r : h.results) {
        out += "; " + r.method;
        if (!r.version.empty()) out += "/" + r.version;
        out += "=" + r.result;
        if (!r.reason.empty()) out += " reason=<" + r.reason + ">";
        for (const auto& p : r.props) out += " " + p.ptype + "." + p.property + "=<" + p.value + ">";
    }
    return out;
}

struct Case {
    const char* label;
    const char* input;
    const char* expected;  // rendering, or nullptr for a syntax error
    const char* error = "";  // substring of the error when expected is nullptr
};

const Case kCases[] = {
    {"rfc example none", "example.org 1; none", "example.org v=1; none"},
    {"none without version", "example.com; none", "example.com; none"},
    {"rfc spf example", "example.com; spf=pass smtp.mailfrom=example.net",
     "example.com; spf=pass smtp.mailfrom=<example.net>"},
    {"rfc multiple with comment",
     "example.com; auth=pass (cram-md5) smtp.auth=sender@example.net; spf=pass smtp.mailfrom=example.net",
     "example.com; auth=pass smtp.auth=<sender@example.net>; spf=pass smtp.mailfrom=<example.net>"},
    {"rfc sender-id with reason",
     "example.com; sender-id=fail header.from=example.com; dkim=pass (good signature) header.d=example.com",
     "example.com; sender-id=fail header.from=<example.com>; dkim=pass header.d=<example.com>"},
    {"rfc 8601 b.7 comments galore",
     "foo.example.net (foobar) 1 (baz);\r\n    dkim (Because I like it) / 1 (One yay) = (wait for it) fail\r\n"
     "      policy (A dot can go here) . (like that) expired\r\n"
     "      (this surprised me) = (as I wasn't expecting it) 1362471462",
     "foo.example.net v=1; dkim/1=fail policy.expired=<1362471462>"},
    {"rfc 8601 b.4 iprev", "example.com; iprev=pass policy.iprev=192.0.2.200",
     "example.com; iprev=pass policy.iprev=<192.0.2.200>"},
    {"opendkim", "mail.example.org; dkim=pass (2048-bit key; unprotected) header.d=example.com header.i=@example.com header.b=AbCd+/12",
     "mail.example.org; dkim=pass header.d=<example.com> header.i=<@example.com> header.b=<AbCd+/12>"},
    {"opendkim job id", "mx.example.org/4BxyZ12abc; dkim=pass header.d=example.com header.s=sel header.b=AbCd",
     "mx.example.org/4BxyZ12abc; dkim=pass header.d=<example.com> header.s=<sel> header.b=<AbCd>"},
    {"opendmarc", "mx.example.org; dmarc=pass (p=none dis=none) header.from=example.com",
     "mx.example.org; dmarc=pass header.from=<example.com>"},
    {"policyd-spf", "mx.example.org; spf=pass (sender SPF authorized) smtp.mailfrom=example.com",
     "mx.example.org; spf=pass smtp.mailfrom=<example.com>"},
    {"spf address", "mx; spf=pass smtp.mailfrom=user@example.com",
     "mx; spf=pass smtp.mailfrom=<user@example.com>"},
    {"rspamd",
     "mx.example.org;\r\n\tdkim=pass header.d=example.com header.s=dkim header.b=Zx9QlAqP;\r\n\tspf=pass (mx.example.org: domain of bounce@example.com designates 192.0.2.1 as permitted sender) smtp.mailfrom=bounce@example.com;\r\n\tdmarc=pass (policy=reject) header.from=example.com",
     "mx.example.org; dkim=pass header.d=<example.com> header.s=<dkim> header.b=<Zx9QlAqP>; spf=pass smtp.mailfrom=<bounce@example.com>; dmarc=pass header.from=<example.com>"},
    {"gmail",
     "mx.google.com;\n       dkim=pass header.i=@example.com header.s=20230601 header.b=\"k3J/+Xy=\";\n       spf=pass (google.com: domain of a@example.com designates 2001:db8::1 as permitted sender) smtp.mailfrom=a@example.com;\n       dmarc=pass (p=REJECT sp=REJECT dis=NONE) header.from=example.com",
     "mx.google.com; dkim=pass header.i=<@example.com> header.s=<20230601> header.b=<k3J/+Xy=>; spf=pass smtp.mailfrom=<a@example.com>; dmarc=pass header.from=<example.com>"},
    {"uppercase method result ptype", "MX.Example.ORG; SPF=Pass SMTP.MailFrom=User@Example.COM",
     "MX.Example.ORG; spf=pass smtp.mailfrom=<User@Example.COM>"},
    {"method version", "mx; dkim/1=pass header.d=example.com", "mx; dkim/1=pass header.d=<example.com>"},
    {"method version with cfws", "mx; dkim (x) / (y) 2 = pass header.d=example.com",
     "mx; dkim/2=pass header.d=<example.com>"},
    {"reason quoted", "mx; dkim=fail reason=\"signature did not verify\" header.d=example.com",
     "mx; dkim=fail reason=<signature did not verify> header.d=<example.com>"},
    {"reason token", "mx; dmarc=fail reason=policy header.from=example.com",
     "mx; dmarc=fail reason=<policy> header.from=<example.com>"},
    {"quoted authserv-id", "\"mx example\"; spf=none", "mx example; spf=none"},
    {"quoted value with escapes", "mx; x-foo=pass header.x=\"a\\\"b\\\\c\"",
     "mx; x-foo=pass header.x=<a\"b\\c>"},
    {"quoted local part", "mx; spf=pass smtp.mailfrom=\"john doe\"@example.com",
     "mx; spf=pass smtp.mailfrom=<john doe@example.com>"},
    {"nested comments everywhere",
     "(a (b) c) mx (d) 1 (e); (f) spf (g) = (h) pass (i (j)) smtp (k) . (l) mailfrom (m) = (n) example.com (o)",
     "mx v=1; spf=pass smtp.mailfrom=<example.com>"},
    {"no space after semicolon", "mx;spf=pass smtp.helo=mail.example.com;dkim=none",
     "mx; spf=pass smtp.helo=<mail.example.com>; dkim=none"},
    {"trailing semicolon", "mx; spf=pass smtp.mailfrom=example.com;", "mx; spf=pass smtp.mailfrom=<example.com>"},
    {"unknown method kept", "mx; x-custom=weird policy.foo=bar; arc=none",
     "mx; x-custom=weird policy.foo=<bar>; arc=none"},
    {"iprev ipv6", "mx; iprev=pass policy.iprev=2001:db8::1", "mx; iprev=pass policy.iprev=<2001:db8::1>"},
    {"null sender value", "mx; spf=pass smtp.mailfrom=<> smtp.helo=h.example",
     "mx; spf=pass smtp.mailfrom=<<>> smtp.helo=<h.example>"},
    {"utf8 values", "mx; dkim=pass header.d=bücher.example", "mx; dkim=pass header.d=<bücher.example>"},
    {"trailing line break", "mx; spf=fail smtp.mailfrom=example.com\r\n",
     "mx; spf=fail smtp.mailfrom=<example.com>"},
    {"leading cfws", "  (comment)  mx; dkim=neutral", "mx; dkim=neutral"},
    // errors
    {"empty", "", nullptr, "expected an authserv-id"},
    {"no results", "example.com", nullptr, "expected \";\""},
    {"missing result", "mx; spf=", nullptr, "expected a result"},
    {"missing equals", "mx; spf pass", nullptr, "expected \"=\""},
    {"unterminated comment", "mx; spf=pass (oops smtp.mailfrom=example.com", nullptr, "unterminated comment"},
    {"unterminated quote", "mx; dkim=fail reason=\"oops", nullptr, "unterminated quoted string"},
    {"property without dot", "mx; dmarc=none action=none header.from=example.com", nullptr,
     "expected ptype.property=value"},
    {"reason after props", "mx; dkim=fail header.d=example.com reason=bad", nullptr, "misplaced reason"},
    {"empty property value", "mx; spf=pass smtp.mailfrom= ;", nullptr, "expected a property value"},
    {"none then more", "mx; none; spf=pass", nullptr, "results after \"none\""},
    {"none second", "mx; spf=pass; none", nullptr, "\"none\" after other results"},
    {"value glued to next", "mx; dkim=pass header.d=\"a\"header.s=b", nullptr, "expected white space"},
    {"bad fold", "mx; spf=pass\r\nsmtp.mailfrom=example.com", nullptr, "line break not followed"},
    {"empty resinfo", "mx; ; spf=pass", nullptr, "expected a method"},
    {"result glued", "mx; spf=pass.x", nullptr, "expected white space"},
};

}  // namespace

class AuthResTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(AuthResTest);
    CPPUNIT_TEST(table);
    CPPUNIT_TEST(prop_lookup);
    CPPUNIT_TEST(many_results_linear);
    CPPUNIT_TEST(limits);
    CPPUNIT_TEST_SUITE_END();

public:
    void table() {
        for (const auto& c : kCases) {
            auto r = mail::parse_authentication_results(c.input);
            if (c.expected) {
                CPPUNIT_ASSERT_MESSAGE(std::string(c.label) + ": " + r.error, r.header.has_value());
                CPPUNIT_ASSERT_EQUAL_MESSAGE(c.label, std::string(c.expected), render(*r.header));
                CPPUNIT_ASSERT_MESSAGE(c.label, r.error.empty());
            } else {
                CPPUNIT_ASSERT_MESSAGE(c.label, !r.header.has_value());
                CPPUNIT_ASSERT_MESSAGE(std::string(c.label) + ": " + r.error,
                                       r.error.find(c.error) != std::string::npos);
            }
        }
    }

    void prop_lookup() {
        auto r = mail::parse_authentication_results(
            "mx; dkim=pass header.d=a.example HEADER.S=sel header.d=second.example");
        CPPUNIT_ASSERT(r.header);
        const auto& res = r.header->results.at(0);
        CPPUNIT_ASSERT_EQUAL(std::string("a.example"), res.prop("header.d").value());
        CPPUNIT_ASSERT_EQUAL(std::string("sel"), res.prop("Header.S").value());
        CPPUNIT_ASSERT(!res.prop("header.i").has_value());
        CPPUNIT_ASSERT(!res.prop("d").has_value());
    }

    void many_results_linear() {
        // 900 results in one header: parses, every one kept, in order.
        std::string h = "mx.example.org";
        for (int i = 0; i < 900; ++i)
            h += ";\r\n\tdkim=pass (c (n)) header.d=d" + std::to_string(i) + ".example header.s=s";
        auto r = mail::parse_authentication_results(h);
        CPPUNIT_ASSERT_MESSAGE(r.error, r.header.has_value());
        CPPUNIT_ASSERT_EQUAL(std::size_t(900), r.header->results.size());
        CPPUNIT_ASSERT_EQUAL(std::string("d899.example"), r.header->results[899].prop("header.d").value());
    }

    void limits() {
        std::string h = "mx";
        for (std::size_t i = 0; i <= mail::kMaxAuthResults; ++i) h += ";a=b";
        auto r = mail::parse_authentication_results(h);
        CPPUNIT_ASSERT(!r.header);
        CPPUNIT_ASSERT_MESSAGE(r.error, r.error.find("too many results") != std::string::npos);
        std::string big = "mx; spf=pass smtp.mailfrom=" + std::string(mail::kMaxAuthResultsHeader, 'a');
        auto b = mail::parse_authentication_results(big);
        CPPUNIT_ASSERT(!b.header);
        CPPUNIT_ASSERT(b.error.find("longer than") != std::string::npos);
        std::string deep = "mx; spf=pass " + std::string(100, '(') + std::string(100, ')');
        auto d = mail::parse_authentication_results(deep);
        CPPUNIT_ASSERT(!d.header);
        CPPUNIT_ASSERT(d.error.find("nested too deeply") != std::string::npos);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(AuthResTest);
