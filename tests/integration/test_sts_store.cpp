// The MTA-STS store end to end: sts::get / lookup_cached with the real
// ldns resolver (ldns-testns), the real HTTPS fetcher (a local server with a
// test CA) and the real Berkeley DB cache; then `mtaguard cache refresh` and
// `cache show` on the same cache. Only the clock is fake, to step over the
// backoff without waiting.
#include <cppunit/extensions/HelperMacros.h>

#include "harness.h"
#include "https_server.h"
#include "json.h"
#include "sts/cache.h"
#include "sts/get.h"

namespace {

using harness::text_plain;

using std::chrono::seconds;

const std::string kHost = "mta-sts.example.com";
const std::string kPath = "/.well-known/mta-sts.txt";
const std::string kPolicy =
    "version: STSv1\nmode: enforce\nmx: mx1.example.com\nmx: *.example.net\nmax_age: 604800\n";

class StepClock : public sts::Clock {
public:
    std::chrono::system_clock::time_point now() override { return now_; }
    void advance(seconds s) { now_ += s; }

private:
    std::chrono::system_clock::time_point now_ = std::chrono::system_clock::now();
};

std::string zone() {
    return harness::dns_txt("_mta-sts.example.com.", "v=STSv1; id=20260101T000000;");
}

}  // namespace

class StsStoreTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(StsStoreTest);
    CPPUNIT_TEST(backoff_then_policy_then_cache);
    CPPUNIT_TEST(cli_refresh_and_show);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override {
        tls_ = std::make_unique<harness::PkiDir>();
        server_ = std::make_unique<harness::HttpsServer>(tls_->pki.issue(kHost));
        dns_ = std::make_unique<harness::TestDns>(zone());
        cache_dir_ = tls_->dir.path() + "/cache";
    }
    void tearDown() override {
        dns_.reset();
        server_.reset();
        tls_.reset();
    }

    void backoff_then_policy_then_cache() {
        bdb::Status status;
        auto cache = sts::PolicyCache::open(cache_dir_, status);
        CPPUNIT_ASSERT_MESSAGE(status.error, cache != nullptr);
        dns::LdnsResolver resolver({dns_->nameserver()}, std::chrono::milliseconds(2000));
        sts::FetchOptions options;
        options.ca_file = tls_->pki.ca_file();
        options.port = server_->port();
        options.resolve = {kHost + ":127.0.0.1"};
        auto fetcher = sts::make_https_fetcher(options);
        StepClock clock;
        config::Config config;

        server_->route(kPath, text_plain("not here", 404));
        auto failed = sts::get("example.com", resolver, *fetcher, *cache, clock, config);
        CPPUNIT_ASSERT(!failed.policy.has_value());
        CPPUNIT_ASSERT(failed.failure == sts::FetchFailure::FetchError);
        CPPUNIT_ASSERT_EQUAL(std::string("http-status-404"), failed.failure_reason);
        CPPUNIT_ASSERT_EQUAL(1, server_->requests());
        auto row = cache->get("example.com");
        CPPUNIT_ASSERT(row.row && row.row->backoff);
        CPPUNIT_ASSERT_EQUAL(std::string("20260101T000000"), row.row->record_id);

        server_->route(kPath, text_plain(kPolicy));
        auto backing_off = sts::get("example.com", resolver, *fetcher, *cache, clock, config);
        CPPUNIT_ASSERT(backing_off.cache_state == sts::CacheState::Backoff);
        CPPUNIT_ASSERT(!backing_off.policy.has_value());
        CPPUNIT_ASSERT_EQUAL(1, server_->requests());

        clock.advance(seconds(301));
        auto fetched = sts::get("example.com", resolver, *fetcher, *cache, clock, config);
        CPPUNIT_ASSERT_MESSAGE(fetched.detail, fetched.policy.has_value());
        CPPUNIT_ASSERT(fetched.policy->mode == sts::Mode::Enforce);
        CPPUNIT_ASSERT_EQUAL(kPolicy, fetched.policy_text);
        CPPUNIT_ASSERT_EQUAL(2, server_->requests());

        clock.advance(seconds(10));
        auto cached = sts::get("example.com", resolver, *fetcher, *cache, clock, config);
        CPPUNIT_ASSERT(cached.cache_state == sts::CacheState::Fresh);
        CPPUNIT_ASSERT(cached.policy && cached.policy->mx.size() == 2);
        CPPUNIT_ASSERT_EQUAL(2, server_->requests());  // same TXT id: no fetch
        auto fast = sts::lookup_cached("example.com", *cache, clock);
        CPPUNIT_ASSERT(fast.state == sts::CacheState::Fresh);
        CPPUNIT_ASSERT_EQUAL(std::string("*.example.net"), fast.policy->mx[1]);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(10), static_cast<std::int64_t>(fast.age.count()));
    }

    void cli_refresh_and_show() {
        server_->route(kPath, text_plain(kPolicy));
        std::vector<std::string> common{"-o", "cache_dir=" + cache_dir_,
                                        "-o", "dns_nameservers=" + dns_->nameserver(),
                                        "-o", "sts_ca_file=" + tls_->pki.ca_file(),
                                        "-o", "sts_fetch_port=" + std::to_string(server_->port()),
                                        "-o", "sts_fetch_resolve=" + kHost + ":127.0.0.1"};
        auto args = [&](std::vector<std::string> more) {
            std::vector<std::string> all = common;
            all.insert(all.end(), more.begin(), more.end());
            return all;
        };
        auto r = harness::run_tool(args({"cache", "refresh", "--json", "example.com"}));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.out + r.err, 0, r.status);
        json::Value j = harness::tool_json(r);
        CPPUNIT_ASSERT_EQUAL(std::string("enforce"), j["policy"]["mode"].as_string());
        CPPUNIT_ASSERT(!j["fallback"].as_bool());
        CPPUNIT_ASSERT(j["failure"].is_null());
        CPPUNIT_ASSERT_EQUAL(1, server_->requests());

        auto show = harness::run_tool(args({"cache", "show", "--json", "example.com"}));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(show.err, 0, show.status);
        json::Value s = harness::tool_json(show);
        const json::Value& row = s["row"];
        CPPUNIT_ASSERT_EQUAL(std::string("fresh"), row["state"].as_string());
        CPPUNIT_ASSERT_EQUAL(std::string("20260101T000000"), row["record_id"].as_string());
        CPPUNIT_ASSERT_EQUAL(std::int64_t(604800), row["policy"]["max_age"].as_int());
        CPPUNIT_ASSERT_EQUAL(std::string("mx1.example.com"), row["policy"]["mx"][0].as_string());
        CPPUNIT_ASSERT_EQUAL(kPolicy, row["policy_text"].as_string());

        // A forced refresh that fails keeps the cached policy (exit 75).
        server_->route(kPath, text_plain("gone", 500));
        auto kept = harness::run_tool(args({"cache", "refresh", "example.com"}));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(kept.out + kept.err, 75, kept.status);
        CPPUNIT_ASSERT_MESSAGE(kept.out,
                               kept.out.find("(kept cached policy)") != std::string::npos);
        auto still = harness::run_tool(args({"cache", "show", "example.com"}));
        CPPUNIT_ASSERT_EQUAL(0, still.status);
        CPPUNIT_ASSERT_MESSAGE(still.out,
                               still.out.find("mode:         enforce\n") != std::string::npos);
    }

private:
    std::unique_ptr<harness::PkiDir> tls_;
    std::unique_ptr<harness::HttpsServer> server_;
    std::unique_ptr<harness::TestDns> dns_;
    std::string cache_dir_;
};

CPPUNIT_TEST_SUITE_REGISTRATION(StsStoreTest);
