// Unit tests of lib/report/run: which periods are due, what happens to each
// destination (sent, refused and marked, failed and retried), dry runs,
// reruns, dump files, and --period parsing. The history is an in-memory
// fake, sendmail a script that stores each message, DNS a FakeResolver.
#include <cppunit/extensions/HelperMacros.h>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "config.h"
#include "fake_resolver.h"
#include "report/run.h"
#include "report_samples.h"
#include "report_tempdir.h"

namespace {

constexpr std::int64_t kDay = 86400;
constexpr std::int64_t kMidnight = 1700006400;

class FakeHistory : public report::HistoryReader {
public:
    std::vector<report::Evaluation> rows;
    std::vector<report::SentMark> marks;

    using report::HistoryReader::scan;
    int scans = 0;
    ScanStatus scan(std::int64_t begin, std::int64_t end, const Visit& each) override {
        ++scans;
        std::vector<report::Evaluation> in_order = rows;  // as the store returns them
        std::stable_sort(in_order.begin(), in_order.end(),
                         [](const auto& a, const auto& b) { return a.time < b.time; });
        for (auto& e : in_order)
            if (e.time >= begin && e.time < end) each(std::move(e));
        return {};
    }
    long long purge(std::int64_t, std::string&) override { return 0; }
    bool is_sent(const std::string& d, std::int64_t b, const std::string& dest) override {
        for (const auto& m : marks)
            if (m.policy_domain == d && m.begin == b && m.destination == dest) return true;
        return false;
    }
    bool mark_sent(const report::SentMark& m, std::string&) override {
        marks.push_back(m);
        return true;
    }
};

struct Fixture {
    testing::ScratchDir dir;
    testing::FakeResolver dns;
    FakeHistory history;
    std::shared_ptr<const config::Config> config;

    explicit Fixture(int sendmail_status = 0) {
        std::string script = dir.file(
            "sendmail", "#!/bin/sh\nn=$(ls \"" + dir.path() + "/out\" | wc -l)\ncat > \"" + dir.path() +
                            "/out/$n\"\nexit " + std::to_string(sendmail_status) + "\n");
        chmod(script.c_str(), 0755);
        std::filesystem::create_directory(dir.path() + "/out");
        config::Loader loader;
        loader.override_value("report_sendmail=" + script);
        loader.override_value("report_email=dmarc@mx.example.org");
        loader.override_value("report_org_name=Example Org");
        config = loader.finish();
        dns.txt("example.com._report._dmarc.reports.example.net", {"v=DMARC1"});
    }

    report::RunResult run(report::RunOptions options) {
        report::DnsReportAuth auth(dns, *config);
        return report::run_reports(*config, history, auth, options);
    }

    std::size_t messages() const {
        std::size_t n = 0;
        for ([[maybe_unused]] const auto& f : std::filesystem::directory_iterator(dir.path() + "/out")) ++n;
        return n;
    }
};

report::RunOptions at(std::int64_t now) {
    report::RunOptions o;
    o.now = now;
    return o;
}

std::string summary(const report::RunResult& r) {
    std::string s;
    for (const auto& o : r.outcomes) s += o.action + " " + o.destination + (o.detail.empty() ? "" : " (" + o.detail + ")") + "\n";
    return s;
}

}  // namespace

class ReportRunTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ReportRunTest);
    CPPUNIT_TEST(destinations);
    CPPUNIT_TEST(rerun_sends_nothing);
    CPPUNIT_TEST(incomplete_periods_wait);
    CPPUNIT_TEST(dry_run);
    CPPUNIT_TEST(temporary_failures_are_retried);
    CPPUNIT_TEST(dump);
    CPPUNIT_TEST(periods);
    CPPUNIT_TEST(report_ids);
    CPPUNIT_TEST_SUITE_END();

