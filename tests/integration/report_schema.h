// report_schema: checks a report's XML against the RFC 9990 schema
// (tests/data/rfc9990-aggregate.xsd) from the outside, with xmllint(1) of
// Debian libxml2-utils, independent of our own reader.
#pragma once

#include <string>

namespace testing {

// "" when `xml` is valid against the schema; otherwise what xmllint said
// (never empty). The XML is written to a file of its own in `dir`.
std::string schema_errors(const std::string& xml, const std::string& dir);

}  // namespace testing

// Fails the test, quoting xmllint, when `xml` breaks the schema.
#define ASSERT_SCHEMA_VALID(label, xml, dir)                                               \
    do {                                                                                   \
        std::string schema_errors_ = testing::schema_errors((xml), (dir));                 \
        CPPUNIT_ASSERT_MESSAGE(std::string(label) + ": " + schema_errors_ + "\n" + (xml),  \
                               schema_errors_.empty());                                    \
    } while (0)

// Fails the test when `xml`, broken on purpose, still passes the schema.
#define ASSERT_SCHEMA_INVALID(label, xml, dir)                                   \
    CPPUNIT_ASSERT_MESSAGE(std::string(label) + " passed the schema",            \
                           !testing::schema_errors((xml), (dir)).empty())
