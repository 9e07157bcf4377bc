// Unit tests of sts::lookup_cached / get / refresh / refresh_domain: a fake
// resolver, fake fetcher and fake clock over a real PolicyCache, through
// every branch of the seed's logic, asserting the result, the stored row and
// how often DNS and HTTPS were asked.
#include <cppunit/extensions/HelperMacros.h>

#include "common/captured_log.h"
#include "fake_resolver.h"
#include "fake_sts.h"
#include "sts/cache.h"
#include "sts/get.h"

namespace {

using std::chrono::seconds;
using sts::CacheState;
using sts::FetchFailure;
using sts::Mode;

constexpr const char* kDomain = "example.com";
constexpr const char* kTxtName = "_mta-sts.example.com";
constexpr std::uint32_t kDay = 86400;

// What a stored row must hold; times as offsets from the test's start.
struct RowExpect {
    bool backoff;
    std::string record_id;
    Mode mode;
    std::int64_t inserted, valid_until, last_update, last_use;
    FetchFailure failure = FetchFailure::None;
    std::string failure_reason = "";
};

class Fixture {
public:
    Fixture() : start_(clock.seconds()) {
        bdb::Status status;
        cache = sts::PolicyCache::open(dir.path(), status);
        if (!cache) throw std::runtime_error(status.error);
    }

    void record(const std::string& id) { resolver.txt(kTxtName, {"v=STSv1; id=" + id + ";"}); }
    void enforce(std::uint32_t max_age = kDay, const std::string& mx = "mx1.example.com") {
        fetcher.policy(kDomain, Mode::Enforce, max_age, {mx},
                       "version: STSv1\nmode: enforce\nmx: " + mx +
                           "\nmax_age: " + std::to_string(max_age) + "\n");
    }
    sts::GetResult get(const std::string& domain = kDomain) {
        return sts::get(domain, resolver, fetcher, *cache, clock, config);
    }
    // Record "abc" and an enforce policy fetched by a first get() (a miss),
    // then `later` seconds pass.
    void cached_enforce(std::int64_t later, std::uint32_t max_age = kDay) {
        record("abc");
        enforce(max_age);
        get();
        advance(later);
    }
    // A cached enforce policy for `domain` (record id "one") that expires in
    // an hour: within sts_refresh_before_expiry, due for the periodic refresh.
    void due_row(const std::string& domain) {
        sts::CacheRow row;
        row.domain = domain;
        row.inserted = row.last_update = row.last_use = row.last_checked = clock.seconds();
        row.valid_until = row.inserted + seconds(3600);
        row.record_id = "one";
        row.policy.mode = Mode::Enforce;
        row.policy.max_age = 3600;
        row.policy_text = "mode: enforce\n";
        CPPUNIT_ASSERT(cache->put(row).ok());
    }
    int txt_queries() const { return resolver.count(kTxtName, dns::RrType::TXT); }
    int fetches() { return fetcher.count(kDomain); }
    void advance(std::int64_t s) { clock.advance(seconds(s)); }

    void expect_row(const std::string& label, const RowExpect& e) {
        auto read = cache->get(kDomain);
        CPPUNIT_ASSERT_MESSAGE(label + ": row", read.status == sts::RowStatus::Found);
        const sts::CacheRow& r = *read.row;
        auto off = [&](sts::Seconds t) { return (t - start_).count(); };
        CPPUNIT_ASSERT_EQUAL_MESSAGE(label + ": domain", std::string(kDomain), r.domain);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(label + ": backoff", e.backoff, r.backoff);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(label + ": id", e.record_id, r.record_id);
        CPPUNIT_ASSERT_MESSAGE(label + ": mode", e.mode == r.policy.mode);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(label + ": inserted", e.inserted, off(r.inserted));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(label + ": valid_until", e.valid_until, off(r.valid_until));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(label + ": last_update", e.last_update, off(r.last_update));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(label + ": last_use", e.last_use, off(r.last_use));
        CPPUNIT_ASSERT_MESSAGE(label + ": failure", e.failure == r.failure);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(label + ": reason", e.failure_reason, r.failure_reason);
    }

