// Unit tests of lib/dmarc/cache: TTL bounds, negative caching (RFC 2308 §5),
// no caching of temporary failures, LRU eviction, size 0, remaining TTL,
// concurrent use, and TXT answers kept parsed (query_txt) under the same rules. FakeResolver counts upstream queries; the clock is fake.
#include <cppunit/extensions/HelperMacros.h>

#include <atomic>
#include <thread>
#include <vector>

#include "dmarc/cache.h"
#include "dmarc/discovery.h"
#include "fake_resolver.h"

namespace {

using std::chrono::seconds;
using Time = std::chrono::steady_clock::time_point;

struct FakeClock {
    Time now{};
    void advance(seconds s) { now += s; }
    // The returned function refers to this clock: keep the clock alive.
    dmarc::CachingResolver::Clock fn() {
        return [this] { return now; };
    }
};

dmarc::CacheLimits limits(std::size_t entries, int max_ttl, int negative_ttl) {
    dmarc::CacheLimits l;
    l.max_entries = entries;
    l.max_ttl = seconds(max_ttl);
    l.negative_ttl = seconds(negative_ttl);
    return l;
}

dns::Answer negative(dns::Status status, std::uint32_t soa_minimum) {
    dns::Answer a;
    a.status = status;
    a.negative_ttl = soa_minimum;
    return a;
}

const char* kName = "_dmarc.example.com";

}  // namespace

class DmarcCacheTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(DmarcCacheTest);
    CPPUNIT_TEST(positive_honours_ttl);
    CPPUNIT_TEST(positive_bounded_by_max_ttl);
    CPPUNIT_TEST(zero_ttl_not_cached);
    CPPUNIT_TEST(key_is_name_and_type_case_insensitive);
    CPPUNIT_TEST(negative_table);
    CPPUNIT_TEST(temporary_failures_held_back);
    CPPUNIT_TEST(lru_eviction);
    CPPUNIT_TEST(large_answers_not_cached);
    CPPUNIT_TEST(size_zero_disables);
    CPPUNIT_TEST(limits_from_config);
    CPPUNIT_TEST(concurrent_queries);
    CPPUNIT_TEST(parsed_records_until_ttl);
    CPPUNIT_TEST(parsed_table);
    CPPUNIT_TEST_SUITE_END();

