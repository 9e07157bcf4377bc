// Unit tests of lib/config: value types, file syntax, strict errors, -o.
#include <cppunit/extensions/HelperMacros.h>

#include "config.h"

namespace {

struct ValueCase {
    const char* label;
    const char* name;
    const char* text;
    bool ok;
    const char* normalised;  // Value::text when ok, substring of the error otherwise
};

const ValueCase kValueCases[] = {
    {"bool yes", "dmarc_reject_failures", "yes", true, "yes"},
    {"bool no", "dmarc_reject_failures", " no ", true, "no"},
    {"bool true refused", "dmarc_reject_failures", "true", false, "must be yes or no"},
    {"bool empty refused", "dmarc_reject_failures", "", false, "must be yes or no"},
    {"duration s", "dns_timeout", "2s", true, "2s"},
    {"duration bare", "dns_timeout", "3", true, "3"},
    {"duration ms", "dns_timeout", "500ms", true, "500ms"},
    {"duration too small", "dns_timeout", "50ms", false, "between 100ms and 1m"},
    {"duration too large", "dns_timeout", "2m", false, "between 100ms and 1m"},
    {"duration bad unit", "dns_timeout", "5x", false, "must be a duration"},
    {"duration negative", "dns_timeout", "-5s", false, "must be a duration"},
    {"duration days", "sts_unused_expiry", "7d", true, "7d"},
    {"duration weeks", "sts_unused_expiry", "2w", true, "2w"},
    {"duration huge", "sts_unused_expiry", "99999999999999999999d", false, "must be a duration"},
    {"integer", "dmarc_cache_size", "42", true, "42"},
    {"integer range", "dmarc_cache_size", "99999999999", false, "between 0 and 10000000"},
    {"integer junk", "dmarc_cache_size", "12abc", false, "must be an integer"},
    {"choice", "dmarc_discovery", "psl", true, "psl"},
    {"choice bad", "dmarc_discovery", "PSL", false, "must be one of treewalk|psl"},
    {"list commas", "trusted_authserv_ids", "a.example, b.example,c.example", true,
     "a.example, b.example, c.example"},
    {"list blanks", "trusted_authserv_ids", "a.example   b.example", true, "a.example, b.example"},
    {"list empty", "trusted_authserv_ids", "", true, ""},
    {"path absolute", "cache_dir", "/tmp/x", true, "/tmp/x"},
    {"path relative refused", "cache_dir", "var/db", false, "absolute path"},
    {"path empty allowed", "sts_ca_file", "", true, ""},
    {"string spaces collapsed", "authserv_id", "  mx.example.com  ", true, "mx.example.com"},
};

struct FileCase {
    const char* label;
    const char* text;
    int errors;
    const char* first_error;  // substring, "" when errors == 0
};

const FileCase kFileCases[] = {
    {"empty file", "", 0, ""},
    {"comments and blanks", "# c\n\n   # indented comment\n", 0, ""},
    {"simple", "dns_timeout = 2s\n", 0, ""},
    {"no spaces", "dns_timeout=2s\n", 0, ""},
    {"crlf", "dns_timeout = 2s\r\nuser = mail\r\n", 0, ""},
    {"continuation", "trusted_authserv_ids = a.example,\n  b.example\n", 0, ""},
    {"unknown name", "dns_timeout = 2s\nbogus = 1\n", 1, "f.conf:2: bogus: unknown parameter"},
    {"bad value", "\n\ndns_timeout = soon\n", 1, "f.conf:3: dns_timeout: must be a duration"},
    {"missing equals", "dns_timeout 2s\n", 1, "f.conf:1: expected \"name = value\""},
    {"duplicate", "user = a\nuser = b\n", 1, "f.conf:2: user: set twice (first at line 1)"},
    {"leading continuation", "  user = a\n", 1, "f.conf:1: continuation line without a parameter"},
    {"uppercase name", "USER = a\n", 1, "expected \"name = value\""},
    {"two errors", "a = 1\nb = 2\n", 2, "f.conf:1: a: unknown parameter"},
    {"no final newline", "user = a", 0, ""},
};

}  // namespace

class ConfigTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ConfigTest);
    CPPUNIT_TEST(values);
    CPPUNIT_TEST(files);
    CPPUNIT_TEST(defaults);
    CPPUNIT_TEST(continuation_value);
    CPPUNIT_TEST(overrides_win);
    CPPUNIT_TEST(override_errors);
    CPPUNIT_TEST(render_only_changed);
    CPPUNIT_TEST(missing_file);
    CPPUNIT_TEST(durations);
    CPPUNIT_TEST_SUITE_END();

