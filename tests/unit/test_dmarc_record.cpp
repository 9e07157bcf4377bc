// Unit tests of lib/dmarc/record: the DMARC record parser (RFC 7489 §6.3/§6.4,
// RFC 9989 §4.7). Every case asserts is_dmarc, valid, the error and every
// field of the parsed record, through one canonical rendering.
#include <cppunit/extensions/HelperMacros.h>

#include <string>

#include "dmarc/record.h"

namespace {

// Every field of a Record in a fixed order; p_explicit shows as "(fallback)".
std::string render(const dmarc::Record& r) {
    auto list = [](const std::vector<std::string>& v) {
        std::string s;
        for (const auto& x : v) s += (s.empty() ? "" : ":") + x;
        return s;
    };
    auto uris = [](const std::vector<dmarc::ReportUri>& v) {
        std::string s;
        for (const auto& u : v) {
            s += (s.empty() ? "" : ",") + u.uri;
            if (u.max_size_bytes) s += "!" + std::to_string(*u.max_size_bytes);
        }
        return s;
    };
    std::string s = "p=" + std::string(dmarc::policy_name(r.p)) + (r.p_explicit ? "" : "(fallback)");
    s += " sp=" + std::string(dmarc::policy_name(r.sp)) + (r.sp_explicit ? "!" : "");
    s += " np=" + std::string(dmarc::policy_name(r.np)) + (r.np_explicit ? "!" : "");
    s += " adkim=" + std::string(dmarc::alignment_name(r.adkim));
    s += " aspf=" + std::string(dmarc::alignment_name(r.aspf));
    s += " pct=" + std::to_string(r.pct) + " fo=" + list(r.fo) + " rf=" + list(r.rf);
    s += " ri=" + std::to_string(r.ri) + " rua=" + uris(r.rua) + " ruf=" + uris(r.ruf);
    s += " psd=" + std::string(1, r.psd) + " t=" + (r.testing ? "y" : "n");
    return s;
}

constexpr const char* kTail = " adkim=r aspf=r pct=100 fo=0 rf=afrf ri=86400 rua= ruf= psd=u t=n";

struct Case {
    const char* label;
    std::string txt;
    bool is_dmarc;
    bool valid;
    std::string expect;  // valid: render(); invalid: substring of the error
    const char* warning = nullptr;  // substring of a warning, when one is expected
};

std::string none_all(const std::string& tail = kTail) { return "p=none sp=none np=none" + tail; }

const std::string kA = "mailto:a@example.com";

std::string many_uris(int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s += (i ? "," : "") + kA;
    return s;
}

const Case kCases[] = {
    // --- valid: structure and white space (RFC 7489 §6.4 dmarc-sep, *WSP) ---
    {"minimal", "v=DMARC1; p=none", true, true, none_all()},
    {"reject", "v=DMARC1; p=reject", true, true, std::string("p=reject sp=reject np=reject") + kTail},
    {"trailing separator", "v=DMARC1; p=quarantine;", true, true,
     std::string("p=quarantine sp=quarantine np=quarantine") + kTail},
    {"no spaces", "v=DMARC1;p=reject", true, true, std::string("p=reject sp=reject np=reject") + kTail},
    {"spaces around = and ;", "v = DMARC1 ; p = reject ; ", true, true,
     std::string("p=reject sp=reject np=reject") + kTail},
    {"tabs", "\tv=DMARC1;\tp=reject\t", true, true, std::string("p=reject sp=reject np=reject") + kTail},
    {"tag names and keywords case-insensitive", "V=DMARC1; P=Reject; ADKIM=S", true, true,
     "p=reject sp=reject np=reject adkim=s aspf=r pct=100 fo=0 rf=afrf ri=86400 rua= ruf= psd=u t=n"},
    // --- p / sp / np and their defaults (RFC 7489 §6.3, RFC 9989 §4.7) ---
    {"sp explicit", "v=DMARC1; p=reject; sp=none", true, true, std::string("p=reject sp=none! np=none") + kTail},
    {"sp and np explicit", "v=DMARC1; p=none; sp=quarantine; np=reject", true, true,
     std::string("p=none sp=quarantine! np=reject!") + kTail},
    {"np without sp", "v=DMARC1; p=reject; np=none", true, true, std::string("p=reject sp=reject np=none!") + kTail},
    {"np defaults to sp", "v=DMARC1; p=none; sp=reject", true, true,
     std::string("p=none sp=reject! np=reject") + kTail},
    // --- alignment modes ---
    {"strict both", "v=DMARC1; p=none; adkim=s; aspf=s", true, true,
     "p=none sp=none np=none adkim=s aspf=s pct=100 fo=0 rf=afrf ri=86400 rua= ruf= psd=u t=n"},
    {"mixed case modes", "v=DMARC1; p=none; adkim=S; aspf=R", true, true,
     "p=none sp=none np=none adkim=s aspf=r pct=100 fo=0 rf=afrf ri=86400 rua= ruf= psd=u t=n"},
    // --- pct (RFC 7489 §6.3) ---
    {"pct 0", "v=DMARC1; p=reject; pct=0", true, true,
     "p=reject sp=reject np=reject adkim=r aspf=r pct=0 fo=0 rf=afrf ri=86400 rua= ruf= psd=u t=n"},
    {"pct 50", "v=DMARC1; p=none; pct=50", true, true,
     "p=none sp=none np=none adkim=r aspf=r pct=50 fo=0 rf=afrf ri=86400 rua= ruf= psd=u t=n"},
    {"pct 100", "v=DMARC1; p=none; pct=100", true, true, none_all()},
    {"pct leading zeros", "v=DMARC1; p=none; pct=007", true, true,
     "p=none sp=none np=none adkim=r aspf=r pct=7 fo=0 rf=afrf ri=86400 rua= ruf= psd=u t=n"},
    // --- fo, rf, ri ---
    {"fo 1", "v=DMARC1; p=none; fo=1", true, true,
     "p=none sp=none np=none adkim=r aspf=r pct=100 fo=1 rf=afrf ri=86400 rua= ruf= psd=u t=n"},
    {"fo list", "v=DMARC1; p=none; fo=0:1:d:s", true, true,
     "p=none sp=none np=none adkim=r aspf=r pct=100 fo=0:1:d:s rf=afrf ri=86400 rua= ruf= psd=u t=n"},
    {"fo list with spaces", "v=DMARC1; p=none; fo = 1 : d", true, true,
     "p=none sp=none np=none adkim=r aspf=r pct=100 fo=1:d rf=afrf ri=86400 rua= ruf= psd=u t=n"},
    {"fo uppercase", "v=DMARC1; p=none; fo=D", true, true,
     "p=none sp=none np=none adkim=r aspf=r pct=100 fo=d rf=afrf ri=86400 rua= ruf= psd=u t=n"},
    {"rf afrf", "v=DMARC1; p=none; rf=afrf", true, true, none_all()},
    {"rf list", "v=DMARC1; p=none; rf=AFRF:iodef", true, true,
     "p=none sp=none np=none adkim=r aspf=r pct=100 fo=0 rf=afrf:iodef ri=86400 rua= ruf= psd=u t=n"},
    {"ri 3600", "v=DMARC1; p=none; ri=3600", true, true,
     "p=none sp=none np=none adkim=r aspf=r pct=100 fo=0 rf=afrf ri=3600 rua= ruf= psd=u t=n"},
    {"ri 0", "v=DMARC1; p=none; ri=0", true, true,
     "p=none sp=none np=none adkim=r aspf=r pct=100 fo=0 rf=afrf ri=0 rua= ruf= psd=u t=n"},
    {"ri max", "v=DMARC1; p=none; ri=4294967295", true, true,
     "p=none sp=none np=none adkim=r aspf=r pct=100 fo=0 rf=afrf ri=4294967295 rua= ruf= psd=u t=n"},
    // --- rua / ruf (RFC 7489 §6.2, §6.4 dmarc-uri) ---
    {"rua one", "v=DMARC1; p=none; rua=" + kA, true, true,
     "p=none sp=none np=none adkim=r aspf=r pct=100 fo=0 rf=afrf ri=86400 rua=" + kA + " ruf= psd=u t=n"},
    {"rua two", "v=DMARC1; p=none; rua=" + kA + ",mailto:b@example.net", true, true,
     "p=none sp=none np=none adkim=r aspf=r pct=100 fo=0 rf=afrf ri=86400 rua=" + kA +
         ",mailto:b@example.net ruf= psd=u t=n"},
    {"rua size m", "v=DMARC1; p=none; rua=" + kA + "!10m", true, true,
     "p=none sp=none np=none adkim=r aspf=r pct=100 fo=0 rf=afrf ri=86400 rua=" + kA + "!10485760 ruf= psd=u t=n"},
    {"rua size bytes", "v=DMARC1; p=none; rua=" + kA + "!10", true, true,
     "p=none sp=none np=none adkim=r aspf=r pct=100 fo=0 rf=afrf ri=86400 rua=" + kA + "!10 ruf= psd=u t=n"},
    {"rua sizes k and g, spaces", "v=DMARC1; p=none; rua=" + kA + "!2k , mailto:b@x.org!1G", true, true,
     "p=none sp=none np=none adkim=r aspf=r pct=100 fo=0 rf=afrf ri=86400 rua=" + kA +
         "!2048,mailto:b@x.org!1073741824 ruf= psd=u t=n"},
    {"rua size t", "v=DMARC1; p=none; rua=" + kA + "!1t", true, true,
     "p=none sp=none np=none adkim=r aspf=r pct=100 fo=0 rf=afrf ri=86400 rua=" + kA +
         "!1099511627776 ruf= psd=u t=n"},
    {"ruf", "v=DMARC1; p=none; ruf=mailto:f@example.com", true, true,
     "p=none sp=none np=none adkim=r aspf=r pct=100 fo=0 rf=afrf ri=86400 rua= ruf=mailto:f@example.com psd=u t=n"},
    {"rua https", "v=DMARC1; p=none; rua=https://example.com/r?x=1", true, true,
     "p=none sp=none np=none adkim=r aspf=r pct=100 fo=0 rf=afrf ri=86400 rua=https://example.com/r?x=1 ruf= psd=u "
     "t=n"},
    {"rua percent-encoded comma", "v=DMARC1; p=none; rua=mailto:a%2Cb@example.com", true, true,
     "p=none sp=none np=none adkim=r aspf=r pct=100 fo=0 rf=afrf ri=86400 rua=mailto:a%2Cb@example.com ruf= psd=u "
     "t=n"},
    {"32 URIs", "v=DMARC1; p=none; rua=" + many_uris(32), true, true,
     "p=none sp=none np=none adkim=r aspf=r pct=100 fo=0 rf=afrf ri=86400 rua=" + many_uris(32) +
         " ruf= psd=u t=n"},
    // --- RFC 9989 psd and t ---
    {"psd y", "v=DMARC1; p=reject; psd=y", true, true,
     "p=reject sp=reject np=reject adkim=r aspf=r pct=100 fo=0 rf=afrf ri=86400 rua= ruf= psd=y t=n"},
    {"psd n", "v=DMARC1; p=none; psd=N", true, true,
     "p=none sp=none np=none adkim=r aspf=r pct=100 fo=0 rf=afrf ri=86400 rua= ruf= psd=n t=n"},
    {"psd u", "v=DMARC1; p=none; psd=u", true, true, none_all()},
    {"t y", "v=DMARC1; p=reject; t=y", true, true,
     "p=reject sp=reject np=reject adkim=r aspf=r pct=100 fo=0 rf=afrf ri=86400 rua= ruf= psd=u t=y"},
    {"t n", "v=DMARC1; p=reject; t=n", true, true, std::string("p=reject sp=reject np=reject") + kTail},
    // --- unknown tags (RFC 7489 §6.3: ignored) ---
    {"unknown tag", "v=DMARC1; p=none; foo=bar", true, true, none_all()},
    {"unknown tag odd value", "v=DMARC1; p=none; x_1=any thing, goes!", true, true, none_all()},
    {"unknown tag empty value", "v=DMARC1; p=none; ext=", true, true, none_all()},
    // --- order and the rua fallback (RFC 7489 §6.3/§6.6.3, RFC 9989 §4.7) ---
    {"p after rua", "v=DMARC1; rua=" + kA + "; p=reject", true, true,
     "p=reject sp=reject np=reject adkim=r aspf=r pct=100 fo=0 rf=afrf ri=86400 rua=" + kA + " ruf= psd=u t=n",
     "right after v"},
    {"no p, valid rua", "v=DMARC1; rua=" + kA, true, true,
     "p=none(fallback) sp=none np=none adkim=r aspf=r pct=100 fo=0 rf=afrf ri=86400 rua=" + kA + " ruf= psd=u t=n",
     "no p tag"},
    {"bad p, valid rua", "v=DMARC1; p=bogus; rua=" + kA, true, true,
     "p=none(fallback) sp=none np=none adkim=r aspf=r pct=100 fo=0 rf=afrf ri=86400 rua=" + kA + " ruf= psd=u t=n",
     "invalid p value"},
    {"bad sp, valid rua", "v=DMARC1; p=reject; sp=bogus; rua=" + kA, true, true,
     "p=none(fallback) sp=none np=none adkim=r aspf=r pct=100 fo=0 rf=afrf ri=86400 rua=" + kA + " ruf= psd=u t=n",
     "invalid sp value"},
    {"everything", "v=DMARC1; p=quarantine; sp=reject; np=reject; adkim=s; aspf=s; pct=25; fo=1:d; rf=afrf; "
                   "ri=600; rua=" + kA + "!5k; ruf=mailto:f@example.com; psd=n; t=y",
     true, true,
     "p=quarantine sp=reject! np=reject! adkim=s aspf=s pct=25 fo=1:d rf=afrf ri=600 rua=" + kA +
         "!5120 ruf=mailto:f@example.com psd=n t=y"},
    {"v with spaces around =", "v = DMARC1;p=none", true, true, none_all()},
    // --- errors in the remainder: default used, warning (RFC 7489 §6.3, RFC 9989 §4.7) ---
    {"bad adkim", "v=DMARC1; p=reject; adkim=x", true, true, std::string("p=reject sp=reject np=reject") + kTail,
     "invalid adkim"},
    {"bad aspf", "v=DMARC1; p=reject; aspf=relaxed", true, true, std::string("p=reject sp=reject np=reject") + kTail,
     "invalid aspf"},
    {"pct 101", "v=DMARC1; p=reject; pct=101", true, true, std::string("p=reject sp=reject np=reject") + kTail,
     "invalid pct"},
    {"pct negative", "v=DMARC1; p=none; pct=-1", true, true, none_all(), "invalid pct"},
    {"pct text", "v=DMARC1; p=none; pct=abc", true, true, none_all(), "invalid pct"},
    {"pct four digits", "v=DMARC1; p=none; pct=0100", true, true, none_all(), "invalid pct"},
    {"fo 2", "v=DMARC1; p=none; fo=2", true, true, none_all(), "invalid fo"},
    {"fo bad item", "v=DMARC1; p=none; fo=0:x", true, true, none_all(), "invalid fo"},
    {"fo empty", "v=DMARC1; p=none; fo=", true, true, none_all(), "invalid fo"},
    {"rf empty", "v=DMARC1; p=none; rf=", true, true, none_all(), "invalid rf"},
    {"ri text", "v=DMARC1; p=none; ri=abc", true, true, none_all(), "invalid ri"},
    {"ri overflow", "v=DMARC1; p=none; ri=4294967296", true, true, none_all(), "invalid ri"},
    {"psd x", "v=DMARC1; p=none; psd=x", true, true, none_all(), "invalid psd"},
    {"t yes", "v=DMARC1; p=reject; t=yes", true, true, std::string("p=reject sp=reject np=reject") + kTail,
     "invalid t"},
    {"rua without scheme", "v=DMARC1; p=none; rua=a@example.com", true, true, none_all(), "invalid URI"},
    {"rua bad unit", "v=DMARC1; p=none; rua=" + kA + "!10x", true, true, none_all(), "invalid size unit"},
    {"rua empty size", "v=DMARC1; p=none; rua=" + kA + "!", true, true, none_all(), "invalid size limit"},
    {"rua size overflow", "v=DMARC1; p=none; rua=" + kA + "!99999999999999999999t", true, true, none_all(),
     "invalid size limit"},
    {"rua bad item dropped, others kept", "v=DMARC1; p=none; rua=" + kA + ",,mailto:b@x.org", true, true,
     "p=none sp=none np=none adkim=r aspf=r pct=100 fo=0 rf=afrf ri=86400 rua=" + kA +
         ",mailto:b@x.org ruf= psd=u t=n",
     "invalid URI \"\""},
    {"rua space inside", "v=DMARC1; p=none; rua=mailto:a b@example.com", true, true, none_all(), "invalid URI"},
    {"ruf empty scheme", "v=DMARC1; p=none; ruf=:x", true, true, none_all(), "invalid URI"},
    {"rua too many", "v=DMARC1; p=none; rua=" + many_uris(33), true, true,
     "p=none sp=none np=none adkim=r aspf=r pct=100 fo=0 rf=afrf ri=86400 rua=" + many_uris(32) +
         " ruf= psd=u t=n",
     "more than 32"},
    {"empty tag", "v=DMARC1;; p=none", true, true, none_all(), "empty tag"},
    {"two trailing separators", "v=DMARC1; p=none;;", true, true, none_all(), "empty tag"},
    {"tag name with digit first", "v=DMARC1; p=none; 1x=y", true, true, none_all(), "malformed tag"},
    // --- DMARC records with syntax errors (permerror) ---
    {"bare version", "v=DMARC1", true, false, "no p tag"},
    {"version and separator", "v=DMARC1;", true, false, "no p tag"},
    {"bad p", "v=DMARC1; p=bogus", true, false, "invalid p value"},
    {"bad sp no rua", "v=DMARC1; p=reject; sp=bogus", true, false, "invalid sp value"},
    {"bad np no rua", "v=DMARC1; p=reject; np=x", true, false, "invalid np value"},
    {"bad p and no valid rua", "v=DMARC1; p=bogus; rua=nope", true, false, "invalid p value", "invalid URI"},
    {"p without =", "v=DMARC1; p", true, false, "no p tag", "malformed tag"},
    {"duplicate p", "v=DMARC1; p=none; p=reject", true, false, "duplicate tag \"p\""},
    {"duplicate v", "v=DMARC1; p=none; v=DMARC1", true, false, "duplicate tag \"v\""},
    {"duplicate case-insensitive", "v=DMARC1; p=none; P=none", true, false, "duplicate tag \"p\""},
    {"missing separator after v", "v=DMARC1 p=none", true, false, "followed by"},
    {"too long", "v=DMARC1; p=none; x=" + std::string(dmarc::kMaxRecordLength, 'a'), true, false, "longer than"},
    // --- not DMARC records at all (skipped during discovery) ---
    {"empty", "", false, false, "not a DMARC record"},
    {"spf", "v=spf1 -all", false, false, "not a DMARC record"},
    {"other version", "v=DMARC2; p=none", false, false, "not a DMARC record"},
    {"lowercase version", "v=dmarc1; p=none", false, false, "not a DMARC record"},
    {"v not first", "p=none; v=DMARC1", false, false, "not a DMARC record"},
    {"version prefix", "v=DMARC10; p=none", false, false, "not a DMARC record"},
    {"text", "google-site-verification=abc", false, false, "not a DMARC record"},
    {"newline before v", "\nv=DMARC1; p=none", false, false, "not a DMARC record"},
};

}  // namespace

class DmarcRecordTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(DmarcRecordTest);
    CPPUNIT_TEST(table);
    CPPUNIT_TEST_SUITE_END();

public:
    void table() {
        for (const auto& c : kCases) {
            std::string label = c.label;
            auto r = dmarc::parse_record(c.txt);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(label + " is_dmarc", c.is_dmarc, r.is_dmarc);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(label + " valid (" + r.error + ")", c.valid, r.valid);
            if (c.valid) {
                CPPUNIT_ASSERT_MESSAGE(label, r.record.has_value());
                CPPUNIT_ASSERT_EQUAL_MESSAGE(label, std::string(), r.error);
                CPPUNIT_ASSERT_EQUAL_MESSAGE(label, c.expect, render(*r.record));
            } else {
                CPPUNIT_ASSERT_MESSAGE(label, !r.record.has_value());
                CPPUNIT_ASSERT_MESSAGE(label + ": error \"" + r.error + "\"", r.error.find(c.expect) != std::string::npos);
            }
            bool warned = false;
            for (const auto& w : r.warnings) warned = warned || (c.warning && w.find(c.warning) != std::string::npos);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(label + " warnings", c.warning != nullptr, warned);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(label + " warning count", std::size_t(c.warning ? 1 : 0), r.warnings.size());
        }
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(DmarcRecordTest);
