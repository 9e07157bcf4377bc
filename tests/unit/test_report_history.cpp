// Unit tests of lib/report/history with a real Berkeley DB in a scratch
// directory: the writer stores what it is given, the reader scans time
// ranges in order, skips corrupt rows, purges, and remembers sent marks.
#include <cppunit/extensions/HelperMacros.h>

#include <db.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>

#include "bdb.h"
#include "common/bounded_child.h"
#include "common/captured_log.h"
#include "config.h"
#include "report/history.h"
#include "report/store.h"
#include "report_samples.h"
#include "report_tempdir.h"

namespace {

std::shared_ptr<const config::Config> config_in(const std::string& dir, const std::string& param) {
    config::Loader loader;
    loader.override_value(param + "=" + dir);
    auto cfg = loader.finish();
    if (!cfg) throw std::runtime_error("config");
    return cfg;
}

void record_times(const config::Config& cfg, const std::vector<std::int64_t>& times) {
    std::string error;
    auto writer = report::open_history_writer(cfg, error);
    CPPUNIT_ASSERT_MESSAGE(error, writer != nullptr);
    for (auto t : times) {
        auto e = testing::sample_evaluation(t);
        e.source_ip = "192.0.2." + std::to_string(t % 200);
        writer->record(e);
    }
}  // the destructor writes what is queued

std::vector<std::int64_t> times_of(const report::HistoryReader::Scan& scan) {
    std::vector<std::int64_t> out;
    for (const auto& e : scan.evaluations) out.push_back(e.time);
    return out;
}

}  // namespace

class ReportHistoryTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ReportHistoryTest);
    CPPUNIT_TEST(directory);
    CPPUNIT_TEST(write_then_scan);
    CPPUNIT_TEST(corrupt_rows_are_skipped);
    CPPUNIT_TEST(purge);
    CPPUNIT_TEST(sent_marks);
    CPPUNIT_TEST(missing_store);
    CPPUNIT_TEST(flush_while_open);
    CPPUNIT_TEST(writer_limits);
    CPPUNIT_TEST(failed_reopen_held_back);
    CPPUNIT_TEST(dead_reader_releases_its_lock);
    CPPUNIT_TEST_SUITE_END();

