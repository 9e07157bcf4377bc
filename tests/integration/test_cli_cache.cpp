// `mtaguard cache list|show|purge|refresh` as an administrator runs them,
// while this test process holds the same cache open as mtaguard-policyd
// would: both see each other's writes. DNS is ldns-testns on loopback;
// the cases here never reach an HTTPS fetch.
#include <cppunit/extensions/HelperMacros.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "harness.h"
#include "json.h"
#include "sts/cache.h"

namespace {

using std::chrono::seconds;

sts::Seconds now() {
    return std::chrono::floor<seconds>(std::chrono::system_clock::now());
}

sts::CacheRow policy_row(const std::string& domain, sts::Seconds t, std::int64_t valid_for) {
    sts::CacheRow row;
    row.domain = domain;
    row.inserted = row.last_update = row.last_use = row.last_checked = t;
    row.valid_until = t + seconds(valid_for);
    row.record_id = "20260101";
    row.policy.mode = sts::Mode::Enforce;
    row.policy.max_age = 86400;
    row.policy.mx = {"mx1." + domain, "*.mx." + domain};
    row.policy_text = "version: STSv1\nmode: enforce\nmx: mx1." + domain + "\nmax_age: 86400\n";
    return row;
}

sts::CacheRow backoff_row(const std::string& domain, sts::Seconds t) {
    sts::CacheRow row;
    row.domain = domain;
    row.inserted = row.last_update = row.last_use = row.last_checked = t;
    row.valid_until = t + seconds(300);
    row.backoff = true;
    row.policy.max_age = 300;
    row.failure = sts::FetchFailure::WebPkiInvalid;
    row.failure_reason = "certificate-expired";
    return row;
}

}  // namespace

class CliCacheTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(CliCacheTest);
    CPPUNIT_TEST(list_json_next_to_daemon);
    CPPUNIT_TEST(list_and_show_readable);
    CPPUNIT_TEST(show_json_and_not_cached);
    CPPUNIT_TEST(purge_one_and_all);
    CPPUNIT_TEST(refresh_domain_without_record);
    CPPUNIT_TEST(refresh_domain_dns_timeout);
    CPPUNIT_TEST(refresh_all_drops_unused);
    CPPUNIT_TEST(usage_errors);
    CPPUNIT_TEST(missing_cache_not_created);
    CPPUNIT_TEST(root_acts_as_cache_owner);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override {
        dir_ = std::make_unique<harness::TempDir>();
        bdb::Status status;
        daemon_ = sts::PolicyCache::open(dir_->path(), status);
        CPPUNIT_ASSERT_MESSAGE(status.error, daemon_ != nullptr);
        t_ = now();
        CPPUNIT_ASSERT(daemon_->put(policy_row("example.com", t_ - seconds(7200), 3 * 86400)).ok());
        CPPUNIT_ASSERT(daemon_->put(backoff_row("broken.example", t_)).ok());
        CPPUNIT_ASSERT(
            daemon_->put(policy_row("old.example", t_ - seconds(3 * 86400), 86400)).ok());
    }
    void tearDown() override {
        daemon_.reset();
        dir_.reset();
    }

    harness::ToolResult tool(std::vector<std::string> args) {
        std::vector<std::string> argv{"-o", "cache_dir=" + dir_->path()};
        argv.insert(argv.end(), args.begin(), args.end());
        return harness::run_tool(argv);
    }

    void list_json_next_to_daemon() {
        auto r = tool({"cache", "list", "--json"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.err, 0, r.status);
        json::Value v = harness::tool_json(r);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(3), v["count"].as_int());
        CPPUNIT_ASSERT_EQUAL(dir_->path(), v["cache_dir"].as_string());
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), v["corrupt"].size());
        const json::Value& broken = v["domains"][0];
        CPPUNIT_ASSERT_EQUAL(std::string("broken.example"), broken["domain"].as_string());
        CPPUNIT_ASSERT_EQUAL(std::string("backoff"), broken["state"].as_string());
        CPPUNIT_ASSERT(broken["backoff"].as_bool());
        CPPUNIT_ASSERT(broken["policy"].is_null());
        CPPUNIT_ASSERT(broken["record_id"].is_null());
        CPPUNIT_ASSERT_EQUAL(std::string("sts-webpki-invalid"), broken["failure"].as_string());
        CPPUNIT_ASSERT_EQUAL(std::string("certificate-expired"),
                             broken["failure_reason"].as_string());
        std::int64_t expires = broken["expires_in_seconds"].as_int();
        CPPUNIT_ASSERT_MESSAGE(std::to_string(expires), expires > 200 && expires <= 300);
        const json::Value& ex = v["domains"][1];
        CPPUNIT_ASSERT_EQUAL(std::string("example.com"), ex["domain"].as_string());
        CPPUNIT_ASSERT_EQUAL(std::string("fresh"), ex["state"].as_string());
        CPPUNIT_ASSERT(!ex["backoff"].as_bool());
        CPPUNIT_ASSERT_EQUAL(std::string("20260101"), ex["record_id"].as_string());
        CPPUNIT_ASSERT_EQUAL(std::string("enforce"), ex["policy"]["mode"].as_string());
        CPPUNIT_ASSERT_EQUAL(std::string("STSv1"), ex["policy"]["version"].as_string());
        CPPUNIT_ASSERT_EQUAL(std::int64_t(86400), ex["policy"]["max_age"].as_int());
        CPPUNIT_ASSERT_EQUAL(std::string("mx1.example.com"), ex["policy"]["mx"][0].as_string());
        CPPUNIT_ASSERT_EQUAL(std::string("*.mx.example.com"), ex["policy"]["mx"][1].as_string());
        CPPUNIT_ASSERT(ex["failure"].is_null());
        CPPUNIT_ASSERT(ex["policy_text"].as_string().find("mode: enforce\n") != std::string::npos);
        CPPUNIT_ASSERT(ex["age_seconds"].as_int() >= 7200);
        CPPUNIT_ASSERT_EQUAL(std::size_t(20),
                             ex["valid_until"].as_string().size());  // ...T..:..:..Z
        CPPUNIT_ASSERT_EQUAL(std::string("expired"), v["domains"][2]["state"].as_string());
        // The daemon's handle keeps working while and after the CLI ran.
        CPPUNIT_ASSERT(daemon_->get("example.com").status == sts::RowStatus::Found);
    }

    void list_and_show_readable() {
        auto r = tool({"cache", "list"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.err, 0, r.status);
        CPPUNIT_ASSERT_MESSAGE(
            r.out,
            r.out.find("example.com  fresh mode=enforce id=20260101 age=2h") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(
            r.out, r.out.find("broken.example  backoff (sts-webpki-invalid certificate-expired)") !=
                       std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(
            r.out, r.out.find("old.example  expired mode=enforce") != std::string::npos);
        auto s = tool({"cache", "show", "EXAMPLE.com."});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(s.err, 0, s.status);
        CPPUNIT_ASSERT_MESSAGE(s.out, s.out.find("mode:         enforce\n") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(s.out,
                               s.out.find("mx:           *.mx.example.com\n") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(s.out, s.out.find("state:        fresh\n") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(s.out,
                               s.out.find("policy text:\nversion: STSv1\n") != std::string::npos);
    }

    void show_json_and_not_cached() {
        auto r = tool({"cache", "show", "--json", "broken.example"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.err, 0, r.status);
        json::Value v = harness::tool_json(r);
        CPPUNIT_ASSERT(v["cached"].as_bool());
        CPPUNIT_ASSERT_EQUAL(std::string("backoff"), v["row"]["state"].as_string());
        CPPUNIT_ASSERT(v["error"].is_null());
        auto missing = tool({"cache", "show", "--json", "nowhere.example"});
        CPPUNIT_ASSERT_EQUAL(1, missing.status);
        json::Value m = harness::tool_json(missing);
        CPPUNIT_ASSERT(!m["cached"].as_bool());
        CPPUNIT_ASSERT(m["row"].is_null());
        CPPUNIT_ASSERT_EQUAL(std::string("nowhere.example"), m["domain"].as_string());
        auto plain = tool({"cache", "show", "nowhere.example"});
        CPPUNIT_ASSERT_EQUAL(1, plain.status);
        CPPUNIT_ASSERT_EQUAL(std::string("nowhere.example: not cached\n"), plain.out);
    }

    void purge_one_and_all() {
        auto one = tool({"cache", "purge", "--json", "example.com"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(one.err, 0, one.status);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(1), harness::tool_json(one)["removed"].as_int());
        CPPUNIT_ASSERT(daemon_->get("example.com").status == sts::RowStatus::Absent);
        auto again = tool({"cache", "purge", "example.com"});
        CPPUNIT_ASSERT_EQUAL(1, again.status);
        CPPUNIT_ASSERT_EQUAL(std::string("removed 0 rows\n"), again.out);
        auto all = tool({"cache", "purge"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(all.err, 0, all.status);
        CPPUNIT_ASSERT_EQUAL(std::string("removed 2 rows\n"), all.out);
        CPPUNIT_ASSERT(daemon_->list().rows.empty());
        CPPUNIT_ASSERT(daemon_->put(policy_row("example.com", t_, 60)).ok());  // still writable
    }

    void refresh_domain_without_record() {
        harness::TestDns dns(harness::dns_entry("_mta-sts.none.example.", "TXT", "NXDOMAIN", ""));
        auto r = tool({"-o", "dns_nameservers=" + dns.nameserver(), "cache", "refresh", "--json",
                       "none.example"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.out + r.err, 1, r.status);
        json::Value v = harness::tool_json(r);
        CPPUNIT_ASSERT(v["policy"].is_null());
        CPPUNIT_ASSERT(!v["fallback"].as_bool());
        CPPUNIT_ASSERT(v["failure"].is_null());
        CPPUNIT_ASSERT_EQUAL(std::string("no-sts-record"), v["failure_reason"].as_string());
        auto row = daemon_->get("none.example");  // the negative cache row, seen by the daemon
        CPPUNIT_ASSERT(row.status == sts::RowStatus::Found);
        CPPUNIT_ASSERT(row.row->backoff);
        CPPUNIT_ASSERT(row.row->policy.mode == sts::Mode::None);
    }

    void refresh_domain_dns_timeout() {
        harness::SilentUdp silent;
        auto r = tool({"-o", "dns_nameservers=127.0.0.1:" + std::to_string(silent.port()), "-o",
                       "dns_timeout=200ms", "cache", "refresh", "example.com"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.out + r.err, 75, r.status);
        CPPUNIT_ASSERT_MESSAGE(
            r.out,
            r.out.find("example.com: mode=enforce (kept cached policy)") != std::string::npos);
        auto row = daemon_->get("example.com");
        CPPUNIT_ASSERT(row.row->last_update == t_ - seconds(7200));  // unchanged
    }

    void refresh_all_drops_unused() {
        sts::CacheRow unused = policy_row("unused.example", t_, 30 * 86400);
        unused.last_use = t_ - seconds(200 * 86400);
        CPPUNIT_ASSERT(daemon_->put(unused).ok());
        harness::SilentUdp silent;
        // old.example expired and was used 3 days ago: renewal fails (no DNS answer).
        auto r = tool({"-o", "dns_nameservers=127.0.0.1:" + std::to_string(silent.port()), "-o",
                       "dns_timeout=200ms", "cache", "refresh", "--json"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.out + r.err, 75, r.status);
        json::Value v = harness::tool_json(r);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(0), v["refreshed"].as_int());
        CPPUNIT_ASSERT_EQUAL(std::int64_t(1), v["failed"].as_int());
        CPPUNIT_ASSERT_EQUAL(std::int64_t(1), v["dropped"].as_int());
        CPPUNIT_ASSERT(daemon_->get("unused.example").status == sts::RowStatus::Absent);
        CPPUNIT_ASSERT(daemon_->get("example.com").status == sts::RowStatus::Found);
    }

    void usage_errors() {
        CPPUNIT_ASSERT_EQUAL(2, tool({"cache"}).status);
        CPPUNIT_ASSERT_EQUAL(2, tool({"cache", "show"}).status);
        CPPUNIT_ASSERT_EQUAL(2, tool({"cache", "list", "extra"}).status);
        CPPUNIT_ASSERT_EQUAL(2, tool({"cache", "purge", "a.example", "b.example"}).status);
        CPPUNIT_ASSERT_EQUAL(2, tool({"cache", "frobnicate"}).status);
        CPPUNIT_ASSERT_EQUAL(2, tool({"cache", "--yaml", "list"}).status);
        auto bad = tool({"cache", "show", "bad..example"});
        CPPUNIT_ASSERT_EQUAL(2, bad.status);
        CPPUNIT_ASSERT_MESSAGE(bad.err, bad.err.find("bad..example") != std::string::npos);
        auto conf = harness::run_tool({"-o", "cache_dir", "cache", "list"});
        CPPUNIT_ASSERT_EQUAL(2, conf.status);
    }

    void missing_cache_not_created() {
        std::string missing = dir_->path() + "/missing";
        for (const char* verb : {"list", "purge"}) {
            auto r = harness::run_tool({"-o", "cache_dir=" + missing, "cache", verb});
            CPPUNIT_ASSERT_EQUAL(1, r.status);
            CPPUNIT_ASSERT_MESSAGE(r.err, r.err.find("no policy cache") != std::string::npos);
        }
        auto show = harness::run_tool({"-o", "cache_dir=" + missing, "cache", "show", "a.example"});
        CPPUNIT_ASSERT_EQUAL(1, show.status);
        CPPUNIT_ASSERT(!std::filesystem::exists(missing));
    }

    // Run by root on a cache_dir the daemon's user owns, the files the
    // command creates belong to that user.
    void root_acts_as_cache_owner() {
        if (::geteuid() != 0) return;  // only root can change identity
        constexpr uid_t kNobody = 65534;
        harness::TempDir top;
        std::string cache = top.path() + "/cache";
        CPPUNIT_ASSERT_EQUAL(0, ::chmod(top.path().c_str(), 0755));
        CPPUNIT_ASSERT_EQUAL(0, ::mkdir(cache.c_str(), 0750));
        CPPUNIT_ASSERT_EQUAL(0, ::chown(cache.c_str(), kNobody, kNobody));
        harness::TestDns dns(harness::dns_entry("_mta-sts.none.example.", "TXT", "NXDOMAIN", ""));
        auto r = harness::run_tool({"-o", "cache_dir=" + cache, "-o",
                                    "dns_nameservers=" + dns.nameserver(), "cache", "refresh",
                                    "none.example"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.out + r.err, 1, r.status);
        for (const char* file : {sts::kCacheFile, "__db.register", "__db.001"}) {
            struct stat st {};
            CPPUNIT_ASSERT_EQUAL_MESSAGE(file, 0, ::stat((cache + "/" + file).c_str(), &st));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(file, kNobody, st.st_uid);
        }
        auto list = harness::run_tool({"-o", "cache_dir=" + cache, "cache", "list"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(list.err, 0, list.status);
        CPPUNIT_ASSERT_MESSAGE(list.out,
                               list.out.find("none.example  backoff") != std::string::npos);
    }

private:
    std::unique_ptr<harness::TempDir> dir_;
    std::unique_ptr<sts::PolicyCache> daemon_;
    sts::Seconds t_;
};

CPPUNIT_TEST_SUITE_REGISTRATION(CliCacheTest);
