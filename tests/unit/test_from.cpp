// Unit tests of lib/mail/from: RFC 5322 §3.4 mailbox lists, obsolete syntax
// (§4.4), RFC 2047 display names, and the inputs that bypassed or crashed
// other DMARC filters. Each expectation renders every field of every
// mailbox: "[DISPLAY]LOCAL@DOMAIN" joined by " | ".
#include <cppunit/extensions/HelperMacros.h>

#include <string>

#include "mail/encoded_word.h"
#include "mail/from.h"

namespace {

std::string render(const mail::FromParse& p) {
    std::string out;
    for (const auto& m : p.mailboxes) {
        if (!out.empty()) out += " | ";
        out += "[" + m.display_name + "]" + m.local_part + "@" + m.domain;
    }
    return out;
}

struct Case {
    const char* label;
    const char* input;
    const char* expected;    // rendering, or nullptr for an error
    const char* error = "";  // error substring when expected is nullptr
};

const Case kCases[] = {
    {"addr-spec", "user@example.com", "[]user@example.com"},
    {"name-addr", "John Doe <jdoe@example.com>", "[John Doe]jdoe@example.com"},
    {"angle only", "<jdoe@example.com>", "[]jdoe@example.com"},
    {"quoted display", "\"Doe, John\" <jdoe@example.com>", "[Doe, John]jdoe@example.com"},
    {"quoted pair in display", "\"J \\\"JD\\\" Doe\" <jdoe@example.com>", "[J \"JD\" Doe]jdoe@example.com"},
    {"uppercase domain", "Jane <Jane@EXAMPLE.Org>", "[Jane]Jane@example.org"},
    {"comment after address", "jdoe@example.com (John Doe)", "[]jdoe@example.com"},
    {"nested comments everywhere", "(a (b)) John (c) <(d) jdoe (e) @ (f) example.com (g)> (h (i))",
     "[John]jdoe@example.com"},
    {"quoted local part", "\"john doe\"@example.com", "[]john doe@example.com"},
    {"quoted local part with at", "<\"a@b\"@example.com>", "[]a@b@example.com"},
    {"dot-atom local", "first.last+tag@sub.example.com", "[]first.last+tag@sub.example.com"},
    {"several mailboxes", "a@one.example, B <b@two.example>", "[]a@one.example | [B]b@two.example"},
    {"same domain twice", "a@example.com, b@example.com", "[]a@example.com | []b@example.com"},
    {"group", "Undisclosed: a@x.example, b@y.example;", "[]a@x.example | []b@y.example"},
    {"group then mailbox", "Team: A <a@x.example>;, c@z.example", "[A]a@x.example | []c@z.example"},
    {"empty group and mailbox", "Undisclosed recipients:;, real@example.com", "[]real@example.com"},
    {"obs phrase with dot", "John Q. Public <jqp@example.com>", "[John Q. Public]jqp@example.com"},
    {"obs local part cfws", "john (x) . (y) doe@example.com", "[]john.doe@example.com"},
    {"obs local part quoted words", "\"john\".\"doe\"@example.com", "[]john.doe@example.com"},
    {"obs domain cfws around dots", "a@example (c) . (d) com", "[]a@example.com"},
    {"obs route", "Joe <@relay.example,@other.example:joe@example.com>", "[Joe]joe@example.com"},
    {"obs empty elements", ", a@example.com,, b@example.net,", "[]a@example.com | []b@example.net"},
    {"folded", "John\r\n Doe\r\n\t<jdoe@example.com>", "[John Doe]jdoe@example.com"},
    {"lf folded", "John\n <jdoe@example.com>", "[John]jdoe@example.com"},
    {"trailing crlf", "jdoe@example.com\r\n", "[]jdoe@example.com"},
    {"encoded word q utf8", "=?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?= <j@example.de>", "[Jürgen Müller]j@example.de"},
    {"encoded word b utf8", "=?utf-8?B?SsO8cmdlbg==?= <j@example.de>", "[Jürgen]j@example.de"},
    {"encoded word latin1", "=?ISO-8859-1?Q?Andr=E9?= Pirard <pirard@example.be>", "[André Pirard]pirard@example.be"},
    {"adjacent encoded words joined", "=?utf-8?q?a?= =?utf-8?q?b?= c <x@example.com>", "[ab c]x@example.com"},
    {"unknown charset kept", "=?koi8-r?B?8NLJ18XU?= <x@example.ru>", "[=?koi8-r?B?8NLJ18XU?=]x@example.ru"},
    {"malformed encoded word kept", "=?utf-8?X?abc?= <x@example.com>", "[=?utf-8?X?abc?=]x@example.com"},
    {"encoded word in quotes not decoded", "\"=?utf-8?q?a?=\" <x@example.com>", "[=?utf-8?q?a?=]x@example.com"},
    {"u-label domain", "Bob <bob@bücher.example>", "[Bob]bob@xn--bcher-kva.example"},
    {"utf8 local part", "<jörg@example.com>", "[]jörg@example.com"},
    {"single label domain", "root@localhost", "[]root@localhost"},
    // errors: known bypasses and crashes
    {"unterminated comment bypass", "user@example.net(.example.com", nullptr, "unterminated comment"},
    {"unterminated comment in display", "(Bank <user@example.com>", nullptr, "unterminated comment"},
    {"element without domain", "a@x.example, b, c@x.example", nullptr, "without \"@domain\""},
    {"bare word", "postmaster", nullptr, "without \"@domain\""},
    {"empty domain", "a@", nullptr, "empty domain"},
    {"empty domain then more", "a@, b@example.com", nullptr, "empty domain"},
    {"empty local part", "@example.com", nullptr, "empty local part"},
    {"empty angle", "<>", nullptr, "empty address <>"},
    {"display with empty angle", "Mailer Daemon <>", nullptr, "empty address <>"},
    {"trailing garbage", "a@example.com garbage", nullptr, "expected \",\""},
    {"addr then angle", "ceo@bank.example <attacker@evil.example>", nullptr, "expected \",\""},
    {"domain literal", "user@[192.0.2.1]", nullptr, "domain literal"},
    {"ip as domain", "user@192.0.2.1", nullptr, "IP address literal"},
    {"trailing dot domain", "user@example.com.", nullptr, "empty domain label"},
    {"double dot domain", "user@example..com", nullptr, "empty domain label"},
    {"invalid domain char", "user@exa$mple.com", nullptr, "invalid domain"},
    {"unclosed angle", "Joe <joe@example.com", nullptr, "expected \">\""},
    {"unterminated quote", "\"Joe <joe@example.com>", nullptr, "unterminated quoted string"},
    {"empty", "", nullptr, "no mailbox"},
    {"only comment", "(nobody)", nullptr, "no mailbox"},
    {"empty group only", "Undisclosed recipients:;", nullptr, "no mailbox"},
    {"group not closed", "G: a@example.com", nullptr, "group not closed"},
    {"nested group", "G: H: a@example.com;;", nullptr, "group inside a group"},
    {"double at", "a@b@example.com", nullptr, "expected \",\""},
    {"local part trailing dot", "a.@example.com", nullptr, "local part ends"},
    {"local part double dot", "a..b@example.com", nullptr, "malformed local part"},
    {"bad fold", "a@example.com\r\nX: y", nullptr, "line break not followed"},
    {"semicolon outside group", "a@example.com; b@example.com", nullptr, "expected \",\""},
};

}  // namespace

class FromTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(FromTest);
    CPPUNIT_TEST(table);
    CPPUNIT_TEST(domains_distinct_in_order);
    CPPUNIT_TEST(limits);
    CPPUNIT_TEST(encoded_words);
    CPPUNIT_TEST_SUITE_END();

public:
    void table() {
        for (const auto& c : kCases) {
            auto r = mail::parse_from(c.input);
            if (c.expected) {
                CPPUNIT_ASSERT_MESSAGE(std::string(c.label) + ": " + r.error, r.ok());
                CPPUNIT_ASSERT_EQUAL_MESSAGE(c.label, std::string(c.expected), render(r));
            } else {
                CPPUNIT_ASSERT_MESSAGE(c.label, !r.ok());
                CPPUNIT_ASSERT_MESSAGE(c.label, r.mailboxes.empty());
                CPPUNIT_ASSERT_MESSAGE(std::string(c.label) + ": " + r.error,
                                       r.error.find(c.error) != std::string::npos);
            }
        }
    }

    void domains_distinct_in_order() {
        auto r = mail::parse_from("a@B.example, b@a.example, c@b.example, G: d@a.example;");
        CPPUNIT_ASSERT(r.ok());
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), r.mailboxes.size());
        auto d = r.domains();
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), d.size());
        CPPUNIT_ASSERT_EQUAL(std::string("b.example"), d[0]);
        CPPUNIT_ASSERT_EQUAL(std::string("a.example"), d[1]);
    }

    void limits() {
        std::string many;
        for (std::size_t i = 0; i <= mail::kMaxMailboxes; ++i) many += "a@example.com,";
        auto r = mail::parse_from(many);
        CPPUNIT_ASSERT(!r.ok());
        CPPUNIT_ASSERT(r.error.find("too many mailboxes") != std::string::npos);
        auto big = mail::parse_from("a@example.com (" + std::string(mail::kMaxFromHeader, 'x') + ")");
        CPPUNIT_ASSERT(!big.ok());
        CPPUNIT_ASSERT(big.error.find("longer than") != std::string::npos);
        auto deep = mail::parse_from("a@example.com " + std::string(200, '(') + std::string(200, ')'));
        CPPUNIT_ASSERT(!deep.ok());
        CPPUNIT_ASSERT(deep.error.find("nested too deeply") != std::string::npos);
    }

    void encoded_words() {
        CPPUNIT_ASSERT_EQUAL(std::string("a b"), mail::decode_encoded_word("=?us-ascii?Q?a_b?=").value());
        CPPUNIT_ASSERT_EQUAL(std::string("hi"), mail::decode_encoded_word("=?UTF-8*en?B?aGk=?=").value());
        CPPUNIT_ASSERT(!mail::decode_encoded_word("=?utf-8?B?a$b?=").has_value());   // bad base64
        CPPUNIT_ASSERT(!mail::decode_encoded_word("=?utf-8?Q?=4?=").has_value());    // truncated =XX
        CPPUNIT_ASSERT(!mail::decode_encoded_word("=?utf-8?B?aGk=a?=").has_value()); // data after pad
        CPPUNIT_ASSERT(!mail::decode_encoded_word("plain").has_value());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(FromTest);
