// Unit tests of lib/report/aggregate: periods aligned to UTC midnight,
// grouping per policy domain and period, one row per combination with
// counts, envelope_to, reasons, the last policy of a period, and what is
// never reported (no policy domain, reports about reports).
#include <cppunit/extensions/HelperMacros.h>

#include <algorithm>
#include <map>
#include <random>

#include "report/aggregate.h"
#include "report_samples.h"

namespace {

constexpr std::int64_t kDay = 86400;
constexpr std::int64_t kMidnight = 1700006400;  // 2023-11-15T00:00:00Z

report::Evaluation at(std::int64_t time, const std::string& ip = "192.0.2.10") {
    auto e = testing::sample_evaluation(time);
    e.source_ip = ip;
    return e;
}

}  // namespace

class ReportAggregateTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ReportAggregateTest);
    CPPUNIT_TEST(periods);
    CPPUNIT_TEST(grouping_and_counts);
    CPPUNIT_TEST(row_fields);
    CPPUNIT_TEST(envelope_to);
    CPPUNIT_TEST(disposition_reasons);
    CPPUNIT_TEST(last_policy_wins);
    CPPUNIT_TEST(never_reported);
    CPPUNIT_TEST(domain_filter);
    CPPUNIT_TEST(per_domain_intervals);
    CPPUNIT_TEST(hour_stamps_give_the_same_periods);
    CPPUNIT_TEST(two_passes_over_the_source);
    CPPUNIT_TEST_SUITE_END();

