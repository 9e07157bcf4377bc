// Unit tests of lib/report/period: the interval each domain gets (RFC 7489
// §6.3 ri, clamped to hourly..daily per §7.2, rounded to UTC-aligned
// lengths; report_interval without ri), how one domain's evaluations split
// into periods (alignment, changes of ri, empty stretches, days), and that a
// complete period never changes when later evaluations arrive.
#include <cppunit/extensions/HelperMacros.h>

#include <algorithm>
#include <limits>

#include "report/period.h"

namespace {

constexpr std::int64_t kHour = 3600;
constexpr std::int64_t kDay = 86400;
constexpr std::int64_t kMidnight = 1700006400;  // 2023-11-15 00:00:00 UTC

struct SplitCase {
    const char* label;
    std::vector<report::Stamp> stamps;    // offsets from kMidnight
    std::vector<report::Period> periods;  // offsets from kMidnight
};

std::vector<report::Stamp> at(std::vector<report::Stamp> stamps) {
    for (auto& s : stamps) s.time += kMidnight;
    return stamps;
}

std::vector<SplitCase> split_cases() {
    return {
        {"daily: one period from midnight", {{kHour, kDay}, {5 * kHour, kDay}}, {{0, kDay}}},
        {"hourly: one period per hour with mail",
         {{600, kHour}, {3000, kHour}, {2 * kHour + 1800, kHour}},
         {{0, kHour}, {2 * kHour, 3 * kHour}}},
        {"4-hourly: aligned to 00:00 UTC",
         {{kHour, 4 * kHour}, {5 * kHour, 4 * kHour}, {11 * kHour, 4 * kHour}},
         {{0, 4 * kHour}, {4 * kHour, 8 * kHour}, {8 * kHour, 12 * kHour}}},
        {"daily over two days", {{kHour, kDay}, {kDay + 2 * kHour, kDay}}, {{0, kDay}, {kDay, 2 * kDay}}},
        {"last second of a period and first of the next",
         {{kHour - 1, kHour}, {kHour, kHour}},
         {{0, kHour}, {kHour, 2 * kHour}}},
        {"ri shortened: the period ends on a boundary of the new interval",
         {{kHour, kDay}, {10 * kHour + 1800, kHour}, {12 * kHour + 1800, kHour}},
         {{0, 12 * kHour}, {12 * kHour, 13 * kHour}}},
        {"ri lengthened: the rest of the day after the last hourly period",
         {{1800, kHour}, {5 * kHour, kDay}, {20 * kHour, kDay}},
         {{0, kHour}, {kHour, kDay}}},
        {"hourly with idle hours between", {{1800, kHour}, {5 * kHour + 1800, kHour}},
         {{0, kHour}, {5 * kHour, 6 * kHour}}},
        {"no evaluations, no periods", {}, {}},
        {"an unclamped interval of 0 counts as hourly", {{5 * kHour + 10, 0}}, {{5 * kHour, 6 * kHour}}},
    };
}

}  // namespace

class ReportPeriodTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ReportPeriodTest);
    CPPUNIT_TEST(effective_intervals);
    CPPUNIT_TEST(day_of_midnight);
    CPPUNIT_TEST(splits);
    CPPUNIT_TEST(complete_periods_never_change);
    CPPUNIT_TEST_SUITE_END();

public:
    void effective_intervals() {
        const struct {
            const char* label;
            std::optional<std::uint32_t> ri;
            std::int64_t fallback, expected;
        } cases[] = {
            {"no ri: report_interval (daily)", std::nullopt, kDay, kDay},
            {"no ri: report_interval (hourly)", std::nullopt, kHour, kHour},
            {"no ri: report_interval above a day clamps", std::nullopt, 7 * kDay, kDay},
            {"no ri: report_interval of 5h rounds down", std::nullopt, 5 * kHour, 4 * kHour},
            {"ri 0 clamps to hourly", 0u, kDay, kHour},
            {"ri below an hour clamps", 1800u, kDay, kHour},
            {"ri hourly", 3600u, kDay, kHour},
            {"ri 5000 rounds down to an hour", 5000u, kDay, kHour},
            {"ri 2h", 7200u, kDay, 2 * kHour},
            {"ri 4h", 14400u, kDay, 4 * kHour},
            {"ri 5h rounds down to 4h", 18000u, kDay, 4 * kHour},
            {"ri 12h", 43200u, kDay, 12 * kHour},
            {"ri 23h rounds down to 12h", 82800u, kHour, 12 * kHour},
            {"ri daily", 86400u, kHour, kDay},
            {"ri weekly clamps to daily", 604800u, kHour, kDay},
            {"ri 32-bit maximum", std::numeric_limits<std::uint32_t>::max(), kHour, kDay},
        };
        for (const auto& c : cases)
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.label, c.expected, report::effective_interval(c.ri, c.fallback));
    }

    void day_of_midnight() {
        CPPUNIT_ASSERT_EQUAL(kMidnight, report::day_of(kMidnight));
        CPPUNIT_ASSERT_EQUAL(kMidnight, report::day_of(kMidnight + kDay - 1));
        CPPUNIT_ASSERT_EQUAL(kMidnight + kDay, report::day_of(kMidnight + kDay));
        CPPUNIT_ASSERT_EQUAL(-kDay, report::day_of(-1));
    }

    void splits() {
        for (const auto& c : split_cases()) {
            auto stamps = at(c.stamps);
            auto periods = report::split_periods(stamps);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(std::string(c.label) + ": count", c.periods.size(), periods.size());
            for (std::size_t i = 0; i < periods.size(); ++i) {
                std::string label = std::string(c.label) + ": period " + std::to_string(i);
                CPPUNIT_ASSERT_EQUAL_MESSAGE(label + " begin", kMidnight + c.periods[i].begin, periods[i].begin);
                CPPUNIT_ASSERT_EQUAL_MESSAGE(label + " end", kMidnight + c.periods[i].end, periods[i].end);
            }
        }
    }

    // What an hourly run sees: only evaluations before `now`. Every period
    // complete by then must be one the full history yields too, so that a
    // later run neither resends nor reports an overlapping period.
    void complete_periods_never_change() {
        for (const auto& c : split_cases()) {
            auto stamps = at(c.stamps);
            auto full = report::split_periods(stamps);
            for (std::int64_t now = kMidnight; now <= kMidnight + 2 * kDay; now += kHour) {
                std::vector<report::Stamp> seen;
                for (const auto& s : stamps)
                    if (s.time < now) seen.push_back(s);
                for (const auto& p : report::split_periods(seen)) {
                    if (p.end > now) continue;
                    bool found = std::find(full.begin(), full.end(), p) != full.end();
                    CPPUNIT_ASSERT_MESSAGE(std::string(c.label) + ": period " + std::to_string(p.begin) +
                                               " seen at " + std::to_string(now) + " changed later",
                                           found);
                }
            }
        }
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ReportPeriodTest);
