// `mtaguard dmarc ... --json` against ldns-testns on loopback: lookup (direct
// and by tree walk), verify (alignment, sp/np, pct, psl discovery),
// report-auth, orgdomain, with the JSON parsed back and the exit statuses.
#include <cppunit/extensions/HelperMacros.h>

#include <memory>

#include "harness.h"
#include "json.h"

namespace {

using harness::dns_entry;

std::string txt(const std::string& name, const std::string& value, const std::string& flags = "NOERROR") {
    return harness::dns_txt(name + ".", value, flags);
}

std::string a(const std::string& name) { return dns_entry(name + ".", "A", "NOERROR", name + ". 300 IN A 192.0.2.1\n"); }

std::string zone() {
    return txt("_dmarc.example.com", "v=DMARC1; p=reject; sp=quarantine; np=reject; rua=mailto:d@example.com") +
           a("example.com") + a("mail.example.com") +
           txt("_dmarc.signed.example", "v=DMARC1; p=quarantine", "AD NOERROR") +
           dns_entry("_dmarc.example.", "TXT", "AD NXDOMAIN", "") +
           txt("_dmarc.pct.example", "v=DMARC1; p=reject; pct=0") +
           dns_entry("_dmarc.down.example.", "TXT", "SERVFAIL", "") +
           dns_entry("_dmarc.zz.", "TXT", "NOERROR",
                 "_dmarc.zz. 300 IN TXT \"v=DMARC1; p=reject; psd=y\"\n") +
           txt("example.com._report._dmarc.reports.example.net", "v=DMARC1") +
           dns_entry("broken.example._report._dmarc.reports.example.net.", "TXT", "SERVFAIL", "") +
           harness::dns_nxdomain_rest();  // every other question
}

}  // namespace

class DmarcCliTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(DmarcCliTest);
    CPPUNIT_TEST(lookup_direct);
    CPPUNIT_TEST(lookup_tree_walk);
    CPPUNIT_TEST(lookup_none_and_temperror);
    CPPUNIT_TEST(lookup_authentic);
    CPPUNIT_TEST(verify_pass_relaxed_subdomain);
    CPPUNIT_TEST(verify_fail_np);
    CPPUNIT_TEST(verify_pct_and_no_sampling);
    CPPUNIT_TEST(verify_psl);
    CPPUNIT_TEST(verify_temperror);
    CPPUNIT_TEST(report_auth);
    CPPUNIT_TEST(orgdomain_psd);
    CPPUNIT_TEST(parse_and_usage);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override {
        dns_ = std::make_unique<harness::TestDns>(zone());
        conf_ = dir_.file("empty.conf", "");
    }
    void tearDown() override { dns_.reset(); }

    harness::ToolResult tool(std::vector<std::string> args, std::vector<std::string> options = {}) {
        std::vector<std::string> argv{"-c", conf_, "-o", "dns_nameservers=" + dns_->nameserver(), "-o",
                                      "dns_timeout=2s"};
        for (auto& o : options) {
            argv.push_back("-o");
            argv.push_back(o);
        }
        argv.push_back("dmarc");
        argv.insert(argv.end(), args.begin(), args.end());
        return harness::run_tool(argv);
    }


    void lookup_direct() {
        auto r = tool({"lookup", "--json", "Example.COM"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.err, 0, r.status);
        auto j = harness::tool_json(r);
        CPPUNIT_ASSERT_EQUAL(std::string("found"), j["status"].as_string());
        CPPUNIT_ASSERT_EQUAL(std::string("example.com"), j["domain"].as_string());
        CPPUNIT_ASSERT_EQUAL(std::string("v=DMARC1; p=reject; sp=quarantine; np=reject; rua=mailto:d@example.com"),
                             j["txt"].as_string());
        CPPUNIT_ASSERT_EQUAL(std::string("reject"), j["record"]["p"].as_string());
        CPPUNIT_ASSERT_EQUAL(std::string("quarantine"), j["record"]["sp"].as_string());
        CPPUNIT_ASSERT_EQUAL(std::string("mailto:d@example.com"), j["record"]["rua"][0]["uri"].as_string());
        CPPUNIT_ASSERT(j["record"]["rua"][0]["max_size_bytes"].is_null());
        CPPUNIT_ASSERT_EQUAL(false, j["authentic"].as_bool());
        // The walk goes on to the top for the organizational domain (RFC 9989 §4.10.2).
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), j["queried"].size());
    }

    void lookup_tree_walk() {
        auto r = tool({"lookup", "--json", "a.b.example.com"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.err, 0, r.status);
        auto j = harness::tool_json(r);
        CPPUNIT_ASSERT_EQUAL(std::string("example.com"), j["domain"].as_string());
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), j["queried"].size());
        CPPUNIT_ASSERT_EQUAL(std::string("_dmarc.a.b.example.com"), j["queried"][0].as_string());
        CPPUNIT_ASSERT_EQUAL(std::string("_dmarc.example.com"), j["queried"][2].as_string());
        CPPUNIT_ASSERT_EQUAL(std::string("_dmarc.com"), j["queried"][3].as_string());
        // The readable form names the walk.
        auto text = tool({"lookup", "a.b.example.com"});
        CPPUNIT_ASSERT_MESSAGE(text.out, text.out.find("found at _dmarc.example.com (tree walk") != std::string::npos);
    }

    void lookup_none_and_temperror() {
        auto none = tool({"lookup", "--json", "nothing.test"});
        CPPUNIT_ASSERT_EQUAL(1, none.status);
        auto j = harness::tool_json(none);
        CPPUNIT_ASSERT_EQUAL(std::string("none"), j["status"].as_string());
        CPPUNIT_ASSERT(j["domain"].is_null() && j["txt"].is_null() && j["record"].is_null());
        auto down = tool({"lookup", "--json", "down.example"});
        CPPUNIT_ASSERT_EQUAL(75, down.status);
        CPPUNIT_ASSERT_EQUAL(std::string("temperror"), harness::tool_json(down)["status"].as_string());
    }

    void lookup_authentic() {
        auto r = tool({"lookup", "--json", "signed.example"});
        CPPUNIT_ASSERT_EQUAL(0, r.status);
        CPPUNIT_ASSERT_EQUAL(true, harness::tool_json(r)["authentic"].as_bool());
    }

    void verify_pass_relaxed_subdomain() {
        auto r = tool({"verify", "--json", "--from", "mail.example.com", "--spf", "pass:bounce.example.com", "--dkim",
                       "fail:example.net"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.out + r.err, 0, r.status);
        auto j = harness::tool_json(r);
        CPPUNIT_ASSERT_EQUAL(std::string("pass"), j["status"].as_string());
        CPPUNIT_ASSERT_EQUAL(std::string("example.com"), j["policy_domain"].as_string());
        CPPUNIT_ASSERT_EQUAL(std::string("example.com"), j["org_domain"].as_string());
        CPPUNIT_ASSERT_EQUAL(std::string("sp"), j["policy"].as_string());
        CPPUNIT_ASSERT_EQUAL(std::string("quarantine"), j["requested"].as_string());
        CPPUNIT_ASSERT_EQUAL(false, j["reject"].as_bool());
        CPPUNIT_ASSERT_EQUAL(false, j["sampled_out"].as_bool());
        CPPUNIT_ASSERT_EQUAL(true, j["aligned_spf"].as_bool());
        CPPUNIT_ASSERT_EQUAL(false, j["aligned_dkim"].as_bool());
        CPPUNIT_ASSERT_EQUAL(false, j["authentic"].as_bool());
        CPPUNIT_ASSERT(j["error"].is_null());
        auto text = tool({"verify", "--from", "mail.example.com", "--spf", "pass:bounce.example.com"});
        CPPUNIT_ASSERT_MESSAGE(text.out, text.out.find("SPF pass for bounce.example.com aligned (relaxed)") !=
                                             std::string::npos);
    }

    void verify_fail_np() {
        auto r = tool({"verify", "--json", "--from", "ghost.example.com", "--spf", "pass:other.net"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.out + r.err, 1, r.status);
        auto j = harness::tool_json(r);
        CPPUNIT_ASSERT_EQUAL(std::string("fail"), j["status"].as_string());
        CPPUNIT_ASSERT_EQUAL(std::string("np"), j["policy"].as_string());
        CPPUNIT_ASSERT_EQUAL(std::string("reject"), j["requested"].as_string());
        CPPUNIT_ASSERT_EQUAL(true, j["reject"].as_bool());
        auto p = harness::tool_json(tool({"verify", "--json", "--from", "example.com", "--spf", "fail"}));
        CPPUNIT_ASSERT_EQUAL(std::string("p"), p["policy"].as_string());
        CPPUNIT_ASSERT_EQUAL(true, p["reject"].as_bool());
    }

    void verify_pct_and_no_sampling() {
        auto sampled = harness::tool_json(tool({"verify", "--json", "--from", "pct.example", "--roll", "0"}));
        CPPUNIT_ASSERT_EQUAL(std::string("fail"), sampled["status"].as_string());
        CPPUNIT_ASSERT_EQUAL(true, sampled["sampled_out"].as_bool());
        CPPUNIT_ASSERT_EQUAL(std::string("quarantine"), sampled["applied"].as_string());
        auto all = harness::tool_json(tool({"verify", "--json", "--from", "pct.example", "--no-sampling"}));
        CPPUNIT_ASSERT_EQUAL(false, all["sampled_out"].as_bool());
        CPPUNIT_ASSERT_EQUAL(std::string("reject"), all["applied"].as_string());
        CPPUNIT_ASSERT_EQUAL(true, all["reject"].as_bool());
    }

    void verify_psl() {
        auto r = tool({"verify", "--json", "--from", "mail.example.com", "--dkim", "pass:example.com"},
                      {"dmarc_discovery=psl"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.out + r.err, 0, r.status);
        auto j = harness::tool_json(r);
        CPPUNIT_ASSERT_EQUAL(std::string("example.com"), j["policy_domain"].as_string());
        CPPUNIT_ASSERT_EQUAL(true, j["aligned_dkim"].as_bool());
        CPPUNIT_ASSERT_MESSAGE(j["explanation"].as_string(),
                               j["explanation"].as_string().find("public suffix list 2 queries") != std::string::npos);
    }

    void verify_temperror() {
        auto r = tool({"verify", "--json", "--from", "down.example", "--spf", "pass"});
        CPPUNIT_ASSERT_EQUAL(75, r.status);
        auto j = harness::tool_json(r);
        CPPUNIT_ASSERT_EQUAL(std::string("temperror"), j["status"].as_string());
        CPPUNIT_ASSERT(j["error"].as_string().find("servfail") != std::string::npos);
    }

    void report_auth() {
        auto ok = tool({"report-auth", "--json", "example.com", "reports.example.net"});
        CPPUNIT_ASSERT_EQUAL(0, ok.status);
        auto j = harness::tool_json(ok);
        CPPUNIT_ASSERT_EQUAL(true, j["accepts"].as_bool());
        CPPUNIT_ASSERT_EQUAL(std::string("found"), j["status"].as_string());
        CPPUNIT_ASSERT_EQUAL(std::string("v=DMARC1"), j["records"][0].as_string());
        auto no = tool({"report-auth", "--json", "other.example", "reports.example.net"});
        CPPUNIT_ASSERT_EQUAL(1, no.status);
        CPPUNIT_ASSERT_EQUAL(false, harness::tool_json(no)["accepts"].as_bool());
        auto temp = tool({"report-auth", "--json", "broken.example", "reports.example.net"});
        CPPUNIT_ASSERT_EQUAL(75, temp.status);
        CPPUNIT_ASSERT_EQUAL(std::string("temperror"), harness::tool_json(temp)["status"].as_string());
    }

    void orgdomain_psd() {
        auto r = tool({"orgdomain", "a.b.org1.zz"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.err, 0, r.status);
        CPPUNIT_ASSERT_EQUAL(std::string("org1.zz\n"), r.out);
        auto j = harness::tool_json(tool({"orgdomain", "--json", "mail.example.com"}));
        CPPUNIT_ASSERT_EQUAL(std::string("example.com"), j["org_domain"].as_string());
        CPPUNIT_ASSERT_EQUAL(3, static_cast<int>(j["queries"].as_int()));
    }

    void parse_and_usage() {
        auto ok = tool({"parse", "--json", "v=DMARC1; p=none; t=y"});
        CPPUNIT_ASSERT_EQUAL(0, ok.status);
        CPPUNIT_ASSERT_EQUAL(std::string("y"), harness::tool_json(ok)["record"]["t"].as_string());
        auto bad = tool({"parse", "--json", "v=spf1 -all"});
        CPPUNIT_ASSERT_EQUAL(1, bad.status);
        CPPUNIT_ASSERT_EQUAL(false, harness::tool_json(bad)["is_dmarc"].as_bool());
        CPPUNIT_ASSERT_EQUAL(2, tool({"verify", "--spf", "pass"}).status);
        CPPUNIT_ASSERT_EQUAL(2, tool({"lookup", "bad domain"}).status);
        CPPUNIT_ASSERT_EQUAL(2, tool({"frobnicate"}).status);
        CPPUNIT_ASSERT_EQUAL(2, tool({"verify", "--from", "example.com", "--dkim", "pass"}).status);
    }

private:
    harness::TempDir dir_;
    std::string conf_;
    std::unique_ptr<harness::TestDns> dns_;
};

CPPUNIT_TEST_SUITE_REGISTRATION(DmarcCliTest);
