// `mtaguard authres parse` as an administrator runs it: JSON read back with
// json::parse and every field checked; human output; exit statuses.
#include <cppunit/extensions/HelperMacros.h>

#include "harness.h"
#include "json.h"

class CliAuthresTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(CliAuthresTest);
    CPPUNIT_TEST(json_valid);
    CPPUNIT_TEST(json_none_and_field_name);
    CPPUNIT_TEST(json_syntax_error);
    CPPUNIT_TEST(human_output);
    CPPUNIT_TEST(usage);
    CPPUNIT_TEST_SUITE_END();

public:
    void json_valid() {
        auto r = harness::run_tool(
            {"authres", "parse", "--json",
             "mx.example.org/4BxyZ 1; spf=pass (sender SPF authorized) smtp.mailfrom=user@example.com;\r\n"
             "\tdkim/1=fail reason=\"bad signature\" header.d=example.com header.s=sel header.d=other.example"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.err, 0, r.status);
        json::Value j = harness::tool_json(r);
        CPPUNIT_ASSERT_EQUAL(std::string("mx.example.org/4BxyZ"), j["authserv_id"].as_string());
        CPPUNIT_ASSERT_EQUAL(std::string("1"), j["version"].as_string());
        CPPUNIT_ASSERT(j["error"].is_null());
        const auto& results = j["results"];
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), results.size());
        const auto& spf = results[std::size_t(0)];
        CPPUNIT_ASSERT_EQUAL(std::string("spf"), spf["method"].as_string());
        CPPUNIT_ASSERT(spf["version"].is_null());
        CPPUNIT_ASSERT_EQUAL(std::string("pass"), spf["result"].as_string());
        CPPUNIT_ASSERT(spf["reason"].is_null());
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), spf["props"].size());
        CPPUNIT_ASSERT_EQUAL(std::string("user@example.com"), spf["props"]["smtp.mailfrom"].as_string());
        const auto& dkim = results[std::size_t(1)];
        CPPUNIT_ASSERT_EQUAL(std::string("dkim"), dkim["method"].as_string());
        CPPUNIT_ASSERT_EQUAL(std::string("1"), dkim["version"].as_string());
        CPPUNIT_ASSERT_EQUAL(std::string("fail"), dkim["result"].as_string());
        CPPUNIT_ASSERT_EQUAL(std::string("bad signature"), dkim["reason"].as_string());
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), dkim["props"].size());
        CPPUNIT_ASSERT_EQUAL(std::string("example.com"), dkim["props"]["header.d"].as_string());
        CPPUNIT_ASSERT_EQUAL(std::string("sel"), dkim["props"]["header.s"].as_string());
        const auto& all = dkim["properties"];
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), all.size());
        CPPUNIT_ASSERT_EQUAL(std::string("header"), all[std::size_t(2)]["ptype"].as_string());
        CPPUNIT_ASSERT_EQUAL(std::string("d"), all[std::size_t(2)]["property"].as_string());
        CPPUNIT_ASSERT_EQUAL(std::string("other.example"), all[std::size_t(2)]["value"].as_string());
    }

    void json_none_and_field_name() {
        auto r = harness::run_tool({"authres", "parse", "--json", "Authentication-Results: example.org; none"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.err, 0, r.status);
        json::Value j = harness::tool_json(r);
        CPPUNIT_ASSERT_EQUAL(std::string("example.org"), j["authserv_id"].as_string());
        CPPUNIT_ASSERT(j["version"].is_null());
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), j["results"].size());
        CPPUNIT_ASSERT(j["results"].is_array());
    }

    void json_syntax_error() {
        auto r = harness::run_tool({"authres", "parse", "--json", "mx; spf=pass (unterminated smtp.mailfrom=a"});
        CPPUNIT_ASSERT_EQUAL(1, r.status);
        json::Value j = harness::tool_json(r);
        CPPUNIT_ASSERT(j["authserv_id"].is_null());
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), j["results"].size());
        CPPUNIT_ASSERT(j["error"].as_string().find("unterminated comment") != std::string::npos);
        CPPUNIT_ASSERT(r.err.find("unterminated comment") != std::string::npos);
    }

    void human_output() {
        auto r = harness::run_tool({"authres", "parse", "mx 2; dkim=pass reason=ok header.d=example.com"});
        CPPUNIT_ASSERT_EQUAL(0, r.status);
        CPPUNIT_ASSERT_EQUAL(std::string("authserv-id: mx (version 2)\ndkim=pass\n  reason: ok\n"
                                         "  header.d = example.com\n"),
                             r.out);
        auto bad = harness::run_tool({"authres", "parse", "example.com"});
        CPPUNIT_ASSERT_EQUAL(1, bad.status);
        CPPUNIT_ASSERT(bad.out.empty());
        CPPUNIT_ASSERT(bad.err.find("expected \";\" after the authserv-id") != std::string::npos);
    }

    void usage() {
        CPPUNIT_ASSERT_EQUAL(2, harness::run_tool({"authres"}).status);
        CPPUNIT_ASSERT_EQUAL(2, harness::run_tool({"authres", "parse"}).status);
        CPPUNIT_ASSERT_EQUAL(2, harness::run_tool({"authres", "parse", "--json"}).status);
        CPPUNIT_ASSERT_EQUAL(2, harness::run_tool({"authres", "parse", "a; none", "b; none"}).status);
        CPPUNIT_ASSERT_EQUAL(2, harness::run_tool({"authres", "lookup", "x"}).status);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(CliAuthresTest);