    testing::ScratchDir dir;
    testing::FakeResolver resolver;
    testing::FakeFetcher fetcher;
    testing::FakeClock clock;
    config::Config config;
    std::unique_ptr<sts::PolicyCache> cache;

private:
    sts::Seconds start_;
};

void expect_policy(const std::string& label, const sts::GetResult& r, Mode mode, CacheState state,
                   bool fallback = false) {
    CPPUNIT_ASSERT_MESSAGE(label + ": policy " + r.detail, r.policy.has_value());
    CPPUNIT_ASSERT_MESSAGE(label + ": mode", r.policy->mode == mode);
    CPPUNIT_ASSERT_MESSAGE(label + ": state", r.cache_state == state);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(label + ": fallback", fallback, r.fallback);
    CPPUNIT_ASSERT_MESSAGE(label + ": text", !r.policy_text.empty());
    // A policy, even a kept one after a failed refetch, is never a policy failure.
    CPPUNIT_ASSERT_MESSAGE(label + ": policy failure", r.policy_failure == FetchFailure::None);
    CPPUNIT_ASSERT_MESSAGE(label + ": stored", r.stored);
}

// policy_failure: what Postfix's policy_failure= would say (only for a
// domain whose _mta-sts record was found).
void expect_no_policy(const std::string& label, const sts::GetResult& r, CacheState state,
                      FetchFailure failure, const std::string& reason,
                      FetchFailure policy_failure = FetchFailure::None) {
    CPPUNIT_ASSERT_MESSAGE(label + ": no policy", !r.policy.has_value());
    CPPUNIT_ASSERT_MESSAGE(label + ": state", r.cache_state == state);
    CPPUNIT_ASSERT_MESSAGE(label + ": failure", r.failure == failure);
    CPPUNIT_ASSERT_MESSAGE(label + ": policy failure", r.policy_failure == policy_failure);
    CPPUNIT_ASSERT_MESSAGE(label + ": stored", r.stored);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(label + ": reason", reason, r.failure_reason);
    CPPUNIT_ASSERT_MESSAGE(label + ": detail", !r.detail.empty());
}

}  // namespace

class StsGetTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(StsGetTest);
    CPPUNIT_TEST(miss_fetches_and_stores);
    CPPUNIT_TEST(fresh_same_id_uses_cache);
    CPPUNIT_TEST(lookup_cached_never_touches_network);
    CPPUNIT_TEST(last_use_granularity);
    CPPUNIT_TEST(expired_refetches);
    CPPUNIT_TEST(id_changed_refetches);
    CPPUNIT_TEST(none_policy_replaces_enforce);
    CPPUNIT_TEST(dns_failure_keeps_cached);
    CPPUNIT_TEST(fetch_failure_keeps_cached);
    CPPUNIT_TEST(record_gone_keeps_cached_until_expiry);
    CPPUNIT_TEST(fetch_failure_on_miss_backs_off);
    CPPUNIT_TEST(backoff_expires);
    CPPUNIT_TEST(no_record_stores_negative_backoff);
    CPPUNIT_TEST(dns_failure_on_miss_stores_nothing);
    CPPUNIT_TEST(names_are_normalised);
    CPPUNIT_TEST(refresh_renews_and_drops);
    CPPUNIT_TEST(refresh_stops_starting_rows);
    CPPUNIT_TEST(refresh_failures_summed_up);
    CPPUNIT_TEST(refresh_domain_forces_fetch);
    CPPUNIT_TEST_SUITE_END();

