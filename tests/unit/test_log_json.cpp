// Unit tests of lib/log (field formatting) and lib/json (dump and parse).
#include <cppunit/extensions/HelperMacros.h>

#include "json.h"
#include "log.h"

class LogJsonTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(LogJsonTest);
    CPPUNIT_TEST(fields);
    CPPUNIT_TEST(levels);
    CPPUNIT_TEST(json_roundtrip);
    CPPUNIT_TEST(json_rejects);
    CPPUNIT_TEST(json_null_helpers);
    CPPUNIT_TEST_SUITE_END();

public:
    void fields() {
        CPPUNIT_ASSERT_EQUAL(std::string("domain=example.com status=pass"),
                             logging::fields({{"domain", "example.com"}, {"status", "pass"}}));
        CPPUNIT_ASSERT_EQUAL(std::string("reason=\"no policy\" empty=\"\""),
                             logging::fields({{"reason", "no policy"}, {"empty", ""}}));
        CPPUNIT_ASSERT_EQUAL(std::string("v=\"a=b \\\"q\\\" c\\\\d\""),
                             logging::fields({{"v", "a=b \"q\" c\\d"}}));
        CPPUNIT_ASSERT_EQUAL(std::string("v=\"line one  two\""), logging::fields({{"v", "line one\r\ntwo"}}));
    }

    void levels() {
        CPPUNIT_ASSERT(logging::parse_level("debug") == logging::Level::Debug);
        CPPUNIT_ASSERT(logging::parse_level("error") == logging::Level::Error);
        CPPUNIT_ASSERT(!logging::parse_level("loud").has_value());
        logging::Options o;
        o.to_syslog = false;
        o.level = logging::Level::Warning;
        logging::init(o);
        CPPUNIT_ASSERT(logging::enabled(logging::Level::Error));
        CPPUNIT_ASSERT(!logging::enabled(logging::Level::Info));
    }

    void json_roundtrip() {
        json::Value v = json::Value::object();
        v.set("s", "a\"b\\c\n\x01");
        v.set("n", 42);
        v.set("t", true);
        v.set("z", nullptr);
        json::Value arr = json::Value::array();
        arr.push("x");
        arr.push(-7);
        v.set("a", arr);
        std::string text = v.dump();
        CPPUNIT_ASSERT_EQUAL(std::string("{\"s\":\"a\\\"b\\\\c\\n\\u0001\",\"n\":42,\"t\":true,\"z\":null,\"a\":[\"x\",-7]}"), text);
        auto back = json::parse(text);
        CPPUNIT_ASSERT(back.has_value());
        CPPUNIT_ASSERT_EQUAL(std::string("a\"b\\c\n\x01"), (*back)["s"].as_string());
        CPPUNIT_ASSERT_EQUAL(std::int64_t(42), (*back)["n"].as_int());
        CPPUNIT_ASSERT((*back)["z"].is_null());
        CPPUNIT_ASSERT_EQUAL(std::int64_t(-7), (*back)["a"][1].as_int());
        CPPUNIT_ASSERT((*back)["missing"].is_null());
        auto u = json::parse("\"\\u00fc\\ud83d\\ude00\"");
        CPPUNIT_ASSERT(u.has_value());
        CPPUNIT_ASSERT_EQUAL(std::string("\xc3\xbc\xf0\x9f\x98\x80"), u->as_string());
    }

    void json_rejects() {
        for (const char* bad : {"", "{", "[1,]", "{\"a\" 1}", "tru", "\"\\x\"", "1 2", "\"a\nb\""})
            CPPUNIT_ASSERT_MESSAGE(bad, !json::parse(bad).has_value());
        std::string deep(100, '[');
        CPPUNIT_ASSERT(!json::parse(deep + std::string(100, ']')).has_value());
    }

    // or_null (an optional) and null_if_empty (a string): null, or the string.
    void json_null_helpers() {
        CPPUNIT_ASSERT(json::Value::null_if_empty("").is_null());
        CPPUNIT_ASSERT_EQUAL(std::string("\"x\""), json::Value::null_if_empty("x").dump());
        CPPUNIT_ASSERT(json::Value::or_null(std::optional<std::string>()).is_null());
        CPPUNIT_ASSERT_EQUAL(std::string("\"\""), json::Value::or_null(std::optional<std::string>("")).dump());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(LogJsonTest);
