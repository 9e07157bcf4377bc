// Unit tests of sts::parse_record (RFC 8461 §3.1): every case asserts
// is_sts, validity, id, extensions and the error.
#include <cppunit/extensions/HelperMacros.h>

#include <string>
#include <vector>

#include "sts/policy.h"

namespace {

struct Case {
    const char* label;
    std::string txt;
    bool is_sts;
    const char* id;  // nullptr: invalid
    std::vector<sts::Extension> extensions;
    const char* error = "";  // substring of the error when invalid
};

const std::string k32(32, 'a');
const std::string k33(33, 'a');

const std::vector<Case> kCases = {
    {"minimal", "v=STSv1; id=20160831085700Z", true, "20160831085700Z", {}},
    {"no space", "v=STSv1;id=abc", true, "abc", {}},
    {"trailing semicolon", "v=STSv1; id=abc;", true, "abc", {}},
    {"trailing semicolon and space", "v=STSv1; id=abc; ", true, "abc", {}},
    {"space before semicolon", "v=STSv1 ; id=abc", true, "abc", {}},
    {"tabs around separator", "v=STSv1\t;\tid=abc", true, "abc", {}},
    {"many spaces", "v=STSv1   ;   id=abc   ;   ", true, "abc", {}},
    {"id 32 chars", "v=STSv1; id=" + k32, true, k32.c_str(), {}},
    {"id one char", "v=STSv1; id=1", true, "1", {}},
    {"id mixed case digits", "v=STSv1; id=AbC123xYz", true, "AbC123xYz", {}},
    {"extension after id", "v=STSv1; id=abc; ext=value", true, "abc", {{"ext", "value"}}},
    {"extension before id",
     "v=STSv1; foo.bar-baz_1=x!y; id=abc",
     true,
     "abc",
     {{"foo.bar-baz_1", "x!y"}}},
    {"two extensions", "v=STSv1; id=abc; a=1; b=2;", true, "abc", {{"a", "1"}, {"b", "2"}}},
    {"extension value punctuation",
     "v=STSv1; id=abc; x=<>?@[]{}~:,",
     true,
     "abc",
     {{"x", "<>?@[]{}~:,"}}},
    {"extension name 32", "v=STSv1; id=abc; " + k32 + "=1", true, "abc", {{k32, "1"}}},
    {"uppercase ID is an extension", "v=STSv1; ID=abc; id=def", true, "def", {{"ID", "abc"}}},
    {"white space mix (mox)", "v=STSv1; \t id=20160831085700Z  \t;", true, "20160831085700Z", {}},
    // Invalid STS records.
    {"extension without id", "v=STSv1; ext=1", true, nullptr, {}, "missing id"},
    {"extension name with percent", "v=STSv1; id=a; 1%=a", true, nullptr, {}, "invalid field name"},
    {"extension value equals", "v=STSv1; id=a; test==", true, nullptr, {}, "invalid value"},
    {"missing id", "v=STSv1;", true, nullptr, {}, "missing id"},
    {"only version", "v=STSv1", true, nullptr, {}, "missing id"},
    {"id empty", "v=STSv1; id=", true, nullptr, {}, "1 to 32"},
    {"id 33 chars", "v=STSv1; id=" + k33, true, nullptr, {}, "1 to 32"},
    {"id with hyphen", "v=STSv1; id=2016-08-31", true, nullptr, {}, "1 to 32"},
    {"id with dot", "v=STSv1; id=a.b", true, nullptr, {}, "1 to 32"},
    {"id with space inside", "v=STSv1; id=ab cd", true, nullptr, {}, "expected \";\""},
    {"duplicate id", "v=STSv1; id=a; id=b", true, nullptr, {}, "duplicate id"},
    {"duplicate v", "v=STSv1; v=STSv1; id=a", true, nullptr, {}, "duplicate v"},
    {"empty field", "v=STSv1;; id=a", true, nullptr, {}, "empty field"},
    {"two trailing semicolons", "v=STSv1; id=a;;", true, nullptr, {}, "empty field"},
    {"trailing space without semicolon", "v=STSv1; id=a \t", true, "a", {}},
    {"only version and spaces", "v=STSv1   ", true, nullptr, {}, "missing id"},
    {"field without equals", "v=STSv1; id=a; foo", true, nullptr, {}, "no \"=\""},
    {"extension empty value", "v=STSv1; id=a; foo=", true, nullptr, {}, "invalid value"},
    {"extension value with equals", "v=STSv1; id=a; foo=a=b", true, nullptr, {}, "invalid value"},
    {"extension name starts with dash",
     "v=STSv1; id=a; -x=1",
     true,
     nullptr,
     {},
     "invalid field name"},
    {"extension name 33", "v=STSv1; id=a; " + k33 + "=1", true, nullptr, {}, "invalid field name"},
    {"extension value non-ascii", "v=STSv1; id=a; x=\xc3\xa9", true, nullptr, {}, "invalid value"},
    {"version then garbage", "v=STSv1 id=a", true, nullptr, {}, "expected \";\""},
    // Not STS records at all.
    {"empty", "", false, nullptr, {}, "not an STS record"},
    {"spf record", "v=spf1 -all", false, nullptr, {}, "not an STS record"},
    {"lowercase version", "v=stsv1; id=abc", false, nullptr, {}, "not an STS record"},
    {"version 10", "v=STSv10; id=abc", false, nullptr, {}, "not an STS record"},
    {"id first", "id=abc; v=STSv1", false, nullptr, {}, "not an STS record"},
    {"leading space", " v=STSv1; id=abc", false, nullptr, {}, "not an STS record"},
    {"space around equals", "v = STSv1; id=abc", false, nullptr, {}, "not an STS record"},
    {"dmarc", "v=DMARC1; p=none", false, nullptr, {}, "not an STS record"},
};

}  // namespace

class StsRecordTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(StsRecordTest);
    CPPUNIT_TEST(table);
    CPPUNIT_TEST_SUITE_END();

public:
    void table() {
        CPPUNIT_ASSERT(kCases.size() >= 30);
        for (const auto& c : kCases) {
            auto r = sts::parse_record(c.txt);
            std::string msg = std::string(c.label) + ": " + c.txt + " -> " + r.error;
            CPPUNIT_ASSERT_EQUAL_MESSAGE(msg, c.is_sts, r.is_sts);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(msg, c.id != nullptr, r.record.has_value());
            if (c.id) {
                CPPUNIT_ASSERT_EQUAL_MESSAGE(msg, std::string(), r.error);
                CPPUNIT_ASSERT_EQUAL_MESSAGE(msg, std::string(c.id), r.record->id);
                CPPUNIT_ASSERT_EQUAL_MESSAGE(msg, c.extensions.size(), r.record->extensions.size());
                for (std::size_t i = 0; i < c.extensions.size(); ++i) {
                    CPPUNIT_ASSERT_EQUAL_MESSAGE(msg, c.extensions[i].first,
                                                 r.record->extensions[i].first);
                    CPPUNIT_ASSERT_EQUAL_MESSAGE(msg, c.extensions[i].second,
                                                 r.record->extensions[i].second);
                }
            } else {
                CPPUNIT_ASSERT_MESSAGE(msg, r.error.find(c.error) != std::string::npos);
            }
        }
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(StsRecordTest);