public:
    void miss_fetches_and_stores() {
        Fixture f;
        f.record("abc");
        f.enforce();
        auto r = f.get();
        expect_policy("miss", r, Mode::Enforce, CacheState::Miss);
        CPPUNIT_ASSERT(r.failure == FetchFailure::None);
        CPPUNIT_ASSERT(r.policy->mx == std::vector<std::string>{"mx1.example.com"});
        CPPUNIT_ASSERT_EQUAL(kDay, r.policy->max_age);
        CPPUNIT_ASSERT_EQUAL(1, f.txt_queries());
        CPPUNIT_ASSERT_EQUAL(1, f.fetches());
        f.expect_row("miss", {false, "abc", Mode::Enforce, 0, kDay, 0, 0});
    }

    void fresh_same_id_uses_cache() {
        Fixture f;
        f.cached_enforce(3600);
        auto r = f.get();
        expect_policy("fresh", r, Mode::Enforce, CacheState::Fresh);
        CPPUNIT_ASSERT(r.failure == FetchFailure::None);
        CPPUNIT_ASSERT_EQUAL(2, f.txt_queries());  // revalidated
        CPPUNIT_ASSERT_EQUAL(1, f.fetches());      // not refetched
        f.expect_row("fresh", {false, "abc", Mode::Enforce, 0, kDay, 0, 3600});
    }

    void lookup_cached_never_touches_network() {
        Fixture f;
        auto miss = sts::lookup_cached(kDomain, *f.cache, f.clock);
        CPPUNIT_ASSERT(miss.state == CacheState::Miss);
        CPPUNIT_ASSERT(!miss.policy.has_value());
        f.record("abc");
        f.enforce();
        f.get();
        f.resolver.reset_counts();
        f.advance(10);
        auto fresh = sts::lookup_cached(kDomain, *f.cache, f.clock);
        CPPUNIT_ASSERT(fresh.state == CacheState::Fresh);
        CPPUNIT_ASSERT(fresh.policy && fresh.policy->mode == Mode::Enforce);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(10), static_cast<std::int64_t>(fresh.age.count()));
        CPPUNIT_ASSERT(!fresh.revalidate_due);
        CPPUNIT_ASSERT(fresh.policy_text.find("mode: enforce") != std::string::npos);
        f.advance(sts::kRevalidateInterval.count());
        CPPUNIT_ASSERT(sts::lookup_cached(kDomain, *f.cache, f.clock).revalidate_due);
        f.advance(kDay);  // expired
        CPPUNIT_ASSERT(sts::lookup_cached(kDomain, *f.cache, f.clock).state == CacheState::Miss);
        CPPUNIT_ASSERT_EQUAL(0, f.resolver.total());
        CPPUNIT_ASSERT_EQUAL(1, f.fetches());
    }

    void last_use_granularity() {
        Fixture f;
        f.cached_enforce(30);
        sts::lookup_cached(kDomain, *f.cache, f.clock);
        f.expect_row("within granularity", {false, "abc", Mode::Enforce, 0, kDay, 0, 0});
        f.advance(31);
        sts::lookup_cached(kDomain, *f.cache, f.clock);
        f.expect_row("after granularity", {false, "abc", Mode::Enforce, 0, kDay, 0, 61});
    }

    void expired_refetches() {
        Fixture f;
        f.cached_enforce(600, 600);  // valid_until reached
        f.enforce(kDay, "mx2.example.com");
        auto r = f.get();
        expect_policy("expired", r, Mode::Enforce, CacheState::Miss);
        CPPUNIT_ASSERT(r.policy->mx == std::vector<std::string>{"mx2.example.com"});
        CPPUNIT_ASSERT_EQUAL(2, f.fetches());
        f.expect_row("expired", {false, "abc", Mode::Enforce, 0, 600 + kDay, 600, 600});
    }

    void id_changed_refetches() {
        Fixture f;
        f.cached_enforce(100);
        f.record("def");
        f.fetcher.policy(kDomain, Mode::Testing, 2 * kDay, {"mx9.example.com"},
                         "version: STSv1\nmode: testing\nmx: mx9.example.com\nmax_age: 172800\n");
        auto r = f.get();
        expect_policy("id changed", r, Mode::Testing, CacheState::Fresh);
        CPPUNIT_ASSERT_EQUAL(2, f.fetches());
        f.expect_row("id changed", {false, "def", Mode::Testing, 0, 100 + 2 * kDay, 100, 100});
    }

    void none_policy_replaces_enforce() {
        Fixture f;
        f.cached_enforce(100);
        f.record("off");
        f.fetcher.policy(kDomain, Mode::None, kDay, {},
                         "version: STSv1\nmode: none\nmax_age: 86400\n");
        auto r = f.get();
        expect_policy("none", r, Mode::None, CacheState::Fresh);
        CPPUNIT_ASSERT(r.policy->mx.empty());
        f.expect_row("none", {false, "off", Mode::None, 0, 100 + kDay, 100, 100});
        f.advance(100);  // and it stays none
        expect_policy("none again", f.get(), Mode::None, CacheState::Fresh);
        CPPUNIT_ASSERT_EQUAL(2, f.fetches());
    }

    void dns_failure_keeps_cached() {
        Fixture f;
        f.cached_enforce(100);
        f.resolver.fail(kTxtName, dns::RrType::TXT, dns::Status::ServFail);
        auto r = f.get();
        expect_policy("dns failure", r, Mode::Enforce, CacheState::Fresh, true);
        CPPUNIT_ASSERT(r.failure == FetchFailure::FetchError);
        CPPUNIT_ASSERT_EQUAL(std::string("dns-temporary-failure+fallback-to-cached-policy"),
                             r.failure_reason);
        CPPUNIT_ASSERT_EQUAL(1, f.fetches());
        f.expect_row("dns failure", {false, "abc", Mode::Enforce, 0, kDay, 0, 100});
    }

    void fetch_failure_keeps_cached() {
        Fixture f;
        f.cached_enforce(100);
        f.record("def");
        f.fetcher.fail(kDomain, FetchFailure::WebPkiInvalid, "certificate-expired");
        auto r = f.get();
        expect_policy("fetch failure", r, Mode::Enforce, CacheState::Fresh, true);
        CPPUNIT_ASSERT(r.failure == FetchFailure::WebPkiInvalid);
        CPPUNIT_ASSERT_EQUAL(std::string("certificate-expired+fallback-to-cached-policy"),
                             r.failure_reason);
        CPPUNIT_ASSERT_EQUAL(2, f.fetches());
        // The old id stays, so the next use tries the new policy again.
        f.expect_row("fetch failure", {false, "abc", Mode::Enforce, 0, kDay, 0, 100});
        f.advance(100);
        f.get();
        CPPUNIT_ASSERT_EQUAL(3, f.fetches());
    }

    void record_gone_keeps_cached_until_expiry() {
        Fixture f;
        f.cached_enforce(100, 1000);
        f.resolver.fail(kTxtName, dns::RrType::TXT, dns::Status::NxDomain);
        auto r = f.get();
        expect_policy("record gone", r, Mode::Enforce, CacheState::Fresh, true);
        CPPUNIT_ASSERT_EQUAL(std::string("no-sts-record+fallback-to-cached-policy"),
                             r.failure_reason);
        CPPUNIT_ASSERT_EQUAL(1, f.fetches());
        f.advance(900);  // expired now: the missing record means no policy
        auto after = f.get();
        expect_no_policy("record gone, expired", after, CacheState::Miss, FetchFailure::None,
                         "no-sts-record");
        f.expect_row("record gone", {true, "", Mode::None, 0, 1000 + 300, 1000, 1000,
                                     FetchFailure::None, "no-sts-record"});
    }

    void fetch_failure_on_miss_backs_off() {
        Fixture f;
        f.record("abc");
        f.fetcher.fail(kDomain, FetchFailure::FetchError, "http-status-404");
        auto r = f.get();
        expect_no_policy("backoff", r, CacheState::Miss, FetchFailure::FetchError,
                         "http-status-404", FetchFailure::FetchError);
        f.expect_row("backoff", {true, "abc", Mode::None, 0, 300, 0, 0, FetchFailure::FetchError,
                                 "http-status-404"});
        f.advance(299);
        auto again = f.get();
        expect_no_policy("in backoff", again, CacheState::Backoff, FetchFailure::FetchError,
                         "http-status-404", FetchFailure::FetchError);
        CPPUNIT_ASSERT_EQUAL(1, f.txt_queries());
        CPPUNIT_ASSERT_EQUAL(1, f.fetches());
        auto look = sts::lookup_cached(kDomain, *f.cache, f.clock);
        CPPUNIT_ASSERT(look.state == CacheState::Backoff);
        CPPUNIT_ASSERT(look.policy_failure == FetchFailure::FetchError);
        CPPUNIT_ASSERT(!look.policy.has_value());
    }

    void backoff_expires() {
        Fixture f;
        f.record("abc");
        f.fetcher.fail(kDomain, FetchFailure::PolicyInvalid, "policy-syntax");
        f.get();
        f.advance(300);
        f.enforce();
        auto r = f.get();
        expect_policy("backoff over", r, Mode::Enforce, CacheState::Miss);
        CPPUNIT_ASSERT_EQUAL(2, f.fetches());
        f.expect_row("backoff over", {false, "abc", Mode::Enforce, 0, 300 + kDay, 300, 300});
    }

    void no_record_stores_negative_backoff() {
        Fixture f;
        auto r = f.get();
        expect_no_policy("no record", r, CacheState::Miss, FetchFailure::None, "no-sts-record");
        CPPUNIT_ASSERT_EQUAL(0, f.fetches());
        f.expect_row("no record",
                     {true, "", Mode::None, 0, 300, 0, 0, FetchFailure::None, "no-sts-record"});
        f.advance(10);
        expect_no_policy("cached absence", f.get(), CacheState::Backoff, FetchFailure::None,
                         "no-sts-record");
        CPPUNIT_ASSERT(sts::lookup_cached(kDomain, *f.cache, f.clock).policy_failure == FetchFailure::None);
        CPPUNIT_ASSERT_EQUAL(1, f.txt_queries());
    }

    void dns_failure_on_miss_stores_nothing() {
        Fixture f;
        f.resolver.fail(kTxtName, dns::RrType::TXT, dns::Status::Timeout);
        auto r = f.get();
        expect_no_policy("dns failure", r, CacheState::Miss, FetchFailure::FetchError,
                         "dns-temporary-failure");
        CPPUNIT_ASSERT(f.cache->get(kDomain).status == sts::RowStatus::Absent);
        f.get();
        CPPUNIT_ASSERT_EQUAL(2, f.txt_queries());  // tried again at once
        CPPUNIT_ASSERT_EQUAL(0, f.fetches());
    }

    void names_are_normalised() {
        Fixture f;
        f.record("abc");
        f.enforce();
        expect_policy("upper case, dot", f.get("EXAMPLE.Com."), Mode::Enforce, CacheState::Miss);
        f.expect_row("normalised key", {false, "abc", Mode::Enforce, 0, kDay, 0, 0});
        CPPUNIT_ASSERT(sts::lookup_cached("Example.COM", *f.cache, f.clock).state ==
                       CacheState::Fresh);
        auto bad = f.get("not a domain");
        CPPUNIT_ASSERT(!bad.policy.has_value());
        CPPUNIT_ASSERT_EQUAL(std::string("not a domain name"), bad.detail);
        CPPUNIT_ASSERT_EQUAL(1, f.resolver.total());
    }

    // The same outcome whatever the batch refresh() reads the cache in
    // (rows in key order: failing, gone, later, soon, unused).
    void refresh_renews_and_drops() {
        for (std::size_t batch : {std::size_t(1), std::size_t(2), sts::kRefreshBatch}) refresh_in_batches(batch);
    }

    void refresh_in_batches(std::size_t batch) {
        const std::string label = "batch " + std::to_string(batch);
        Fixture f;
        auto seed = [&](const std::string& d, std::uint32_t max_age, bool fetch_ok) {
            f.resolver.txt("_mta-sts." + d, {"v=STSv1; id=one"});
            f.fetcher.policy(d, Mode::Enforce, max_age, {"mx." + d}, "mode: enforce\n");
            f.cache->put([&] {
                sts::CacheRow row;
                row.domain = d;
                row.inserted = row.last_update = row.last_use = row.last_checked =
                    f.clock.seconds();
                row.valid_until = row.inserted + seconds(max_age);
                row.record_id = "one";
                row.policy.mode = Mode::Enforce;
                row.policy.max_age = max_age;
                row.policy_text = "mode: enforce\n";
                return row;
            }());
            if (!fetch_ok) f.fetcher.fail(d, FetchFailure::FetchError, "connect-timeout");
        };
        seed("unused.example", 400 * kDay, true);  // not used for 181 days: dropped
        f.advance(181 * kDay);
        seed("soon.example", 3600, true);            // expires within a day: renewed
        seed("later.example", 30 * kDay, true);      // expires later: left alone
        seed("failing.example", 3600, false);        // renewal fails: kept
        f.get("gone.example");                       // no record: a negative row...
        f.advance(600);                              // ...that has expired: dropped
        testing::LockedResolver locked(f.resolver);  // refresh() asks from worker threads
        auto stats = sts::refresh(locked, f.fetcher, *f.cache, f.clock, f.config, batch);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(label, 1, stats.refreshed);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(label, 1, stats.failed);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(label, 2, stats.dropped);
        auto listing = f.cache->list();
        CPPUNIT_ASSERT_EQUAL_MESSAGE(label, std::size_t(3), listing.rows.size());
        CPPUNIT_ASSERT_EQUAL(std::string("failing.example"), listing.rows[0].domain);
        CPPUNIT_ASSERT_EQUAL(std::string("later.example"), listing.rows[1].domain);
        CPPUNIT_ASSERT_EQUAL(std::string("soon.example"), listing.rows[2].domain);
        const auto& soon = listing.rows[2];
        CPPUNIT_ASSERT(soon.valid_until == f.clock.seconds() + seconds(3600));
        CPPUNIT_ASSERT(soon.last_update == f.clock.seconds());
        CPPUNIT_ASSERT(soon.last_use == f.clock.seconds() - seconds(600));  // a refresh is no use
        CPPUNIT_ASSERT(listing.rows[0].valid_until == f.clock.seconds() + seconds(3000));
        CPPUNIT_ASSERT_EQUAL(1, f.fetcher.count("soon.example"));
        CPPUNIT_ASSERT_EQUAL(1, f.fetcher.count("failing.example"));
        CPPUNIT_ASSERT_EQUAL(0, f.fetcher.count("later.example"));
        CPPUNIT_ASSERT_EQUAL(0, f.fetcher.count("unused.example"));
    }

    // A stop (SIGTERM) during a refresh: no row is started after `stop` is
    // set; the fetches already running end. Before, the refresh went through
    // every row due (with DNS or HTTPS down, a timeout each) before the
    // daemon could exit. The flag is set by the first fetch; each of the
    // sts_refresh_concurrency workers may have taken one row by then.
    void refresh_stops_starting_rows() {
        Fixture f;
        const int rows = 40;
        for (int i = 0; i < rows; ++i) {
            std::string d = "d" + std::to_string(i) + ".example";
            f.resolver.txt("_mta-sts." + d, {"v=STSv1; id=one"});
            f.fetcher.policy(d, Mode::Enforce, 2 * kDay, {"mx." + d}, "mode: enforce\n");  // renewed: not due again
            f.due_row(d);
        }
        std::atomic<bool> stop{false};
        struct StoppingFetcher : sts::Fetcher {
            testing::FakeFetcher& inner;
            std::atomic<bool>& stop;
            StoppingFetcher(testing::FakeFetcher& i, std::atomic<bool>& s) : inner(i), stop(s) {}
            sts::FetchResult fetch(std::string_view domain) override {
                stop = true;
                return inner.fetch(domain);
            }
        } stopping(f.fetcher, stop);
        testing::LockedResolver locked(f.resolver);
        for (std::size_t batch : {std::size_t(1), sts::kRefreshBatch}) {
            const std::string label = "batch " + std::to_string(batch);
            stop = false;
            int before = 0;
            for (int i = 0; i < rows; ++i) before += f.fetcher.count("d" + std::to_string(i) + ".example");
            auto stats = sts::refresh(locked, stopping, *f.cache, f.clock, f.config, batch, &stop);
            int fetched = -before;
            for (int i = 0; i < rows; ++i) fetched += f.fetcher.count("d" + std::to_string(i) + ".example");
            auto concurrency = static_cast<int>(f.config.integer("sts_refresh_concurrency"));
            CPPUNIT_ASSERT_MESSAGE(label + ": fetched " + std::to_string(fetched), fetched >= 1 && fetched <= concurrency);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(label, fetched, stats.refreshed);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(label, 0, stats.failed);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(label, 0, stats.dropped);
            CPPUNIT_ASSERT_MESSAGE(label, stats.stopped);
        }
        // Without a stop, the same refresh renews every row left.
        int renewed = 0;
        for (int i = 0; i < rows; ++i) renewed += f.fetcher.count("d" + std::to_string(i) + ".example");
        auto rest = sts::refresh(locked, f.fetcher, *f.cache, f.clock, f.config);
        CPPUNIT_ASSERT_EQUAL(rows - renewed, rest.refreshed);
        CPPUNIT_ASSERT(!rest.stopped);
    }

    // DNS or HTTPS down for every due row: each renewal fails and the cached
    // policy is kept (RFC 8461 §5.1); one warning sums them up. Before, each
    // row logged "keeping cached policy" at warning, every sts_refresh_interval.
    void refresh_failures_summed_up() {
        Fixture f;
        const int rows = 30;
        for (int i = 0; i < rows; ++i) {
            std::string d = "d" + std::to_string(i) + ".example";
            if (i % 2)
                f.resolver.fail("_mta-sts." + d, dns::RrType::TXT, dns::Status::ServFail);
            else
                f.resolver.txt("_mta-sts." + d, {"v=STSv1; id=one"});  // no policy to fetch
            f.due_row(d);
        }
        testing::LockedResolver locked(f.resolver);
        sts::RefreshStats stats;
        std::vector<std::string> lines;
        {
            testing::CapturedLog log;
            stats = sts::refresh(locked, f.fetcher, *f.cache, f.clock, f.config);
            lines = log.lines();
        }
        CPPUNIT_ASSERT_EQUAL(0, stats.refreshed);
        CPPUNIT_ASSERT_EQUAL(rows, stats.failed);
        CPPUNIT_ASSERT_EQUAL(0, stats.dropped);
        CPPUNIT_ASSERT(stats.first_failure.find("domain=d") == 0);
        int warnings = 0, summaries = 0;
        for (const auto& line : lines) {
            warnings += line.find("warning:") != std::string::npos;
            summaries += line.find(std::to_string(rows) + " renewals failed, cached policies kept") != std::string::npos;
        }
        CPPUNIT_ASSERT_EQUAL(1, warnings);
        CPPUNIT_ASSERT_EQUAL(1, summaries);
        auto listing = f.cache->list();
        CPPUNIT_ASSERT_EQUAL(std::size_t(rows), listing.rows.size());
        for (const auto& row : listing.rows) {
            CPPUNIT_ASSERT_MESSAGE(row.domain, row.valid_until == f.clock.seconds() + seconds(3600));
            CPPUNIT_ASSERT_MESSAGE(row.domain, !row.backoff);
        }
    }

    void refresh_domain_forces_fetch() {
        Fixture f;
        f.cached_enforce(100);
        f.enforce(2 * kDay);
        auto r = sts::refresh_domain(kDomain, f.resolver, f.fetcher, *f.cache, f.clock, f.config);
        expect_policy("forced", r, Mode::Enforce, CacheState::Fresh);
        CPPUNIT_ASSERT_EQUAL(2, f.fetches());  // same id, fetched anyway
        f.expect_row("forced", {false, "abc", Mode::Enforce, 0, 100 + 2 * kDay, 100, 0});
        f.fetcher.fail(kDomain, FetchFailure::FetchError, "http-status-500");
        auto kept =
            sts::refresh_domain(kDomain, f.resolver, f.fetcher, *f.cache, f.clock, f.config);
        expect_policy("forced, failed", kept, Mode::Enforce, CacheState::Fresh, true);
        f.expect_row("forced, failed", {false, "abc", Mode::Enforce, 0, 100 + 2 * kDay, 100, 0});
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(StsGetTest);
