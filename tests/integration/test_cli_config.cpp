// `mtaguard config` and `mtaguard config check` as an administrator runs them,
// and what every DNS-using command does with an unusable dns_nameservers.
#include <cppunit/extensions/HelperMacros.h>

#include "harness.h"

class CliConfigTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(CliConfigTest);
    CPPUNIT_TEST(check_reports_file_line_parameter);
    CPPUNIT_TEST(check_accepts_good_file);
    CPPUNIT_TEST(override_shown_by_dash_n);
    CPPUNIT_TEST(full_listing);
    CPPUNIT_TEST(usage_errors);
    CPPUNIT_TEST(malformed_nameserver_is_a_usage_error);
    CPPUNIT_TEST_SUITE_END();

public:
    void check_reports_file_line_parameter() {
        harness::TempDir dir;
        std::string bad = dir.file("bad.conf", "# test\nuser = mail\ndns_timeout = soon\nbogus = 1\n");
        auto r = harness::run_tool({"-c", bad, "config", "check"});
        CPPUNIT_ASSERT_EQUAL(2, r.status);
        CPPUNIT_ASSERT_MESSAGE(r.err, r.err.find(bad + ":3: dns_timeout: must be a duration") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(r.err, r.err.find(bad + ":4: bogus: unknown parameter") != std::string::npos);
        CPPUNIT_ASSERT(r.out.empty());
    }

    void check_accepts_good_file() {
        harness::TempDir dir;
        std::string good = dir.file("good.conf", "dmarc_reject_failures = yes\ntrusted_authserv_ids = a.example,\n  b.example\n");
        auto r = harness::run_tool({"-c", good, "config", "check"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.err, 0, r.status);
        auto n = harness::run_tool({"-c", good, "config", "-n"});
        CPPUNIT_ASSERT_EQUAL(std::string("trusted_authserv_ids = a.example, b.example\ndmarc_reject_failures = yes\n"), n.out);
        auto missing = harness::run_tool({"-c", dir.path() + "/none.conf", "config", "check"});
        CPPUNIT_ASSERT_EQUAL(2, missing.status);
        CPPUNIT_ASSERT(missing.err.find("none.conf: cannot open") != std::string::npos);
    }

    void override_shown_by_dash_n() {
        harness::TempDir dir;
        std::string empty = dir.file("empty.conf", "");
        auto r = harness::run_tool({"-c", empty, "-o", "dns_timeout=2s", "config", "-n"});
        CPPUNIT_ASSERT_EQUAL(0, r.status);
        CPPUNIT_ASSERT_EQUAL(std::string("dns_timeout = 2s\n"), r.out);
        auto bad = harness::run_tool({"-c", empty, "-o", "dns_timeout=2", "-o", "dns_timeout=9h", "config"});
        CPPUNIT_ASSERT_EQUAL(2, bad.status);
        CPPUNIT_ASSERT(bad.err.find("-o: dns_timeout: must be between 100ms and 1m, got 9h") != std::string::npos);
    }

    void full_listing() {
        harness::TempDir dir;
        auto r = harness::run_tool({"-c", dir.file("e.conf", ""), "config"});
        CPPUNIT_ASSERT_EQUAL(0, r.status);
        CPPUNIT_ASSERT(r.out.find("dmarc_discovery = treewalk\n") != std::string::npos);
        CPPUNIT_ASSERT(r.out.find("policyd_map_name = mta-sts\n") != std::string::npos);
    }

    void usage_errors() {
        CPPUNIT_ASSERT_EQUAL(2, harness::run_tool({"nonsense"}).status);
        CPPUNIT_ASSERT_EQUAL(2, harness::run_tool({"-c"}).status);
        CPPUNIT_ASSERT_EQUAL(2, harness::run_tool({"config", "extra"}).status);
        CPPUNIT_ASSERT_EQUAL(2, harness::run_tool({}).status);
    }

    // Every command that queries DNS says which command and which server
    // before it does anything, and exits 2.
    void malformed_nameserver_is_a_usage_error() {
        struct Case {
            std::vector<std::string> args;
            std::string prefix;
        } const cases[] = {
            {{"sts", "lookup", "example.com"}, "sts lookup"},
            {{"sts", "answer", "example.com"}, "sts answer"},
            {{"cache", "refresh", "example.com"}, "cache refresh"},
            {{"dmarc", "lookup", "example.com"}, "dmarc lookup"},
            {{"dmarc", "verify", "--from", "example.com"}, "dmarc verify"},
            {{"dmarc", "report-auth", "a.example", "b.example"}, "dmarc report-auth"},
            {{"dmarc", "orgdomain", "example.com"}, "dmarc orgdomain"},
            {{"report", "send", "--dry-run"}, "report send"},
        };
        for (const auto& c : cases) {
            harness::TempDir cache;
            std::vector<std::string> args{"-o", "dns_nameservers=[bad", "-o", "cache_dir=" + cache.path()};
            args.insert(args.end(), c.args.begin(), c.args.end());
            auto r = harness::run_tool(args);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.prefix + ": " + r.err, 2, r.status);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.prefix, "mtaguard: " + c.prefix + ": dns_nameservers: malformed server \"[bad\"\n",
                                         r.err);
            CPPUNIT_ASSERT_MESSAGE(c.prefix + ": " + r.out, r.out.empty());
        }
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(CliConfigTest);