public:
    void destinations() {
        Fixture f;
        auto e = testing::sample_evaluation(kMidnight + 100);
        e.policy.rua = {"mailto:dmarc@example.com",           // own organization: sent
                        "mailto:agg@reports.example.net!1m",  // external, authorized: sent
                        "mailto:victim@elsewhere.example",    // external, no record: refused
                        "mailto:tiny@example.com!100",        // over the size limit: refused
                        "mailto:loop@mx.example.org",         // ourselves: refused
                        "https://example.com/reports"};       // not mailto: refused
        f.history.rows = {e};
        auto r = f.run(at(kMidnight + kDay + 60));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), r.reports);
        CPPUNIT_ASSERT(!r.temp_failure);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(summary(r), std::size_t(6), r.outcomes.size());
        const char* actions[] = {"sent", "sent", "refused", "refused", "refused", "refused"};
        const char* details[] = {"", "", "external destination not authorized", "exceeds the limit of 100",
                                 "our own domain", "not a mailto"};
        for (std::size_t i = 0; i < 6; ++i) {
            CPPUNIT_ASSERT_EQUAL_MESSAGE(summary(r), std::string(actions[i]), r.outcomes[i].action);
            CPPUNIT_ASSERT_MESSAGE(summary(r), r.outcomes[i].detail.find(details[i]) != std::string::npos);
            CPPUNIT_ASSERT_EQUAL(e.policy.rua[i], r.outcomes[i].destination);
            CPPUNIT_ASSERT_EQUAL(std::string("example.com"), r.outcomes[i].policy_domain);
            CPPUNIT_ASSERT_EQUAL(kMidnight, r.outcomes[i].period.begin);
        }
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), f.messages());
        CPPUNIT_ASSERT_EQUAL(std::size_t(6), f.history.marks.size());
        CPPUNIT_ASSERT_EQUAL(std::string("sent"), f.history.marks[0].outcome);
        CPPUNIT_ASSERT(f.history.marks[2].outcome.rfind("refused: ", 0) == 0);
    }

    void rerun_sends_nothing() {
        Fixture f;
        f.history.rows = {testing::sample_evaluation(kMidnight + 100)};
        auto first = f.run(at(kMidnight + kDay));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), f.messages());
        auto second = f.run(at(kMidnight + kDay + 3600));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), f.messages());
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), second.outcomes.size());
        for (const auto& o : second.outcomes) CPPUNIT_ASSERT_EQUAL(std::string("already sent"), o.action);
    }

    void incomplete_periods_wait() {
        Fixture f;
        f.history.rows = {testing::sample_evaluation(kMidnight + 100),
                          testing::sample_evaluation(kMidnight - 10 * kDay)};  // within the 31d retention
        auto r = f.run(at(kMidnight + kDay - 1));
        // Today's period has not ended: only the older day is reported.
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), r.reports);
        CPPUNIT_ASSERT_EQUAL(kMidnight - 10 * kDay, r.outcomes.at(0).period.begin);
        // An explicit range includes the running period.
        auto o = at(kMidnight + kDay - 1);
        o.range = report::Period{kMidnight, kMidnight + 1};
        auto ranged = f.run(o);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), ranged.reports);
        CPPUNIT_ASSERT_EQUAL(kMidnight, ranged.outcomes.at(0).period.begin);
        // Evaluations older than report_retention (31d) are not reported.
        Fixture old;
        old.history.rows = {testing::sample_evaluation(kMidnight - 40 * kDay)};
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), old.run(at(kMidnight)).reports);
    }

    void dry_run() {
        Fixture f;
        f.history.rows = {testing::sample_evaluation(kMidnight + 100)};
        auto o = at(kMidnight + kDay);
        o.dry_run = true;
        auto r = f.run(o);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), r.outcomes.size());
        CPPUNIT_ASSERT_EQUAL(std::string("would send"), r.outcomes[0].action);
        CPPUNIT_ASSERT(r.outcomes[0].bytes > 500);
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), f.messages());
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), f.history.marks.size());
    }

    void temporary_failures_are_retried() {
        Fixture f(75);
        f.dns.fail("example.com._report._dmarc.reports.example.net", dns::RrType::TXT, dns::Status::Timeout);
        f.history.rows = {testing::sample_evaluation(kMidnight + 100)};
        auto r = f.run(at(kMidnight + kDay));
        CPPUNIT_ASSERT(r.temp_failure);
        CPPUNIT_ASSERT_EQUAL(std::string("failed"), r.outcomes[0].action);
        CPPUNIT_ASSERT_EQUAL(std::string("sendmail exited with status 75"), r.outcomes[0].detail);
        CPPUNIT_ASSERT_EQUAL(std::string("failed"), r.outcomes[1].action);
        CPPUNIT_ASSERT_EQUAL(std::string("DNS temporary error"), r.outcomes[1].detail);
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), f.history.marks.size());
    }

    void dump() {
        Fixture f;
        f.history.rows = {testing::sample_evaluation(kMidnight + 100)};
        auto o = at(kMidnight + kDay);
        o.dump_dir = f.dir.path();
        auto r = f.run(o);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), r.outcomes.size());
        CPPUNIT_ASSERT_EQUAL(std::string("written"), r.outcomes[0].action);
        std::string id = report::report_id("mx.example.org", report::aggregate(f.history.rows, kDay)[0]);
        std::string path = f.dir.path() + "/mx.example.org!example.com!" + std::to_string(kMidnight) + "!" +
                           std::to_string(kMidnight + kDay - 1) + "!" + id + ".xml";
        CPPUNIT_ASSERT_EQUAL(path, r.outcomes[0].destination);
        std::ifstream in(path);
        std::stringstream s;
        s << in.rdbuf();
        CPPUNIT_ASSERT(s.str().find("<org_name>Example Org</org_name>") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), f.messages());
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), f.history.marks.size());
    }

    void periods() {
        struct Case {
            const char* text;
            std::int64_t begin, end;  // begin == end: refused
        } cases[] = {
            {"1700006400..1700092800", 1700006400, 1700092800},
            {"2023-11-15..2023-11-16", kMidnight, kMidnight + kDay},
            {"2023-11-15..1700010000", kMidnight, 1700010000},
            {"2023-11-16..2023-11-15", 0, 0},
            {"2023-11-15", 0, 0},
            {"2023-13-01..2023-13-02", 0, 0},
            {"x..y", 0, 0},
            {"..5", 0, 0},
        };
        for (const auto& c : cases) {
            auto p = report::parse_period(c.text);
            if (c.begin == c.end) {
                CPPUNIT_ASSERT_MESSAGE(c.text, !p.has_value());
                continue;
            }
            CPPUNIT_ASSERT_MESSAGE(c.text, p.has_value());
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.text, c.begin, p->begin);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.text, c.end, p->end);
        }
    }

    void report_ids() {
        auto reports = report::aggregate({testing::sample_evaluation(kMidnight)}, kDay);
        std::string a = report::report_id("mx.example.org", reports[0]);
        CPPUNIT_ASSERT_EQUAL(a, report::report_id("mx.example.org", reports[0]));  // stable across runs
        CPPUNIT_ASSERT(a != report::report_id("mx2.example.org", reports[0]));
        CPPUNIT_ASSERT(a.rfind(std::to_string(kMidnight), 0) == 0);
        for (char c : a) CPPUNIT_ASSERT(std::isalnum(static_cast<unsigned char>(c)));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ReportRunTest);
