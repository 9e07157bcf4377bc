// Durability of the MTA-STS policy cache. A child process writes rows in
// transactions as fast as it can and reports each key on a pipe only after
// its commit returned; it is SIGKILLed at a random moment, ten times over
// the same environment. After every kill the environment is reopened (the
// DB_REGISTER registry sees the dead process and runs recovery) and every
// reported row must be there, decode, and be at least the reported version.
// Log files must not pile up (DB_LOG_AUTO_REMOVE). And a daemon's open
// cache survives another process recovering the environment under it.
#include <cppunit/extensions/HelperMacros.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <random>
#include <sstream>
#include <thread>

#include "common/sts_cache_fixture.h"
#include "harness.h"
#include "sts/cache.h"

namespace {

using testing::in_child;
using testing::make_row;
using testing::open_cache;

constexpr int kRounds = 10;
constexpr int kKeys = 97;  // keys are rewritten with growing versions
constexpr int kMaxLogFiles = 3;

sts::CacheRow versioned_row(int key, long version, std::size_t text_size) {
    sts::CacheRow row;
    row.domain = "d" + std::to_string(key) + ".example";
    row.inserted = row.last_update = row.last_use = row.last_checked =
        sts::Seconds(std::chrono::seconds(version));
    row.valid_until = row.inserted + std::chrono::seconds(86400);
    row.record_id = "v" + std::to_string(version);
    row.policy.mode = sts::Mode::Enforce;
    row.policy.max_age = 86400;
    row.policy.mx = {"mx." + row.domain, "*." + row.domain};
    row.policy_text = std::string(text_size, static_cast<char>('a' + version % 26));
    return row;
}

// The child: writes forever, reporting "key version\n" after each commit.
[[noreturn]] void writer(const std::string& dir, int report_fd, unsigned seed, long first_version) {
    bdb::Status status;
    auto cache = sts::PolicyCache::open(dir, status);
    if (!cache) ::_exit(3);
    std::mt19937 random(seed);
    for (long version = first_version;; ++version) {
        int key = static_cast<int>(random() % kKeys);
        std::size_t text = random() % 4 == 0 ? 6000 + random() % 6000 : random() % 200;
        if (!cache->put(versioned_row(key, version, text)).ok()) ::_exit(4);
        std::string line = std::to_string(key) + " " + std::to_string(version) + "\n";
        if (::write(report_fd, line.data(), line.size()) != static_cast<ssize_t>(line.size()))
            ::_exit(5);
    }
}

std::size_t log_files(const std::string& dir) {
    std::size_t n = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir))
        if (entry.path().filename().string().rfind("log.", 0) == 0) ++n;
    return n;
}

}  // namespace

class StsCacheDurabilityTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(StsCacheDurabilityTest);
    CPPUNIT_TEST(committed_rows_survive_sigkill);
    CPPUNIT_TEST(daemon_survives_recovery_by_another_process);
    CPPUNIT_TEST_SUITE_END();

public:
    void committed_rows_survive_sigkill() {
        harness::TempDir dir;
        std::random_device device;
        unsigned seed = device();
        std::mt19937 random(seed);
        std::string where = "seed " + std::to_string(seed);
        std::map<int, long> committed;  // key -> last reported version
        long next_version = 1;
        for (int round = 0; round < kRounds; ++round) {
            std::string label = where + " round " + std::to_string(round);
            // Kill after a random number of reported commits, then after a random pause.
            long wait_for = 1 + static_cast<long>(random() % 300);
            auto pause = std::chrono::microseconds(random() % 20000);
            long reported =
                run_and_kill(dir.path(), random(), next_version, wait_for, pause, committed);
            CPPUNIT_ASSERT_MESSAGE(label, reported >= wait_for);
            next_version += 1'000'000;  // versions of the next child stay above
            verify(dir.path(), committed, label);
        }
        CPPUNIT_ASSERT_MESSAGE(where, log_files(dir.path()) <= kMaxLogFiles);
    }

    // A CLI process dies holding the environment; the next one to open it
    // runs recovery, which panics the daemon's handles: the daemon's next
    // calls reopen and go on. (Here, not among the unit tests: Berkeley DB
    // does not free a panicked environment's handle, which LeakSanitizer
    // would report.)
    void daemon_survives_recovery_by_another_process() {
        harness::TempDir dir;
        auto daemon = open_cache(dir.path());
        CPPUNIT_ASSERT(daemon->put(make_row("daemon.example", sts::Mode::Enforce, 1)).ok());
        pid_t dying = ::fork();
        if (dying == 0) {
            bdb::Status s;
            auto c = sts::PolicyCache::open(dir.path(), s);
            if (c) (void)c->put(make_row("dying.example", sts::Mode::Testing, 2));
            ::kill(::getpid(), SIGKILL);
            ::_exit(1);
        }
        int status = 0;
        ::waitpid(dying, &status, 0);
        CPPUNIT_ASSERT(WIFSIGNALED(status));
        CPPUNIT_ASSERT_EQUAL(0, in_child([&] {
                                 bdb::Status s;
                                 auto c = sts::PolicyCache::open(dir.path(), s);  // recovers
                                 return c &&
                                        c->get("dying.example").status == sts::RowStatus::Found;
                             }));
        auto read = daemon->get("daemon.example");
        CPPUNIT_ASSERT_MESSAGE(read.error, read.status == sts::RowStatus::Found);
        CPPUNIT_ASSERT(daemon->get("dying.example").status == sts::RowStatus::Found);
        CPPUNIT_ASSERT(daemon->put(make_row("later.example", sts::Mode::None, 3)).ok());
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), daemon->list().rows.size());
    }