public:
    void directory() {
        auto cache = config_in("/var/cache/x", "cache_dir");
        CPPUNIT_ASSERT_EQUAL(std::string("/var/cache/x/reports"), report::history_dir(*cache));
        auto own = config_in("/srv/reports", "report_dir");
        CPPUNIT_ASSERT_EQUAL(std::string("/srv/reports"), report::history_dir(*own));
    }

    void write_then_scan() {
        testing::ScratchDir dir;
        auto cfg = config_in(dir.path() + "/h", "report_dir");
        std::vector<std::int64_t> times;
        for (std::int64_t t = 1000; t < 1600; ++t) times.push_back(t);  // more than one batch
        record_times(*cfg, {5000, 10, 999});
        record_times(*cfg, times);
        std::string error;
        auto reader = report::open_history_reader(*cfg, false, error);
        CPPUNIT_ASSERT_MESSAGE(error, reader != nullptr);
        auto all = reader->scan(0, 10000);
        CPPUNIT_ASSERT_EQUAL(std::string(), all.error);
        CPPUNIT_ASSERT_EQUAL(std::size_t(603), all.evaluations.size());
        CPPUNIT_ASSERT_EQUAL(std::int64_t(10), all.evaluations.front().time);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(5000), all.evaluations.back().time);
        auto some = reader->scan(999, 1002);
        CPPUNIT_ASSERT(times_of(some) == (std::vector<std::int64_t>{999, 1000, 1001}));
        CPPUNIT_ASSERT_EQUAL(std::string("192.0.2.199"), some.evaluations[0].source_ip);
        CPPUNIT_ASSERT_EQUAL(std::string("example.com"), some.evaluations[0].policy.domain);
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), reader->scan(5001, 6000).evaluations.size());
    }

    void corrupt_rows_are_skipped() {
        testing::ScratchDir dir;
        auto cfg = config_in(dir.path(), "report_dir");
        record_times(*cfg, {100, 300});
        {
            std::string error;
            auto store = report::Store::open(dir.path(), false, error);
            CPPUNIT_ASSERT_MESSAGE(error, store != nullptr);
            auto key = report::Store::evaluation_key(200, 1, 1);
            std::string junk = "\x01garbage";
            DBT k{}, v{};
            k.data = key.data();
            k.size = static_cast<std::uint32_t>(key.size());
            v.data = junk.data();
            v.size = static_cast<std::uint32_t>(junk.size());
            CPPUNIT_ASSERT_EQUAL(0, store->evaluations()->put(store->evaluations(), nullptr, &k, &v,
                                                              DB_AUTO_COMMIT));
        }
        std::string error;
        auto reader = report::open_history_reader(*cfg, false, error);
        auto scan = reader->scan(0, 1000);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), scan.corrupt);
        CPPUNIT_ASSERT(times_of(scan) == (std::vector<std::int64_t>{100, 300}));
    }

    void purge() {
        testing::ScratchDir dir;
        auto cfg = config_in(dir.path(), "report_dir");
        record_times(*cfg, {100, 200, 300, 400});
        std::string error;
        auto reader = report::open_history_reader(*cfg, false, error);
        CPPUNIT_ASSERT(reader->mark_sent({"example.com", 100, "mailto:a@example.com", "sent", 1}, error));
        CPPUNIT_ASSERT(reader->mark_sent({"example.com", 300, "mailto:a@example.com", "sent", 1}, error));
        CPPUNIT_ASSERT_EQUAL(3LL, reader->purge(300, error));  // two rows, one mark
        CPPUNIT_ASSERT(times_of(reader->scan(0, 1000)) == (std::vector<std::int64_t>{300, 400}));
        CPPUNIT_ASSERT(!reader->is_sent("example.com", 100, "mailto:a@example.com"));
        CPPUNIT_ASSERT(reader->is_sent("example.com", 300, "mailto:a@example.com"));
        CPPUNIT_ASSERT_EQUAL(0LL, reader->purge(300, error));
    }

    void sent_marks() {
        testing::ScratchDir dir;
        auto cfg = config_in(dir.path(), "report_dir");
        std::string error;
        auto reader = report::open_history_reader(*cfg, true, error);
        CPPUNIT_ASSERT_MESSAGE(error, reader != nullptr);
        CPPUNIT_ASSERT(!reader->is_sent("example.com", 86400, "mailto:a@example.com"));
        CPPUNIT_ASSERT(reader->mark_sent({"example.com", 86400, "mailto:a@example.com", "sent", 5}, error));
        CPPUNIT_ASSERT(reader->is_sent("example.com", 86400, "mailto:a@example.com"));
        CPPUNIT_ASSERT(!reader->is_sent("example.com", 86400, "mailto:b@example.com"));
        CPPUNIT_ASSERT(!reader->is_sent("example.com", 0, "mailto:a@example.com"));
        CPPUNIT_ASSERT(!reader->is_sent("example.net", 86400, "mailto:a@example.com"));
    }

    void missing_store() {
        testing::ScratchDir dir;
        auto cfg = config_in(dir.path() + "/absent", "report_dir");
        std::string error;
        CPPUNIT_ASSERT(report::open_history_reader(*cfg, false, error) == nullptr);
        CPPUNIT_ASSERT_MESSAGE(error, error.find("nothing recorded") != std::string::npos);
    }

    // A reader sees what a writer that is still open has flushed (the milter
    // keeps its writer open while `mtaguard report` runs).
    void flush_while_open() {
        testing::ScratchDir dir;
        auto cfg = config_in(dir.path(), "report_dir");
        std::string error;
        auto writer = report::open_history_writer(*cfg, error);
        CPPUNIT_ASSERT_MESSAGE(error, writer != nullptr);
        for (std::int64_t t = 1; t <= 300; ++t) writer->record(testing::sample_evaluation(t));
        writer->flush();
        CPPUNIT_ASSERT_EQUAL(300L, count_in_child(*cfg));
        writer->record(testing::sample_evaluation(500));
        writer->flush();
        CPPUNIT_ASSERT_EQUAL(301L, count_in_child(*cfg));
    }

    // The queue is bounded in bytes: what does not fit is dropped at once
    // (record() never waits) and counted; what fits is written in
    // transactions of batch_rows rows, without waiting for max_delay when
    // flushed.
    void writer_limits() {
        struct Case {
            const char* label;
            report::WriterLimits limits;
            long records;
            long stored;  // after flush()
            std::uint64_t dropped;
        };
        const std::chrono::hours kNever{24};
        const Case cases[] = {
            {"no room: every row dropped", {0, 256, kNever}, 5, 0, 5},
            {"room for one row", {400, 256, kNever}, 3, 1, 2},
            {"batches of 7, one partial", {1024 * 1024, 7, kNever}, 20, 20, 0},
            {"default limits", {}, 300, 300, 0},
        };
        for (const auto& c : cases) {
            testing::ScratchDir dir;
            auto cfg = config_in(dir.path(), "report_dir");
            std::string error;
            auto writer = report::open_history_writer(*cfg, error, c.limits);
            CPPUNIT_ASSERT_MESSAGE(error, writer != nullptr);
            for (long t = 1; t <= c.records; ++t) writer->record(testing::sample_evaluation(t));
            writer->flush();
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.label, c.stored, count_in_child(*cfg));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.label, c.dropped, writer->dropped());
        }
    }

    // The environment panics under the writer (DB_RUNRECOVERY, as when
    // another process recovers it) and its directory cannot be opened again:
    // each batch is dropped and counted, but the store is reopened (and the
    // failure logged) once per hold-back period, not once per batch.
    void failed_reopen_held_back() {
        testing::ScratchDir dir;
        std::string home = dir.path() + "/h";
        auto cfg = config_in(home, "report_dir");
        std::string error;
        auto writer = report::open_history_writer(*cfg, error, {1024 * 1024, 1, std::chrono::milliseconds(1)});
        CPPUNIT_ASSERT_MESSAGE(error, writer != nullptr);
        writer->record(testing::sample_evaluation(1));
        writer->flush();
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), writer->dropped());
        CPPUNIT_ASSERT_EQUAL(0, panic_in_child(home));
        CPPUNIT_ASSERT_EQUAL(0, std::rename(home.c_str(), (home + ".old").c_str()));
        std::ofstream(home) << "not a directory\n";

        testing::CapturedLog log;
        for (int t = 2; t <= 6; ++t) {  // five batches
            writer->record(testing::sample_evaluation(t));
            writer->flush();
        }
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(5), writer->dropped());
        auto lines = log.lines();
        auto reopens = std::count_if(lines.begin(), lines.end(),
                                     [](const std::string& l) { return l.find("cannot reopen") != std::string::npos; });
        CPPUNIT_ASSERT_EQUAL(std::ptrdiff_t(1), reopens);
    }

    // Sets the panic flag of the environment at `home` from a child process
    // (DB_REGISTER: one handle per process); the child's exit status.
    static int panic_in_child(const std::string& home) {
        pid_t pid = fork();
        if (pid == 0) {
            bdb::Status status;
            auto env = bdb::Environment::open(home, status);
            int rc = env ? env->get()->set_flags(env->get(), DB_PANIC_ENVIRONMENT, 1) : 1;
            _exit(rc == 0 ? 0 : 1);
        }
        int status = -1;
        waitpid(pid, &status, 0);
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }

    // DB_REGISTER allows one environment handle per process: read from a
    // child, as `mtaguard report` does; it sends the count through a pipe
    // (-1: the store did not open).
    static long count_in_child(const config::Config& cfg) {
        int fds[2];
        if (pipe(fds) != 0) return -2;
        pid_t pid = fork();
        if (pid == 0) {
            long n = -1;
            {  // the reader closes its environment before the child exits
                std::string error;
                auto reader = report::open_history_reader(cfg, false, error);
                if (reader) n = static_cast<long>(reader->scan(0, 1000).evaluations.size());
            }
            _exit(write(fds[1], &n, sizeof n) == sizeof n ? 0 : 1);
        }
        close(fds[1]);
        long n = -2;
        if (read(fds[0], &n, sizeof n) != sizeof n) n = -2;
        close(fds[0]);
        waitpid(pid, nullptr, 0);
        return n;
    }

    // `mtaguard report` killed while its cursor stands on a page (it holds
    // that page's read lock): the milter's writer must still store the next
    // evaluation within seconds (failchk frees the dead locker's locks),
    // not block on the lock forever and drop everything after it.
    void dead_reader_releases_its_lock() {
        testing::ScratchDir dir;
        auto cfg = config_in(dir.path() + "/h", "report_dir");
        record_times(*cfg, {100, 200, 300});
        std::string dir_h = dir.path() + "/h";
        auto die_in_scan = [&] {  // `mtaguard report`, killed with its cursor open
            std::string error;
            auto store = report::Store::open(dir_h, false, error);
            if (!store) return false;
            DBC* raw = nullptr;
            if (store->evaluations()->cursor(store->evaluations(), nullptr, &raw, 0) != 0)
                return false;
            DBT k = bdb::out_dbt(), v = bdb::out_dbt();
            if (raw->get(raw, &k, &v, DB_FIRST) != 0) return false;
            ::raise(SIGKILL);  // dies with the cursor's read lock held
            return false;
        };
        int status = testing::in_child_within(
            [&] {  // the milter: its store is open while the reader dies
                std::string error;
                auto writer = report::open_history_writer(*cfg, error);
                if (!writer) return false;
                if (testing::in_child_within(die_in_scan, std::chrono::seconds(30)) != 128)
                    return false;
                writer->record(testing::sample_evaluation(400));
                writer->flush();
                return writer->dropped() == 0;
            },
            std::chrono::seconds(30));
        CPPUNIT_ASSERT_MESSAGE("the writer still blocked 30 s after the reader died",
                               status != testing::kChildTimedOut);
        CPPUNIT_ASSERT_EQUAL_MESSAGE("the writer dropped the evaluation", 0, status);
        std::string error;
        auto reader = report::open_history_reader(*cfg, false, error);
        CPPUNIT_ASSERT_MESSAGE(error, reader != nullptr);
        auto all = reader->scan(0, 1000);
        CPPUNIT_ASSERT_EQUAL(std::string(), all.error);
        CPPUNIT_ASSERT((times_of(all) == std::vector<std::int64_t>{100, 200, 300, 400}));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ReportHistoryTest);
