// `mtaguard sts parse-record` and `sts parse-policy` as a user runs them:
// JSON shapes (DESIGN.md), readable output, standard input, exit statuses.
#include <cppunit/extensions/HelperMacros.h>

#include "harness.h"
#include "json.h"

class CliStsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(CliStsTest);
    CPPUNIT_TEST(parse_record_json);
    CPPUNIT_TEST(parse_record_text);
    CPPUNIT_TEST(parse_policy_file_and_stdin);
    CPPUNIT_TEST(parse_policy_invalid);
    CPPUNIT_TEST(usage_errors);
    CPPUNIT_TEST_SUITE_END();

public:

    void parse_record_json() {
        auto r = harness::run_tool(
            {"sts", "parse-record", "--json", "v=STSv1; id=20190429T010101; ext=1;"});
        CPPUNIT_ASSERT_EQUAL(0, r.status);
        auto j = harness::tool_json(r);
        CPPUNIT_ASSERT_EQUAL(true, j["valid"].as_bool());
        CPPUNIT_ASSERT_EQUAL(true, j["is_sts"].as_bool());
        CPPUNIT_ASSERT_EQUAL(std::string("20190429T010101"), j["id"].as_string());
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), j["extensions"].size());
        CPPUNIT_ASSERT_EQUAL(std::string("ext"), j["extensions"][0]["name"].as_string());
        CPPUNIT_ASSERT_EQUAL(std::string("1"), j["extensions"][0]["value"].as_string());
        CPPUNIT_ASSERT(j["error"].is_null());

        auto bad = harness::run_tool({"sts", "parse-record", "--json", "v=STSv1; id=a-b"});
        CPPUNIT_ASSERT_EQUAL(1, bad.status);
        auto jb = harness::tool_json(bad);
        CPPUNIT_ASSERT_EQUAL(false, jb["valid"].as_bool());
        CPPUNIT_ASSERT_EQUAL(true, jb["is_sts"].as_bool());
        CPPUNIT_ASSERT(jb["id"].is_null());
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), jb["extensions"].size());
        CPPUNIT_ASSERT(jb["error"].as_string().find("1 to 32") != std::string::npos);

        auto other = harness::tool_json(harness::run_tool({"sts", "parse-record", "--json", "v=spf1 -all"}));
        CPPUNIT_ASSERT_EQUAL(false, other["is_sts"].as_bool());
        CPPUNIT_ASSERT_EQUAL(false, other["valid"].as_bool());
    }

    void parse_record_text() {
        auto r = harness::run_tool({"sts", "parse-record", "v=STSv1; id=abc"});
        CPPUNIT_ASSERT_EQUAL(0, r.status);
        CPPUNIT_ASSERT_EQUAL(std::string("valid STS record\nid: abc\n"), r.out);
        auto bad = harness::run_tool({"sts", "parse-record", "v=STSv1;"});
        CPPUNIT_ASSERT_EQUAL(1, bad.status);
        CPPUNIT_ASSERT_EQUAL(std::string("invalid STS record: missing id\n"), bad.out);
    }

    void parse_policy_file_and_stdin() {
        harness::TempDir dir;
        std::string text =
            "version: STSv1\r\nmode: enforce\r\nmx: MX.Example.com\r\nmx: *.b\xc3\xbc"
            "cher.example\r\n"
            "max_age: 40000000\r\nfoo: bar";
        std::string file = dir.file("policy.txt", text);
        for (auto args : {std::vector<std::string>{"sts", "parse-policy", "--json", file},
                          std::vector<std::string>{"sts", "parse-policy", "--json", "-"},
                          std::vector<std::string>{"sts", "parse-policy", "--json"}}) {
            auto r = harness::run_tool(args, text);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(r.err, 0, r.status);
            auto j = harness::tool_json(r);
            CPPUNIT_ASSERT_EQUAL(true, j["valid"].as_bool());
            CPPUNIT_ASSERT(j["error"].is_null());
            const auto& p = j["policy"];
            CPPUNIT_ASSERT_EQUAL(std::string("STSv1"), p["version"].as_string());
            CPPUNIT_ASSERT_EQUAL(std::string("enforce"), p["mode"].as_string());
            CPPUNIT_ASSERT_EQUAL(std::int64_t(31557600), p["max_age"].as_int());  // clamped
            CPPUNIT_ASSERT_EQUAL(std::size_t(2), p["mx"].size());
            CPPUNIT_ASSERT_EQUAL(std::string("mx.example.com"), p["mx"][0].as_string());
            CPPUNIT_ASSERT_EQUAL(std::string("*.xn--bcher-kva.example"), p["mx"][1].as_string());
            CPPUNIT_ASSERT_EQUAL(std::string("foo"), p["extensions"][0]["name"].as_string());
            CPPUNIT_ASSERT_EQUAL(std::string("bar"), p["extensions"][0]["value"].as_string());
        }
        auto readable = harness::run_tool({"sts", "parse-policy", file});
        CPPUNIT_ASSERT_EQUAL(0, readable.status);
        CPPUNIT_ASSERT(readable.out.find("mode: enforce\n") != std::string::npos);
        CPPUNIT_ASSERT(readable.out.find("mx: *.xn--bcher-kva.example\n") != std::string::npos);
    }

    void parse_policy_invalid() {
        auto r = harness::run_tool({"sts", "parse-policy", "--json"},
                                   "version: STSv1\nmode: enforce\nmx: {x}\nmax_age: 1\n");
        CPPUNIT_ASSERT_EQUAL(1, r.status);
        auto j = harness::tool_json(r);
        CPPUNIT_ASSERT_EQUAL(false, j["valid"].as_bool());
        CPPUNIT_ASSERT(j["policy"].is_null());
        CPPUNIT_ASSERT(j["error"].as_string().find("line 3") != std::string::npos);
        // Input beyond the size cap is refused, not read without bound.
        std::string huge(200 * 1024, '\n');
        auto big = harness::tool_json(harness::run_tool({"sts", "parse-policy", "--json"}, huge));
        CPPUNIT_ASSERT(big["error"].as_string().find("longer than 65536") != std::string::npos);
    }

    void usage_errors() {
        CPPUNIT_ASSERT_EQUAL(2, harness::run_tool({"sts"}).status);
        CPPUNIT_ASSERT_EQUAL(2, harness::run_tool({"sts", "frobnicate"}).status);
        CPPUNIT_ASSERT_EQUAL(2, harness::run_tool({"sts", "parse-record"}).status);
        CPPUNIT_ASSERT_EQUAL(
            2, harness::run_tool({"sts", "parse-policy", "/nonexistent/policy.txt"}).status);
        CPPUNIT_ASSERT_EQUAL(2, harness::run_tool({"sts", "lookup", "exa mple.com"}).status);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(CliStsTest);
