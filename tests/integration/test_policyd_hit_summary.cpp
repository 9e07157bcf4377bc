// The rate-safe log of cache hits (policyd/hit_summary.h), read back from the
// log: one line per domain with its count, answer, cache state and age, the
// most-asked first and at most kMaxLoggedDomains of them; the rest, the
// domains beyond kMaxTrackedDomains and the per-kind counts in one line.
// Counting through a handle (as the dispatcher does for a remembered answer)
// finds the same counter, and a handle from before a flush is not used after.
#include <cppunit/extensions/HelperMacros.h>

#include <string>
#include <vector>

#include "common/captured_log.h"
#include "hit_summary.h"

namespace {

using namespace std::chrono_literals;

// The lines HitSummary::flush() logs.
std::vector<std::string> flushed(policyd::HitSummary& hits) {
    testing::CapturedLog log("hits");
    hits.flush();
    return log.lines();
}

}  // namespace

class PolicydHitSummaryTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(PolicydHitSummaryTest);
    CPPUNIT_TEST(counts_per_domain_most_asked_first);
    CPPUNIT_TEST(handles_find_the_same_counter_until_a_flush);
    CPPUNIT_TEST(bounded_domains_and_lines);
    CPPUNIT_TEST_SUITE_END();

public:
    void counts_per_domain_most_asked_first() {
        policyd::HitSummary hits;
        policyd::HitSummary::Handle a, b;
        for (int i = 0; i < 2; ++i) hits.count_domain("a.example", "secure", "fresh", 5s, a);
        for (int i = 0; i < 3; ++i) hits.count_domain("b.example", "notfound", "backoff", 7s, b);
        hits.count_kind("parent-probe");
        hits.count_kind("parent-probe");
        hits.count_kind("ip-literal");
        auto lines = flushed(hits);
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), lines.size());
        CPPUNIT_ASSERT_EQUAL(std::string("hits: info: lookup summary domain=b.example count=3 answer=notfound "
                                         "cache=backoff age=7s"), lines[0]);
        CPPUNIT_ASSERT_EQUAL(std::string("hits: info: lookup summary domain=a.example count=2 answer=secure "
                                         "cache=fresh age=5s"), lines[1]);
        CPPUNIT_ASSERT_EQUAL(std::string("hits: info: lookup summary others=0 ip-literal=1 parent-probe=2"), lines[2]);
        CPPUNIT_ASSERT(hits.empty());
        CPPUNIT_ASSERT(flushed(hits).empty());  // nothing counted: nothing logged
    }

    void handles_find_the_same_counter_until_a_flush() {
        policyd::HitSummary hits;
        policyd::HitSummary::Handle first, second;  // two remembered keys of one domain
        hits.count_domain("a.example", "secure", "fresh", 1s, first);
        hits.count_domain("a.example", "secure", "fresh", 2s, second);
        hits.count_domain("a.example", "secure", "fresh", 3s, first);
        CPPUNIT_ASSERT(first.entry == second.entry);
        auto lines = flushed(hits);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), lines.size());
        CPPUNIT_ASSERT_EQUAL(std::string("hits: info: lookup summary domain=a.example count=3 answer=secure "
                                         "cache=fresh age=3s"), lines[0]);
        // After the flush the old handle is stale: the counter is found again.
        hits.count_domain("a.example", "secure", "fresh", 4s, first);
        lines = flushed(hits);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), lines.size());
        CPPUNIT_ASSERT_EQUAL(std::string("hits: info: lookup summary domain=a.example count=1 answer=secure "
                                         "cache=fresh age=4s"), lines[0]);
    }

    void bounded_domains_and_lines() {
        policyd::HitSummary hits;
        constexpr std::size_t kExtra = 5;
        std::vector<policyd::HitSummary::Handle> handles(policyd::kMaxTrackedDomains + kExtra);
        for (std::size_t i = 0; i < handles.size(); ++i)
            hits.count_domain("d" + std::to_string(i) + ".example", "secure", "fresh", 0s, handles[i]);
        // An untracked domain gets no counter, and asking again does not make one.
        CPPUNIT_ASSERT(handles.back().entry == nullptr);
        hits.count_domain("d0.example", "secure", "fresh", 0s, handles[0]);  // tracked: count 2, logged first
        auto lines = flushed(hits);
        CPPUNIT_ASSERT_EQUAL(policyd::kMaxLoggedDomains + 1, lines.size());
        CPPUNIT_ASSERT_EQUAL(std::string("hits: info: lookup summary domain=d0.example count=2 answer=secure "
                                         "cache=fresh age=0s"), lines[0]);
        std::size_t left_out = policyd::kMaxTrackedDomains - policyd::kMaxLoggedDomains + kExtra;
        CPPUNIT_ASSERT_EQUAL("hits: info: lookup summary others=" + std::to_string(left_out), lines.back());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(PolicydHitSummaryTest);
