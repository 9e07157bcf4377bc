// The parameter table and mtaguard.conf(5) must agree: every parameter is
// documented with its type and default, and the page documents nothing else.
#include <cppunit/extensions/HelperMacros.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "config.h"

namespace {

struct Entry {
    std::string type;
    std::string default_value;
};

// Entries look like: .TP / \fBname\fR (type, default: \fBvalue\fR) or "default: empty".
std::map<std::string, Entry> documented_parameters(const std::string& path) {
    std::ifstream in(path);
    CPPUNIT_ASSERT_MESSAGE("cannot read " + path, in.good());
    std::map<std::string, Entry> out;
    std::string line;
    bool after_tp = false;
    bool in_parameters = false;
    while (std::getline(in, line)) {
        if (line.rfind(".SH ", 0) == 0) in_parameters = line == ".SH PARAMETERS";
        if (in_parameters && after_tp && line.rfind("\\fB", 0) == 0) {
            auto end = line.find("\\fR");
            std::string name = line.substr(3, end - 3);
            auto open = line.find(" (", end);
            auto comma = line.rfind(", default: ");
            auto close = line.rfind(')');
            CPPUNIT_ASSERT_MESSAGE("malformed entry: " + line,
                                   open != std::string::npos && comma != std::string::npos && close != std::string::npos);
            Entry e;
            e.type = line.substr(open + 2, comma - open - 2);
            std::string d = line.substr(comma + 11, close - comma - 11);
            if (d == "empty") d.clear();
            else if (d.rfind("\\fB", 0) == 0 && d.size() >= 6) d = d.substr(3, d.size() - 6);
            e.default_value = d;
            CPPUNIT_ASSERT_MESSAGE("documented twice: " + name, out.emplace(name, e).second);
        }
        after_tp = line == ".TP";
    }
    return out;
}

std::string expected_type(const config::Param& p) {
    if (p.type == config::Type::Choice) return std::string(p.choices);
    if (p.type == config::Type::Bool) return "yes|no";
    return std::string(config::type_name(p.type));
}

}  // namespace

class ManPageTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ManPageTest);
    CPPUNIT_TEST(table_matches_man_page);
    CPPUNIT_TEST_SUITE_END();

public:
    void table_matches_man_page() {
        const char* srcdir = std::getenv("MTAGUARD_SRCDIR");
        std::string path = std::string(srcdir ? srcdir : ".") + "/man/mtaguard.conf.5";
        auto documented = documented_parameters(path);
        for (const auto& p : config::table()) {
            std::string name(p.name);
            auto it = documented.find(name);
            CPPUNIT_ASSERT_MESSAGE("not in mtaguard.conf(5): " + name, it != documented.end());
            CPPUNIT_ASSERT_EQUAL_MESSAGE("type of " + name, expected_type(p), it->second.type);
            CPPUNIT_ASSERT_EQUAL_MESSAGE("default of " + name, std::string(p.default_value),
                                         it->second.default_value);
            documented.erase(it);
        }
        std::string unknown;
        for (const auto& entry : documented) unknown += " " + entry.first;
        CPPUNIT_ASSERT_MESSAGE("mtaguard.conf(5) documents unknown parameters:" + unknown, unknown.empty());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ManPageTest);