public:
    void periods() {
        struct Case {
            const char* label;
            std::int64_t time, interval, begin, end;
        } cases[] = {
            {"midnight itself", kMidnight, kDay, kMidnight, kMidnight + kDay},
            {"last second of the day", kMidnight + kDay - 1, kDay, kMidnight, kMidnight + kDay},
            {"next day", kMidnight + kDay, kDay, kMidnight + kDay, kMidnight + 2 * kDay},
            {"hourly", kMidnight + 3 * 3600 + 59, 3600, kMidnight + 3 * 3600, kMidnight + 4 * 3600},
            {"before the epoch", -1, kDay, -kDay, 0},
            {"bad interval means daily", kMidnight + 5, 0, kMidnight, kMidnight + kDay},
        };
        for (const auto& c : cases) {
            auto p = report::period_of(c.time, c.interval);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(std::string(c.label) + " begin", c.begin, p.begin);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(std::string(c.label) + " end", c.end, p.end);
        }
    }

    void grouping_and_counts() {
        auto other = at(kMidnight + 10);
        other.policy.domain = "Example.NET";
        other.header_from = "example.net";
        std::vector<report::Evaluation> in = {
            at(kMidnight + 100), at(kMidnight + 200), at(kMidnight + 300, "198.51.100.7"),
            at(kMidnight + kDay + 1),  // next day
            other,
        };
        auto reports = report::aggregate(in, kDay);
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), reports.size());
        CPPUNIT_ASSERT_EQUAL(std::string("example.com"), reports[0].policy_domain);
        CPPUNIT_ASSERT_EQUAL(kMidnight, reports[0].period.begin);
        CPPUNIT_ASSERT_EQUAL(kMidnight + kDay, reports[0].period.end);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(3), reports[0].messages);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), reports[0].rows.size());
        CPPUNIT_ASSERT_EQUAL(std::string("192.0.2.10"), reports[0].rows[0].source_ip);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), reports[0].rows[0].count);
        CPPUNIT_ASSERT_EQUAL(std::string("198.51.100.7"), reports[0].rows[1].source_ip);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), reports[0].rows[1].count);
        CPPUNIT_ASSERT_EQUAL(std::string("example.com"), reports[1].policy_domain);
        CPPUNIT_ASSERT_EQUAL(kMidnight + kDay, reports[1].period.begin);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), reports[1].messages);
        CPPUNIT_ASSERT_EQUAL(std::string("example.net"), reports[2].policy_domain);
        CPPUNIT_ASSERT_EQUAL(std::string("example.net"), reports[2].policy.domain);
    }

    void row_fields() {
        // Any difference in identifiers or results makes a row of its own.
        std::vector<report::Evaluation> in;
        in.push_back(at(kMidnight));
        auto sub = at(kMidnight);
        sub.header_from = "News.Example.com";
        in.push_back(sub);
        auto spf_fail = at(kMidnight);
        spf_fail.spf[0].result = "fail";
        in.push_back(spf_fail);
        auto selector = at(kMidnight);
        selector.dkim[0].selector = "s2";
        in.push_back(selector);
        auto aligned = at(kMidnight);
        aligned.dmarc_spf = "pass";
        in.push_back(aligned);
        in.push_back(at(kMidnight + 1));  // same as the first
        auto reports = report::aggregate(in, kDay);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), reports.size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(5), reports[0].rows.size());
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(6), reports[0].messages);
        std::uint64_t total = 0;
        bool saw_sub = false;
        for (const auto& r : reports[0].rows) {
            total += r.count;
            if (r.header_from == "news.example.com") saw_sub = true;
        }
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(6), total);
        CPPUNIT_ASSERT_MESSAGE("header_from lowercased, own row", saw_sub);
        const report::Row* first = nullptr;
        for (const auto& r : reports[0].rows)
            if (r.count == 2) first = &r;
        CPPUNIT_ASSERT(first != nullptr);
        CPPUNIT_ASSERT_EQUAL(std::string("example.com"), first->header_from);
        CPPUNIT_ASSERT_EQUAL(std::string("bounce.example.com"), first->envelope_from);
        CPPUNIT_ASSERT_EQUAL(std::string("example.org"), first->envelope_to);
        CPPUNIT_ASSERT_EQUAL(std::string("none"), first->disposition);
        CPPUNIT_ASSERT_EQUAL(std::string("pass"), first->dmarc_dkim);
        CPPUNIT_ASSERT_EQUAL(std::string("fail"), first->dmarc_spf);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), first->dkim.size());
        CPPUNIT_ASSERT_EQUAL(std::string("s1"), first->dkim[0].selector);
        CPPUNIT_ASSERT_EQUAL(std::string("esp.example"), first->dkim[1].domain);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), first->spf.size());
        CPPUNIT_ASSERT_EQUAL(std::string("mfrom"), first->spf[0].scope);
    }

    void envelope_to() {
        struct Case {
            const char* label;
            std::vector<std::string> to;
            const char* expected;
        } cases[] = {
            {"one domain", {"example.org"}, "example.org"},
            {"one domain twice, case", {"Example.ORG", "example.org"}, "example.org"},
            {"two domains", {"example.org", "example.net"}, ""},
            {"none", {}, ""},
        };
        for (const auto& c : cases) {
            auto e = at(kMidnight);
            e.envelope_to_domains = c.to;
            auto reports = report::aggregate({e}, kDay);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.label, std::string(c.expected), reports[0].rows[0].envelope_to);
        }
    }

    void disposition_reasons() {
        auto local = at(kMidnight);
        local.dmarc_dkim = "fail";
        local.disposition = "none";
        local.reasons = {"local_policy"};
        auto sampled = at(kMidnight);
        sampled.dmarc_dkim = "fail";
        sampled.disposition = "none";
        sampled.reasons = {"sampled_out", "sampled_out"};
        auto rejected = at(kMidnight);
        rejected.dmarc_dkim = "fail";
        rejected.disposition = "reject";
        auto unset = at(kMidnight);
        unset.disposition = "";
        unset.dmarc_dkim = "temperror";  // anything but pass is fail (RFC 9990 DMARCResultType)
        auto reports = report::aggregate({local, sampled, rejected, unset, local}, kDay);
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), reports[0].rows.size());
        std::map<std::string, const report::Row*> by;
        for (const auto& r : reports[0].rows)
            by[r.disposition + "/" + (r.reasons.empty() ? "" : r.reasons[0])] = &r;
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), by.at("none/local_policy")->count);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), by.at("none/sampled_out")->reasons.size());
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), by.at("reject/")->count);
        CPPUNIT_ASSERT_EQUAL(std::string("fail"), by.at("reject/")->dmarc_dkim);
        CPPUNIT_ASSERT_EQUAL(std::string("fail"), by.at("none/")->dmarc_dkim);
    }

    void last_policy_wins() {
        auto later = at(kMidnight + 500);
        later.policy.p = "quarantine";
        later.policy.rua = {"mailto:new@example.com"};
        auto earlier = at(kMidnight + 100);
        auto reports = report::aggregate({later, earlier}, kDay);
        CPPUNIT_ASSERT_EQUAL(std::string("quarantine"), reports[0].policy.p);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), reports[0].policy.rua.size());
        CPPUNIT_ASSERT_EQUAL(std::string("mailto:new@example.com"), reports[0].policy.rua[0]);
    }

    void never_reported() {
        auto no_policy = at(kMidnight);
        no_policy.policy = {};
        auto a_report = at(kMidnight);
        a_report.is_report = true;
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), report::aggregate({no_policy, a_report}, kDay).size());
    }

    void domain_filter() {
        auto other = at(kMidnight);
        other.policy.domain = "example.net";
        auto reports = report::aggregate({at(kMidnight), other}, kDay, std::string("EXAMPLE.net"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), reports.size());
        CPPUNIT_ASSERT_EQUAL(std::string("example.net"), reports[0].policy_domain);
    }

    // example.com asks for hourly reports (ri=3600); example.net publishes
    // no ri and gets report_interval (daily): each evaluation is counted
    // once, in its own domain's period.
    void per_domain_intervals() {
        std::vector<report::Evaluation> in;
        for (std::int64_t t : {kMidnight + 600, kMidnight + 1200, kMidnight + 2 * 3600 + 5, kMidnight + 5 * 3600}) {
            auto hourly = at(t);
            hourly.policy.ri = 3600;
            in.push_back(hourly);
            auto daily = at(t + 1);
            daily.policy.domain = "example.net";
            in.push_back(daily);
        }
        auto reports = report::aggregate(in, kDay);
        const struct {
            const char* domain;
            std::int64_t begin, end;
            std::uint64_t messages;
        } expected[] = {
            {"example.com", kMidnight, kMidnight + 3600, 2},
            {"example.com", kMidnight + 2 * 3600, kMidnight + 3 * 3600, 1},
            {"example.com", kMidnight + 5 * 3600, kMidnight + 6 * 3600, 1},
            {"example.net", kMidnight, kMidnight + kDay, 4},
        };
        CPPUNIT_ASSERT_EQUAL(std::size(expected), reports.size());
        for (std::size_t i = 0; i < reports.size(); ++i) {
            std::string label = "report " + std::to_string(i);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(label, std::string(expected[i].domain), reports[i].policy_domain);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(label + " begin", expected[i].begin, reports[i].period.begin);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(label + " end", expected[i].end, reports[i].period.end);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(label + " messages", expected[i].messages, reports[i].messages);
        }
        CPPUNIT_ASSERT(reports[0].policy.ri == std::optional<std::uint32_t>(3600));
        CPPUNIT_ASSERT(!reports[3].policy.ri.has_value());
    }

    // The first pass keeps only the first and last time of each hour per
    // domain. Against split_periods over every evaluation's stamp: the same
    // periods, and every evaluation counted in one. Random days of three
    // domains whose ri changes (hourly to daily), shuffled input.
    void hour_stamps_give_the_same_periods() {
        std::mt19937 rng(20261123);
        const std::optional<std::uint32_t> ris[] = {std::nullopt, 3600, 7200, 4 * 3600, 21600, 86400};
        for (int round = 0; round < 20; ++round) {
            std::vector<report::Evaluation> in;
            for (const char* domain : {"a.example", "b.example", "c.example"}) {
                int n = static_cast<int>(rng() % 400);
                for (int i = 0; i < n; ++i) {
                    auto e = at(kMidnight + static_cast<std::int64_t>(rng() % (3 * kDay)),
                                "192.0.2." + std::to_string(rng() % 5));
                    e.policy.domain = domain;
                    e.policy.ri = ris[rng() % 6];
                    in.push_back(e);
                }
            }
            std::shuffle(in.begin(), in.end(), rng);
            std::map<std::string, std::vector<report::Stamp>> all;
            std::vector<report::Evaluation> ordered = in;
            std::stable_sort(ordered.begin(), ordered.end(), [](const auto& a, const auto& b) { return a.time < b.time; });
            for (const auto& e : ordered)
                all[e.policy.domain].push_back({e.time, report::effective_interval(e.policy.ri, kDay)});
            std::vector<std::pair<std::string, report::Period>> expected;
            for (const auto& [domain, stamps] : all)
                for (const auto& p : report::split_periods(stamps)) expected.emplace_back(domain, p);

            auto reports = report::aggregate(in, kDay);
            CPPUNIT_ASSERT_EQUAL(expected.size(), reports.size());
            std::uint64_t counted = 0;
            for (std::size_t i = 0; i < reports.size(); ++i) {
                CPPUNIT_ASSERT_EQUAL(expected[i].first, reports[i].policy_domain);
                CPPUNIT_ASSERT(expected[i].second == reports[i].period);
                std::uint64_t inside = 0;
                for (const auto& e : in)
                    if (e.policy.domain == reports[i].policy_domain && e.time >= reports[i].period.begin &&
                        e.time < reports[i].period.end)
                        ++inside;
                CPPUNIT_ASSERT_EQUAL(inside, reports[i].messages);
                counted += reports[i].messages;
            }
            CPPUNIT_ASSERT_EQUAL(static_cast<std::uint64_t>(in.size()), counted);
        }
    }

    // aggregate() reads its source twice and keeps no evaluation: an
    // evaluation the second pass sees for the first time (recorded in
    // between) is left out, not put in a period the first pass did not make.
    void two_passes_over_the_source() {
        int passes = 0;
        report::EvaluationSource source = [&](const std::function<void(const report::Evaluation&)>& visit) {
            ++passes;
            visit(at(kMidnight + 100));
            visit(at(kMidnight + 200, "192.0.2.11"));
            if (passes == 2) {
                visit(at(kMidnight + 3 * kDay));  // a period nobody computed
                auto late = at(kMidnight + 300);
                late.policy.domain = "late.example";  // a domain nobody saw
                visit(late);
            }
        };
        auto reports = report::aggregate(source, kDay);
        CPPUNIT_ASSERT_EQUAL(2, passes);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), reports.size());
        CPPUNIT_ASSERT_EQUAL(std::string("example.com"), reports[0].policy_domain);
        CPPUNIT_ASSERT(reports[0].period == (report::Period{kMidnight, kMidnight + kDay}));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), reports[0].messages);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), reports[0].rows.size());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ReportAggregateTest);