private:
    // Returns how many commits the child reported.
    long run_and_kill(const std::string& dir, unsigned seed, long first_version, long wait_for,
                      std::chrono::microseconds pause, std::map<int, long>& committed) {
        int fds[2];
        CPPUNIT_ASSERT_EQUAL(0, ::pipe(fds));
        pid_t pid = ::fork();
        CPPUNIT_ASSERT(pid >= 0);
        if (pid == 0) {
            ::close(fds[0]);
            writer(dir, fds[1], seed, first_version);
        }
        ::close(fds[1]);
        long reported = 0;
        std::string pending;
        bool killed = false;
        char buf[4096];
        for (;;) {
            ssize_t n = ::read(fds[0], buf, sizeof buf);
            if (n <= 0) break;  // EOF: the child is gone
            pending.append(buf, static_cast<std::size_t>(n));
            std::size_t nl;
            while ((nl = pending.find('\n')) != std::string::npos) {
                std::istringstream line(pending.substr(0, nl));
                pending.erase(0, nl + 1);
                int key = 0;
                long version = 0;
                line >> key >> version;
                committed[key] = std::max(committed[key], version);
                ++reported;
            }
            if (!killed && reported >= wait_for) {
                std::this_thread::sleep_for(pause);
                ::kill(pid, SIGKILL);
                killed = true;
            }
        }
        ::close(fds[0]);
        int status = 0;
        ::waitpid(pid, &status, 0);
        CPPUNIT_ASSERT_MESSAGE("child exit " + std::to_string(status),
                               WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        return reported;
    }

    void verify(const std::string& dir, const std::map<int, long>& committed,
                const std::string& label) {
        bdb::Status status;
        auto cache = sts::PolicyCache::open(dir, status);  // recovery runs here
        CPPUNIT_ASSERT_MESSAGE(label + ": " + status.error, cache != nullptr);
        for (const auto& [key, version] : committed) {
            std::string domain = "d" + std::to_string(key) + ".example";
            auto read = cache->get(domain);
            CPPUNIT_ASSERT_MESSAGE(label + ": " + domain + " " + read.error,
                                   read.status == sts::RowStatus::Found);
            const sts::CacheRow& row = *read.row;
            long stored = std::stol(row.record_id.substr(1));
            CPPUNIT_ASSERT_MESSAGE(label + ": " + domain + " older than committed",
                                   stored >= version);
            // The whole row is the one written for that version.
            sts::CacheRow expect = versioned_row(key, stored, row.policy_text.size());
            CPPUNIT_ASSERT_EQUAL_MESSAGE(label, expect.policy_text, row.policy_text);
            CPPUNIT_ASSERT(expect.valid_until == row.valid_until);
            CPPUNIT_ASSERT(expect.policy.mx == row.policy.mx);
        }
        auto listing = cache->list();
        CPPUNIT_ASSERT_MESSAGE(label + ": " + listing.status.error, listing.status.ok());
        CPPUNIT_ASSERT_MESSAGE(label, listing.corrupt.empty());
        CPPUNIT_ASSERT_MESSAGE(label, listing.rows.size() >= committed.size());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(StsCacheDurabilityTest);