public:
    void values() {
        for (const auto& c : kValueCases) {
            const config::Param* p = config::find_param(c.name);
            CPPUNIT_ASSERT_MESSAGE(c.label, p != nullptr);
            config::Value v;
            auto err = config::parse_value(*p, c.text, v);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.label, c.ok, !err.has_value());
            if (c.ok) CPPUNIT_ASSERT_EQUAL_MESSAGE(c.label, std::string(c.normalised), v.text);
            else CPPUNIT_ASSERT_MESSAGE(std::string(c.label) + ": " + *err, err->find(c.normalised) != std::string::npos);
        }
    }

    void files() {
        for (const auto& c : kFileCases) {
            config::Loader loader;
            loader.load_text(c.text, "f.conf");
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.label, c.errors, static_cast<int>(loader.errors().size()));
            if (c.errors > 0) {
                std::string first = loader.errors().front().to_string();
                CPPUNIT_ASSERT_MESSAGE(std::string(c.label) + ": " + first,
                                       first.find(c.first_error) != std::string::npos);
                CPPUNIT_ASSERT(loader.finish() == nullptr);
            } else {
                CPPUNIT_ASSERT_MESSAGE(c.label, loader.finish() != nullptr);
            }
        }
    }

    void defaults() {
        config::Config cfg;
        CPPUNIT_ASSERT_EQUAL(std::string("treewalk"), cfg.str("dmarc_discovery"));
        CPPUNIT_ASSERT_EQUAL(5000LL, static_cast<long long>(cfg.duration("dns_timeout").count()));
        CPPUNIT_ASSERT_EQUAL(false, cfg.boolean("dmarc_reject_failures"));
        CPPUNIT_ASSERT_EQUAL(std::string("mta-sts"), cfg.str("policyd_map_name"));
        CPPUNIT_ASSERT(cfg.list("dns_nameservers").empty());
        CPPUNIT_ASSERT(cfg.value("user").is_default);
        CPPUNIT_ASSERT_THROW(cfg.value("no_such_parameter"), std::logic_error);
    }

    void continuation_value() {
        config::Loader loader;
        loader.load_text("trusted_authserv_ids = a.example,\n\tb.example\n# comment\n  c.example\nuser = x\n", "f");
        auto cfg = loader.finish();
        CPPUNIT_ASSERT(cfg);
        const auto& l = cfg->list("trusted_authserv_ids");
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), l.size());
        CPPUNIT_ASSERT_EQUAL(std::string("c.example"), l[2]);
        CPPUNIT_ASSERT_EQUAL(std::string("x"), cfg->str("user"));
        CPPUNIT_ASSERT_EQUAL(std::string("f:1"), cfg->value("trusted_authserv_ids").origin);
    }

    void overrides_win() {
        config::Loader loader;
        loader.load_text("dns_timeout = 10s\n", "f");
        loader.override_value("dns_timeout=2s");
        auto cfg = loader.finish();
        CPPUNIT_ASSERT(cfg);
        CPPUNIT_ASSERT_EQUAL(2000LL, static_cast<long long>(cfg->duration("dns_timeout").count()));
        CPPUNIT_ASSERT_EQUAL(std::string("-o"), cfg->value("dns_timeout").origin);
    }

    void override_errors() {
        config::Loader loader;
        loader.override_value("dns_timeout");
        loader.override_value("nope=1");
        loader.override_value("dns_timeout=forever");
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), loader.errors().size());
        CPPUNIT_ASSERT_EQUAL(std::string("-o: nope: unknown parameter"), loader.errors()[1].to_string());
        CPPUNIT_ASSERT(loader.errors()[2].to_string().find("dns_timeout: must be a duration") != std::string::npos);
    }

    void render_only_changed() {
        config::Loader loader;
        loader.override_value("dns_timeout=2s");
        loader.override_value("trusted_authserv_ids=a.example b.example");
        auto cfg = loader.finish();
        // Table order, like postconf -n.
        CPPUNIT_ASSERT_EQUAL(std::string("dns_timeout = 2s\ntrusted_authserv_ids = a.example, b.example\n"),
                             cfg->render(true));
        std::string all = cfg->render(false);
        CPPUNIT_ASSERT(all.find("dmarc_discovery = treewalk\n") != std::string::npos);
        CPPUNIT_ASSERT(all.find("dns_nameservers =\n") != std::string::npos);
    }

    void missing_file() {
        config::Loader optional;
        optional.load_file("/nonexistent/mtaguard.conf", false);
        CPPUNIT_ASSERT(optional.ok());
        config::Loader required;
        required.load_file("/nonexistent/mtaguard.conf", true);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), required.errors().size());
        CPPUNIT_ASSERT(required.errors()[0].to_string().find("/nonexistent/mtaguard.conf: cannot open") == 0);
    }

    void durations() {
        CPPUNIT_ASSERT_EQUAL(30'000LL, static_cast<long long>(config::parse_duration("30s")->count()));
        CPPUNIT_ASSERT_EQUAL(300'000LL, static_cast<long long>(config::parse_duration("5m")->count()));
        CPPUNIT_ASSERT_EQUAL(86'400'000LL, static_cast<long long>(config::parse_duration("24h")->count()));
        CPPUNIT_ASSERT_EQUAL(604'800'000LL, static_cast<long long>(config::parse_duration("7d")->count()));
        CPPUNIT_ASSERT(!config::parse_duration("").has_value());
        CPPUNIT_ASSERT(!config::parse_duration("s").has_value());
        CPPUNIT_ASSERT(!config::parse_duration("1.5s").has_value());
    }

};

CPPUNIT_TEST_SUITE_REGISTRATION(ConfigTest);