public:
    void positive_honours_ttl() {
        testing::FakeResolver up;
        up.txt(kName, {"v=DMARC1; p=reject"}, 300, true);
        FakeClock clock;
        dmarc::CachingResolver cache(up, limits(10, 3600, 300), clock.fn());
        auto first = cache.query(kName, dns::RrType::TXT);
        CPPUNIT_ASSERT_EQUAL(std::uint32_t(300), first.ttl);
        clock.advance(seconds(100));
        auto second = cache.query(kName, dns::RrType::TXT);
        CPPUNIT_ASSERT_EQUAL(1, up.count(kName, dns::RrType::TXT));
        CPPUNIT_ASSERT(second.ok());
        CPPUNIT_ASSERT(second.authentic);
        CPPUNIT_ASSERT_EQUAL(std::string("v=DMARC1; p=reject"), second.texts.at(0));
        CPPUNIT_ASSERT_EQUAL(std::uint32_t(200), second.ttl);  // remaining TTL
        clock.advance(seconds(199));
        cache.query(kName, dns::RrType::TXT);
        CPPUNIT_ASSERT_EQUAL(1, up.count(kName, dns::RrType::TXT));
        clock.advance(seconds(1));  // 300 s: expired
        cache.query(kName, dns::RrType::TXT);
        CPPUNIT_ASSERT_EQUAL(2, up.count(kName, dns::RrType::TXT));
        auto s = cache.stats();
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), s.hits);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), s.misses);
    }

    void positive_bounded_by_max_ttl() {
        testing::FakeResolver up;
        up.txt(kName, {"v=DMARC1; p=none"}, 86400);
        FakeClock clock;
        dmarc::CachingResolver cache(up, limits(10, 60, 300), clock.fn());
        cache.query(kName, dns::RrType::TXT);
        clock.advance(seconds(59));
        cache.query(kName, dns::RrType::TXT);
        CPPUNIT_ASSERT_EQUAL(1, up.count(kName, dns::RrType::TXT));
        clock.advance(seconds(1));
        cache.query(kName, dns::RrType::TXT);
        CPPUNIT_ASSERT_EQUAL(2, up.count(kName, dns::RrType::TXT));
    }

    void zero_ttl_not_cached() {
        testing::FakeResolver up;
        up.txt(kName, {"v=DMARC1; p=none"}, 0);
        FakeClock clock;
        dmarc::CachingResolver cache(up, limits(10, 3600, 300), clock.fn());
        cache.query(kName, dns::RrType::TXT);
        cache.query(kName, dns::RrType::TXT);
        CPPUNIT_ASSERT_EQUAL(2, up.count(kName, dns::RrType::TXT));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), cache.size());
    }

    void key_is_name_and_type_case_insensitive() {
        testing::FakeResolver up;
        up.txt(kName, {"v=DMARC1; p=none"});
        FakeClock clock;
        dmarc::CachingResolver cache(up, limits(10, 3600, 300), clock.fn());
        cache.query("_DMARC.Example.COM.", dns::RrType::TXT);
        cache.query(kName, dns::RrType::TXT);
        CPPUNIT_ASSERT_EQUAL(1, up.count(kName, dns::RrType::TXT));
        cache.query(kName, dns::RrType::A);  // another type: another key
        CPPUNIT_ASSERT_EQUAL(1, up.count(kName, dns::RrType::A));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), cache.size());
    }

    void negative_table() {
        struct Case {
            const char* label;
            dns::Status status;
            std::uint32_t soa_minimum;
            int bound;
            int cached_for;  // seconds the answer stays cached
        };
        const Case cases[] = {
            {"nxdomain soa below bound", dns::Status::NxDomain, 60, 300, 60},
            {"nxdomain soa above bound", dns::Status::NxDomain, 3600, 300, 300},
            {"nxdomain no soa", dns::Status::NxDomain, 0, 300, 300},
            {"nodata soa below bound", dns::Status::NoData, 30, 300, 30},
            {"nodata no soa short bound", dns::Status::NoData, 0, 10, 10},
        };
        for (const auto& c : cases) {
            testing::FakeResolver up;
            up.set(kName, dns::RrType::TXT, negative(c.status, c.soa_minimum));
            FakeClock clock;
            dmarc::CachingResolver cache(up, limits(10, 3600, c.bound), clock.fn());
            auto a = cache.query(kName, dns::RrType::TXT);
            CPPUNIT_ASSERT_MESSAGE(c.label, a.status == c.status);
            clock.advance(seconds(c.cached_for - 1));
            auto b = cache.query(kName, dns::RrType::TXT);
            CPPUNIT_ASSERT_MESSAGE(c.label, b.status == c.status);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.label, 1, up.count(kName, dns::RrType::TXT));
            clock.advance(seconds(1));
            cache.query(kName, dns::RrType::TXT);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.label, 2, up.count(kName, dns::RrType::TXT));
        }
    }

    // RFC 9520 §3.2 / RFC 2308 §7.1: while DNS fails, a name is asked again
    // only after failure_ttl, not once per message; 0 asks every time.
    void temporary_failures_held_back() {
        for (auto status : {dns::Status::ServFail, dns::Status::Timeout}) {
            testing::FakeResolver up;
            up.fail(kName, dns::RrType::TXT, status);
            FakeClock clock;
            auto l = limits(10, 3600, 300);
            l.failure_ttl = seconds(30);
            dmarc::CachingResolver cache(up, l, clock.fn());
            for (int i = 0; i < 3; ++i) CPPUNIT_ASSERT(cache.query(kName, dns::RrType::TXT).status == status);
            CPPUNIT_ASSERT(cache.query_txt(kName)->answer.status == status);
            CPPUNIT_ASSERT_EQUAL(1, up.count(kName, dns::RrType::TXT));
            CPPUNIT_ASSERT_EQUAL(std::size_t(1), cache.size());
            clock.advance(seconds(29));
            CPPUNIT_ASSERT(cache.query(kName, dns::RrType::TXT).status == status);
            CPPUNIT_ASSERT_EQUAL(1, up.count(kName, dns::RrType::TXT));
            clock.advance(seconds(1));  // held back for failure_ttl, then asked again
            up.txt(kName, {"v=DMARC1; p=reject"}, 300, false);
            CPPUNIT_ASSERT(cache.query(kName, dns::RrType::TXT).ok());
            CPPUNIT_ASSERT_EQUAL(2, up.count(kName, dns::RrType::TXT));

            testing::FakeResolver down;
            down.fail(kName, dns::RrType::TXT, status);
            l.failure_ttl = seconds(0);
            dmarc::CachingResolver uncached(down, l, clock.fn());
            CPPUNIT_ASSERT(uncached.query(kName, dns::RrType::TXT).status == status);
            CPPUNIT_ASSERT(uncached.query(kName, dns::RrType::TXT).status == status);
            CPPUNIT_ASSERT_EQUAL(2, down.count(kName, dns::RrType::TXT));
            CPPUNIT_ASSERT_EQUAL(std::size_t(0), uncached.size());
        }
    }

    // The cache is bounded in entries; an entry's size is the sender's
    // choice (any author domain, up to 64 KiB of TXT over TCP). Answers over
    // kMaxCachedAnswerBytes are asked each time instead of kept, so the
    // cache stays within max_entries x that bound.
    void large_answers_not_cached() {
        struct {
            const char* label;
            std::vector<std::string> texts;
            int upstream;  // queries after two asks
            std::size_t size;
        } cases[] = {
            {"one record at the bound", {std::string(dmarc::kMaxCachedAnswerBytes, 'a')}, 1, 1},
            {"one record over it", {std::string(dmarc::kMaxCachedAnswerBytes + 1, 'a')}, 2, 0},
            {"many strings over it", std::vector<std::string>(300, std::string(255, 'b')), 2, 0},
        };
        for (const auto& c : cases) {
            testing::FakeResolver up;
            up.txt(kName, c.texts, 300);
            FakeClock clock;
            dmarc::CachingResolver cache(up, limits(10, 3600, 300), clock.fn());
            CPPUNIT_ASSERT_MESSAGE(c.label, cache.query(kName, dns::RrType::TXT).texts == c.texts);
            CPPUNIT_ASSERT_MESSAGE(c.label, cache.query_txt(kName)->answer.texts == c.texts);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.label, c.upstream, up.count(kName, dns::RrType::TXT));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.label, c.size, cache.size());
        }
    }

    void lru_eviction() {
        testing::FakeResolver up;
        for (const char* n : {"_dmarc.a.example", "_dmarc.b.example", "_dmarc.c.example"})
            up.txt(n, {"v=DMARC1; p=none"});
        FakeClock clock;
        dmarc::CachingResolver cache(up, limits(2, 3600, 300), clock.fn());
        cache.query("_dmarc.a.example", dns::RrType::TXT);
        cache.query("_dmarc.b.example", dns::RrType::TXT);
        cache.query("_dmarc.a.example", dns::RrType::TXT);  // a is now most recent
        cache.query("_dmarc.c.example", dns::RrType::TXT);  // evicts b
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), cache.size());
        up.reset_counts();
        cache.query("_dmarc.a.example", dns::RrType::TXT);
        cache.query("_dmarc.c.example", dns::RrType::TXT);
        CPPUNIT_ASSERT_EQUAL(0, up.total());
        cache.query("_dmarc.b.example", dns::RrType::TXT);
        CPPUNIT_ASSERT_EQUAL(1, up.count("_dmarc.b.example", dns::RrType::TXT));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), cache.size());
    }

    void size_zero_disables() {
        testing::FakeResolver up;
        up.txt(kName, {"v=DMARC1; p=none"});
        FakeClock clock;
        dmarc::CachingResolver cache(up, limits(0, 3600, 300), clock.fn());
        cache.query(kName, dns::RrType::TXT);
        cache.query(kName, dns::RrType::TXT);
        CPPUNIT_ASSERT_EQUAL(2, up.count(kName, dns::RrType::TXT));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), cache.size());
    }

    void limits_from_config() {
        config::Loader loader;
        loader.load_text("dmarc_cache_size = 7\ndmarc_cache_max_ttl = 2m\ndmarc_cache_negative_ttl = 30s\n"
                         "dmarc_cache_failure_ttl = 10s\n",
                         "t.conf");
        auto cfg = loader.finish();
        CPPUNIT_ASSERT(cfg);
        auto l = dmarc::CacheLimits::from_config(*cfg);
        CPPUNIT_ASSERT_EQUAL(std::size_t(7), l.max_entries);
        CPPUNIT_ASSERT_EQUAL(120L, static_cast<long>(l.max_ttl.count()));
        CPPUNIT_ASSERT_EQUAL(30L, static_cast<long>(l.negative_ttl.count()));
        CPPUNIT_ASSERT_EQUAL(10L, static_cast<long>(l.failure_ttl.count()));
        auto d = dmarc::CacheLimits::from_config(config::Config());
        CPPUNIT_ASSERT_EQUAL(std::size_t(10000), d.max_entries);
        CPPUNIT_ASSERT_EQUAL(3600L, static_cast<long>(d.max_ttl.count()));
        CPPUNIT_ASSERT_EQUAL(300L, static_cast<long>(d.negative_ttl.count()));
        CPPUNIT_ASSERT_EQUAL(30L, static_cast<long>(d.failure_ttl.count()));
    }

    // Many threads over a small cache: every answer is right and the cache
    // never exceeds its bound (run under the sanitizers by ./build.sh check).
    void concurrent_queries() {
        class Locked : public dns::Resolver {
        public:
            dns::Answer query(std::string_view name, dns::RrType type) override {
                std::lock_guard lock(m);
                return fake.query(name, type);
            }
            std::mutex m;
            testing::FakeResolver fake;
        } up;
        for (int i = 0; i < 8; ++i)
            up.fake.txt("_dmarc.d" + std::to_string(i) + ".example", {"v=DMARC1; p=" + std::to_string(i)});
        dmarc::CachingResolver cache(up, limits(4, 3600, 300));
        std::atomic<int> wrong{0};
        std::vector<std::thread> threads;
        for (int t = 0; t < 4; ++t)
            threads.emplace_back([&, t] {
                for (int i = 0; i < 500; ++i) {
                    int d = (i + t) % 8;
                    auto a = cache.query("_dmarc.d" + std::to_string(d) + ".example", dns::RrType::TXT);
                    if (!a.ok() || a.texts.at(0) != "v=DMARC1; p=" + std::to_string(d)) ++wrong;
                }
            });
        for (auto& th : threads) th.join();
        CPPUNIT_ASSERT_EQUAL(0, wrong.load());
        CPPUNIT_ASSERT(cache.size() <= 4);
        auto s = cache.stats();
        CPPUNIT_ASSERT_EQUAL(std::size_t(2000), s.hits + s.misses);
    }

    // A record is parsed once per cached answer and served parsed until the
    // answer's TTL ends; then asked and parsed again.
    void parsed_records_until_ttl() {
        testing::FakeResolver up;
        up.txt(kName, {"not dmarc", "v=DMARC1; p=reject; sp=none"}, 300, true);
        FakeClock clock;
        dmarc::CachingResolver cache(up, limits(10, 3600, 300), clock.fn());
        auto first = cache.query_txt(kName);
        CPPUNIT_ASSERT(first->answer.ok());
        CPPUNIT_ASSERT(first->answer.authentic);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), first->records.size());
        CPPUNIT_ASSERT(!first->records[0].is_dmarc);
        CPPUNIT_ASSERT(first->records[1].is_dmarc);
        CPPUNIT_ASSERT(first->records[1].valid);
        CPPUNIT_ASSERT(first->records[1].record->p == dmarc::Policy::Reject);
        CPPUNIT_ASSERT(first->records[1].record->sp == dmarc::Policy::None);
        clock.advance(seconds(299));
        auto second = cache.query_txt("_DMARC.Example.COM.");
        CPPUNIT_ASSERT(first == second);  // the same parse, shared
        CPPUNIT_ASSERT_EQUAL(1, up.count(kName, dns::RrType::TXT));
        // query() and query_txt() share the entry.
        CPPUNIT_ASSERT_EQUAL(std::string("not dmarc"), cache.query(kName, dns::RrType::TXT).texts.at(0));
        CPPUNIT_ASSERT_EQUAL(1, up.count(kName, dns::RrType::TXT));
        clock.advance(seconds(1));  // 300 s: expired
        up.txt(kName, {"v=DMARC1; p=none"}, 300);
        auto third = cache.query_txt(kName);
        CPPUNIT_ASSERT_EQUAL(2, up.count(kName, dns::RrType::TXT));
        CPPUNIT_ASSERT(third != first);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), third->records.size());
        CPPUNIT_ASSERT(third->records[0].record->p == dmarc::Policy::None);
        CPPUNIT_ASSERT(!third->answer.authentic);
        auto s = cache.stats();
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), s.hits);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), s.misses);
        // An answer first stored by query() is parsed on its first query_txt().
        up.txt("_dmarc.other.example", {"v=DMARC1; p=quarantine"}, 300);
        cache.query("_dmarc.other.example", dns::RrType::TXT);
        auto other = cache.query_txt("_dmarc.other.example");
        CPPUNIT_ASSERT_EQUAL(1, up.count("_dmarc.other.example", dns::RrType::TXT));
        CPPUNIT_ASSERT(other->records.at(0).record->p == dmarc::Policy::Quarantine);
        CPPUNIT_ASSERT(other == cache.query_txt("_dmarc.other.example"));
    }

    // Parsed answers follow the answer rules: negative answers for their
    // negative TTL, temporary failures for failure_ttl (30 s), size 0 never.
    void parsed_table() {
        struct {
            const char* label;
            dns::Answer answer;
            std::size_t entries;
            int advance;      // seconds before the second ask
            int upstream;     // upstream queries after two asks
        } cases[] = {
            {"nxdomain within soa minimum", negative(dns::Status::NxDomain, 60), 10, 59, 1},
            {"nxdomain after soa minimum", negative(dns::Status::NxDomain, 60), 10, 60, 2},
            {"nodata within bound", negative(dns::Status::NoData, 0), 10, 299, 1},
            {"servfail within failure ttl", negative(dns::Status::ServFail, 0), 10, 29, 1},
            {"servfail after failure ttl", negative(dns::Status::ServFail, 0), 10, 30, 2},
            {"timeout within failure ttl", negative(dns::Status::Timeout, 0), 10, 29, 1},
            {"timeout after failure ttl", negative(dns::Status::Timeout, 0), 10, 30, 2},
            {"size zero", negative(dns::Status::NxDomain, 60), 0, 0, 2},
        };
        for (const auto& c : cases) {
            testing::FakeResolver up;
            up.set(kName, dns::RrType::TXT, c.answer);
            FakeClock clock;
            dmarc::CachingResolver cache(up, limits(c.entries, 3600, 300), clock.fn());
            auto first = cache.query_txt(kName);
            clock.advance(seconds(c.advance));
            auto second = cache.query_txt(kName);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.label, c.upstream, up.count(kName, dns::RrType::TXT));
            CPPUNIT_ASSERT_MESSAGE(c.label, (c.upstream == 1) == (first == second));
            CPPUNIT_ASSERT_MESSAGE(c.label, second->answer.status == c.answer.status);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.label, std::size_t(0), second->records.size());
        }
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(DmarcCacheTest);
