// Unit tests of PolicyCache on a real Berkeley DB environment in a scratch
// directory: put/get/update/remove/list/purge, a corrupt row, and a second
// process (forked, as the CLI next to the daemon) using the environment
// while this one holds it open.
#include <cppunit/extensions/HelperMacros.h>

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <filesystem>
#include <thread>
#include <vector>

#include "common/bounded_child.h"
#include "common/sts_cache_fixture.h"
#include "fake_sts.h"
#include "sts/cache.h"

namespace {

using sts::CacheRow;
using sts::RowStatus;

using testing::in_child;
using testing::make_row;
using testing::open_cache;

}  // namespace

class StsCacheTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(StsCacheTest);
    CPPUNIT_TEST(put_get_every_field);
    CPPUNIT_TEST(absent_row);
    CPPUNIT_TEST(put_replaces);
    CPPUNIT_TEST(update_changes_existing_only);
    CPPUNIT_TEST(remove_reports_existence);
    CPPUNIT_TEST(list_in_key_order);
    CPPUNIT_TEST(purge_removes_all);
    CPPUNIT_TEST(survives_reopen);
    CPPUNIT_TEST(second_process_at_once);
    CPPUNIT_TEST(corrupt_row_is_absent);
    CPPUNIT_TEST(open_fails_on_file);
    CPPUNIT_TEST(concurrent_updates_lose_nothing);
    CPPUNIT_TEST(cache_memory_is_applied);
    CPPUNIT_TEST(list_after_in_batches);
    CPPUNIT_TEST(dead_writer_releases_its_lock);
    CPPUNIT_TEST(stuck_writer_times_out_reader);
    CPPUNIT_TEST(environment_of_an_earlier_version_joined);
    CPPUNIT_TEST_SUITE_END();

public:
    // sts_cache_memory_kb sizes the memory pool of a new environment; a
    // process joining an existing one gets the size it was created with.
    void cache_memory_is_applied() {
        struct Case {
            const char* label;
            const char* setting;  // "" : the default
            std::uint64_t expected_kib;
        } cases[] = {
            {"default", "", 256},
            {"one MiB", "sts_cache_memory_kb = 1024", 1024},
            {"smallest", "sts_cache_memory_kb = 64", 64},
            {"four MiB", "sts_cache_memory_kb = 4096", 4096},
        };
        for (const auto& c : cases) {
            testing::ScratchDir dir;
            config::Loader loader;
            loader.load_text(std::string("cache_dir = ") + dir.path() + "\n" + c.setting + "\n", "test");
            auto config = loader.finish();
            CPPUNIT_ASSERT_MESSAGE(c.label, config != nullptr);
            bdb::Status status;
            auto cache = sts::PolicyCache::open(*config, status);
            CPPUNIT_ASSERT_MESSAGE(std::string(c.label) + ": " + status.error, cache != nullptr);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.label, dir.path(), cache->dir());
            // Berkeley DB adds its own overhead to small pools (about 25%).
            std::uint64_t kib = cache->cache_bytes() / 1024;
            CPPUNIT_ASSERT_MESSAGE(std::string(c.label) + ": " + std::to_string(kib) + " KiB",
                                   kib >= c.expected_kib && kib <= c.expected_kib * 3 / 2);
            std::uint64_t created = cache->cache_bytes();
            int joined = in_child([&] {
                bdb::Status s;
                auto other = sts::PolicyCache::open(dir.path(), s, 8192 * 1024);
                return other && other->cache_bytes() == created;
            });
            CPPUNIT_ASSERT_EQUAL_MESSAGE(std::string(c.label) + ": a joining process", 0, joined);
        }
    }

    void put_get_every_field() {
        testing::ScratchDir dir;
        auto cache = open_cache(dir.path());
        CacheRow row = make_row("example.com", sts::Mode::Enforce, 1000);
        row.backoff = true;
        row.failure = sts::FetchFailure::PolicyInvalid;
        row.failure_reason = "bad-mx";
        row.policy.extensions = {{"k", "v"}};
        CPPUNIT_ASSERT(cache->put(row).ok());
        auto read = cache->get("example.com");
        CPPUNIT_ASSERT(read.status == RowStatus::Found);
        const CacheRow& got = *read.row;
        CPPUNIT_ASSERT_EQUAL(row.domain, got.domain);
        CPPUNIT_ASSERT(row.inserted == got.inserted && row.valid_until == got.valid_until &&
                       row.last_update == got.last_update && row.last_use == got.last_use &&
                       row.last_checked == got.last_checked);
        CPPUNIT_ASSERT(got.backoff);
        CPPUNIT_ASSERT_EQUAL(row.record_id, got.record_id);
        CPPUNIT_ASSERT(got.policy.mode == sts::Mode::Enforce);
        CPPUNIT_ASSERT_EQUAL(86400u, got.policy.max_age);
        CPPUNIT_ASSERT(got.policy.mx == row.policy.mx);
        CPPUNIT_ASSERT(got.policy.extensions == row.policy.extensions);
        CPPUNIT_ASSERT_EQUAL(row.policy_text, got.policy_text);
        CPPUNIT_ASSERT(got.failure == sts::FetchFailure::PolicyInvalid);
        CPPUNIT_ASSERT_EQUAL(std::string("bad-mx"), got.failure_reason);
        CPPUNIT_ASSERT(std::filesystem::exists(dir.path() + "/" + sts::kCacheFile));
        CPPUNIT_ASSERT(std::filesystem::exists(dir.path() + "/__db.register"));
    }

    void absent_row() {
        testing::ScratchDir dir;
        auto cache = open_cache(dir.path());
        auto read = cache->get("example.com");
        CPPUNIT_ASSERT(read.status == RowStatus::Absent);
        CPPUNIT_ASSERT(!read.row.has_value());
        CPPUNIT_ASSERT(read.error.empty());
    }

    void put_replaces() {
        testing::ScratchDir dir;
        auto cache = open_cache(dir.path());
        CPPUNIT_ASSERT(cache->put(make_row("example.com", sts::Mode::Enforce, 1)).ok());
        CPPUNIT_ASSERT(cache->put(make_row("example.com", sts::Mode::None, 2)).ok());
        auto read = cache->get("example.com");
        CPPUNIT_ASSERT(read.row->policy.mode == sts::Mode::None);
        CPPUNIT_ASSERT_EQUAL(std::string("id2"), read.row->record_id);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), cache->list().rows.size());
    }

    void update_changes_existing_only() {
        testing::ScratchDir dir;
        auto cache = open_cache(dir.path());
        CPPUNIT_ASSERT(cache->put(make_row("example.com", sts::Mode::Enforce, 1)).ok());
        auto later = sts::Seconds(std::chrono::seconds(99));
        CPPUNIT_ASSERT(cache
                           ->update(
                               "example.com",
                               [&](CacheRow& r) {
                                   r.last_use = later;
                                   return true;
                               },
                               true)
                           .ok());
        CPPUNIT_ASSERT(cache->get("example.com").row->last_use == later);
        CPPUNIT_ASSERT(cache
                           ->update(
                               "example.com",
                               [&](CacheRow& r) {
                                   r.record_id = "unchanged";
                                   return false;  // not written
                               },
                               false)
                           .ok());
        CPPUNIT_ASSERT_EQUAL(std::string("id1"), cache->get("example.com").row->record_id);
        int calls = 0;
        CPPUNIT_ASSERT(cache
                           ->update(
                               "absent.example",
                               [&](CacheRow&) {
                                   ++calls;
                                   return true;
                               },
                               false)
                           .ok());
        CPPUNIT_ASSERT_EQUAL(0, calls);
        CPPUNIT_ASSERT(cache->get("absent.example").status == RowStatus::Absent);
    }

    void remove_reports_existence() {
        testing::ScratchDir dir;
        auto cache = open_cache(dir.path());
        CPPUNIT_ASSERT(cache->put(make_row("example.com", sts::Mode::Enforce, 1)).ok());
        bool existed = false;
        CPPUNIT_ASSERT(cache->remove("example.com", existed).ok());
        CPPUNIT_ASSERT(existed);
        CPPUNIT_ASSERT(cache->get("example.com").status == RowStatus::Absent);
        CPPUNIT_ASSERT(cache->remove("example.com", existed).ok());
        CPPUNIT_ASSERT(!existed);
    }

    void list_in_key_order() {
        testing::ScratchDir dir;
        auto cache = open_cache(dir.path());
        for (const char* d : {"c.example", "a.example", "b.example"})
            CPPUNIT_ASSERT(cache->put(make_row(d, sts::Mode::Testing, 5)).ok());
        auto listing = cache->list();
        CPPUNIT_ASSERT(listing.status.ok());
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), listing.rows.size());
        CPPUNIT_ASSERT_EQUAL(std::string("a.example"), listing.rows[0].domain);
        CPPUNIT_ASSERT_EQUAL(std::string("b.example"), listing.rows[1].domain);
        CPPUNIT_ASSERT_EQUAL(std::string("c.example"), listing.rows[2].domain);
        CPPUNIT_ASSERT(listing.rows[2].policy.mode == sts::Mode::Testing);
        CPPUNIT_ASSERT(listing.corrupt.empty());
    }

    // list_after() walks the rows in bounded batches (sts::refresh uses it).
    void list_after_in_batches() {
        testing::ScratchDir dir;
        auto cache = open_cache(dir.path());
        for (const char* d : {"e.example", "c.example", "a.example", "d.example", "b.example"})
            CPPUNIT_ASSERT(cache->put(make_row(d, sts::Mode::Enforce, 5)).ok());
        struct Case {
            const char* label;
            std::string after;
            std::size_t limit;
            std::vector<std::string> expected;
        } cases[] = {
            {"first batch", "", 2, {"a.example", "b.example"}},
            {"after an existing key", "b.example", 2, {"c.example", "d.example"}},
            {"after a key between rows", "bb.example", 2, {"c.example", "d.example"}},
            {"the last, short batch", "d.example", 2, {"e.example"}},
            {"past the end", "e.example", 2, {}},
            {"no limit in reach", "", 10, {"a.example", "b.example", "c.example", "d.example", "e.example"}},
        };
        for (const auto& c : cases) {
            auto batch = cache->list_after(c.after, c.limit);
            CPPUNIT_ASSERT_MESSAGE(c.label, batch.status.ok());
            std::vector<std::string> got;
            for (const auto& row : batch.rows) got.push_back(row.domain);
            CPPUNIT_ASSERT_MESSAGE(c.label, got == c.expected);
            for (const auto& row : batch.rows)
                CPPUNIT_ASSERT_MESSAGE(c.label, row.policy.mode == sts::Mode::Enforce &&
                                                    row.policy.mx == std::vector<std::string>{"mx." + row.domain});
            CPPUNIT_ASSERT_MESSAGE(c.label, batch.corrupt.empty());
        }
    }

    void purge_removes_all() {
        testing::ScratchDir dir;
        auto cache = open_cache(dir.path());
        for (const char* d : {"a.example", "b.example"})
            CPPUNIT_ASSERT(cache->put(make_row(d, sts::Mode::Enforce, 5)).ok());
        std::size_t removed = 0;
        CPPUNIT_ASSERT(cache->purge(removed).ok());
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), removed);
        CPPUNIT_ASSERT(cache->list().rows.empty());
        CPPUNIT_ASSERT(cache->purge(removed).ok());
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), removed);
    }

    void survives_reopen() {
        testing::ScratchDir dir;
        {
            auto cache = open_cache(dir.path());
            CPPUNIT_ASSERT(cache->put(make_row("example.com", sts::Mode::Enforce, 7)).ok());
        }
        auto cache = open_cache(dir.path());
        auto read = cache->get("example.com");
        CPPUNIT_ASSERT(read.status == RowStatus::Found);
        CPPUNIT_ASSERT_EQUAL(std::string("id7"), read.row->record_id);
    }

    // The daemon holds the environment; the CLI (another process) reads,
    // writes and removes rows meanwhile; both see each other's commits.
    void second_process_at_once() {
        testing::ScratchDir dir;
        auto daemon = open_cache(dir.path());
        CPPUNIT_ASSERT(daemon->put(make_row("daemon.example", sts::Mode::Enforce, 1)).ok());
        CPPUNIT_ASSERT(daemon->put(make_row("gone.example", sts::Mode::Enforce, 1)).ok());
        int status = in_child([&] {
            bdb::Status s;
            auto cli = sts::PolicyCache::open(dir.path(), s);
            if (!cli || cli->get("daemon.example").status != RowStatus::Found) return false;
            bool existed = false;
            return cli->put(make_row("cli.example", sts::Mode::Testing, 2)).ok() &&
                   cli->remove("gone.example", existed).ok() && existed;
        });
        CPPUNIT_ASSERT_EQUAL(0, status);
        auto listing = daemon->list();
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), listing.rows.size());
        CPPUNIT_ASSERT_EQUAL(std::string("cli.example"), listing.rows[0].domain);
        CPPUNIT_ASSERT(listing.rows[0].policy.mode == sts::Mode::Testing);
        CPPUNIT_ASSERT_EQUAL(std::string("daemon.example"), listing.rows[1].domain);
        // The daemon keeps working after the CLI closed its handle.
        CPPUNIT_ASSERT(daemon->put(make_row("after.example", sts::Mode::None, 3)).ok());
        CPPUNIT_ASSERT(daemon->get("after.example").status == RowStatus::Found);
    }

    void corrupt_row_is_absent() {
        testing::ScratchDir dir;
        auto cache = open_cache(dir.path());
        CPPUNIT_ASSERT(cache->put(make_row("good.example", sts::Mode::Enforce, 1)).ok());
        // Another process writes bytes that are not a row (a newer version, say).
        int status = in_child([&] {
            bdb::Status s;
            auto env = bdb::Environment::open(dir.path(), s);
            bdb::DbPtr db;
            if (!env || !env->open_btree(sts::kCacheFile, db).ok()) return false;
            return bdb::run_txn(*env,
                                [&](DB_TXN* txn) {
                                    std::string k = "bad.example", v = "\x09garbage";
                                    DBT key = bdb::in_dbt(k.data(), k.size());
                                    DBT data = bdb::in_dbt(v.data(), v.size());
                                    return db->put(db.get(), txn, &key, &data, 0);
                                })
                .ok();
        });
        CPPUNIT_ASSERT_EQUAL(0, status);
        auto read = cache->get("bad.example");
        CPPUNIT_ASSERT(read.status == RowStatus::Corrupt);
        CPPUNIT_ASSERT(!read.row.has_value());
        CPPUNIT_ASSERT_EQUAL(std::string("unknown row version 9"), read.error);
        auto listing = cache->list();
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), listing.rows.size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), listing.corrupt.size());
        CPPUNIT_ASSERT_EQUAL(std::string("bad.example"), listing.corrupt[0]);
        // put() replaces it.
        CPPUNIT_ASSERT(cache->put(make_row("bad.example", sts::Mode::None, 2)).ok());
        CPPUNIT_ASSERT(cache->get("bad.example").status == RowStatus::Found);
    }

    void open_fails_on_file() {
        testing::ScratchDir dir;
        std::string file = dir.path() + "/not-a-dir";
        FILE* f = std::fopen(file.c_str(), "w");
        std::fclose(f);
        bdb::Status status;
        auto cache = sts::PolicyCache::open(file, status);
        CPPUNIT_ASSERT(cache == nullptr);
        CPPUNIT_ASSERT(!status.ok());
        CPPUNIT_ASSERT_MESSAGE(status.error, status.error.find(file) != std::string::npos);
    }

    // Threads and a second process increment one row's counter through
    // update() at once: transactions (DB_RMW, deadlock retry) lose nothing.
    void concurrent_updates_lose_nothing() {
        testing::ScratchDir dir;
        auto cache = open_cache(dir.path());
        CPPUNIT_ASSERT(cache->put(make_row("count.example", sts::Mode::Enforce, 0)).ok());
        constexpr int kThreads = 4, kEach = 100;
        auto bump = [](sts::PolicyCache& c) {
            for (int i = 0; i < kEach; ++i) {
                bool ok = c.update(
                               "count.example",
                               [](CacheRow& r) {
                                   r.last_use += std::chrono::seconds(1);
                                   return true;
                               },
                               true)
                              .ok();
                if (!ok) return false;
            }
            return true;
        };
        pid_t other = ::fork();
        if (other == 0) {
            bdb::Status s;
            auto c = sts::PolicyCache::open(dir.path(), s);
            ::_exit(c && bump(*c) ? 0 : 1);
        }
        std::vector<std::thread> threads;
        std::atomic<int> failures{0};
        for (int t = 0; t < kThreads; ++t)
            threads.emplace_back([&] { failures += bump(*cache) ? 0 : 1; });
        for (auto& t : threads) t.join();
        int status = 0;
        ::waitpid(other, &status, 0);
        CPPUNIT_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        CPPUNIT_ASSERT_EQUAL(0, failures.load());
        auto row = cache->get("count.example");
        CPPUNIT_ASSERT_EQUAL(
            std::int64_t((kThreads + 1) * kEach),
            static_cast<std::int64_t>(row.row->last_use.time_since_epoch().count()));
    }

    // A process killed inside update() (the CLI killed by SIGKILL at the
    // wrong moment) holds the row's write lock: the daemon's next get()
    // of that row must return within seconds (failchk aborts the dead
    // transaction), with the row as it was before the dead update.
    // Region files left by a version that opened the environment without a
    // thread table (no set_thread_count/set_isalive, no DB_FAILCHK): joining
    // them with an is-alive callback fails with EINVAL, so an upgraded
    // daemon could not open its cache; it recovers them instead.
    void environment_of_an_earlier_version_joined() {
        testing::ScratchDir dir;
        CPPUNIT_ASSERT(open_cache(dir.path())->put(make_row("kept.example", sts::Mode::Enforce, 3)).ok());
        // The regions the daemon left are replaced by old-style ones.
        for (const auto& entry : std::filesystem::directory_iterator(dir.path()))
            if (entry.path().filename().string().rfind("__db.", 0) == 0) std::filesystem::remove(entry.path());
        DB_ENV* raw = nullptr;
        CPPUNIT_ASSERT_EQUAL(0, db_env_create(&raw, 0));
        bdb::EnvPtr old_style(raw);
        CPPUNIT_ASSERT_EQUAL(0, raw->open(raw, dir.path().c_str(),
                                          DB_CREATE | DB_INIT_TXN | DB_INIT_LOCK | DB_INIT_LOG | DB_INIT_MPOOL |
                                              DB_THREAD | DB_REGISTER | DB_RECOVER,
                                          bdb::kFileMode));
        old_style.reset();
        CPPUNIT_ASSERT(std::filesystem::exists(dir.path() + "/__db.001"));
        auto cache = open_cache(dir.path());
        auto kept = cache->get("kept.example");
        CPPUNIT_ASSERT(kept.status == RowStatus::Found);
        CPPUNIT_ASSERT(sts::encode_row(*kept.row) == sts::encode_row(make_row("kept.example", sts::Mode::Enforce, 3)));
        CPPUNIT_ASSERT(cache->put(make_row("new.example", sts::Mode::Testing, 4)).ok());
    }

    void dead_writer_releases_its_lock() {
        testing::ScratchDir dir;
        CPPUNIT_ASSERT(open_cache(dir.path())->put(make_row("a.example", sts::Mode::Enforce, 7)).ok());
        int status = testing::in_child_within(
            [&] {  // the daemon: its cache is open while the other process dies
                bdb::Status s;
                auto daemon = sts::PolicyCache::open(dir.path(), s);
                if (!daemon) return false;
                int killed = in_child([&] {
                    bdb::Status s2;
                    auto cli = sts::PolicyCache::open(dir.path(), s2);
                    if (!cli) return false;
                    (void)cli->update(
                        "a.example",
                        [](CacheRow& r) {
                            r.last_use += std::chrono::seconds(1);  // written, never committed
                            ::raise(SIGKILL);
                            return true;
                        },
                        false);
                    return false;
                });
                if (killed != 128) return false;  // it must have died holding the lock
                auto read = daemon->get("a.example");
                auto expected = make_row("a.example", sts::Mode::Enforce, 7);
                // Every field as put (the encoding is canonical), last_use not bumped.
                return read.status == RowStatus::Found && read.row &&
                       sts::encode_row(*read.row) == sts::encode_row(expected) &&
                       read.row->last_use == expected.last_use;
            },
            std::chrono::seconds(30));
        CPPUNIT_ASSERT_MESSAGE("get() still blocked 30 s after the lock holder died",
                               status != testing::kChildTimedOut);
        CPPUNIT_ASSERT_EQUAL_MESSAGE("the daemon's get() did not return the row unchanged", 0,
                                     status);
        // And the environment is usable for writes afterwards.
        auto cache = open_cache(dir.path());
        CPPUNIT_ASSERT(cache->put(make_row("a.example", sts::Mode::Testing, 8)).ok());
        CPPUNIT_ASSERT(cache->get("a.example").row->policy.mode == sts::Mode::Testing);
    }

    // Second line: a live process that holds the row's write lock and does
    // not let go (stopped, stuck) makes get() fail after bdb::kLockTimeout
    // with DB_LOCK_NOTGRANTED, not wait for as long as the holder does.
    void stuck_writer_times_out_reader() {
        testing::ScratchDir dir;
        CPPUNIT_ASSERT(open_cache(dir.path())->put(make_row("a.example", sts::Mode::Enforce, 7)).ok());
        int status = testing::in_child_within(
            [&] {  // the daemon
                bdb::Status s;
                auto daemon = sts::PolicyCache::open(dir.path(), s);
                int locked[2], release[2];
                if (!daemon || ::pipe(locked) != 0 || ::pipe(release) != 0) return false;
                pid_t holder = ::fork();
                if (holder == 0) {
                    ::close(release[1]);
                    bdb::Status s2;
                    auto cli = sts::PolicyCache::open(dir.path(), s2);
                    if (!cli) ::_exit(1);
                    (void)cli->update(
                        "a.example",
                        [&](CacheRow&) {
                            char c = 'L';
                            (void)!::write(locked[1], &c, 1);
                            (void)!::read(release[0], &c, 1);  // until the daemon closes it
                            return false;
                        },
                        false);
                    ::_exit(0);
                }
                ::close(release[0]);
                char c = 0;
                bool held = ::read(locked[0], &c, 1) == 1;
                auto read = daemon->get("a.example");
                ::close(release[1]);
                ::waitpid(holder, nullptr, 0);
                return held && read.status == RowStatus::Error && !read.row &&
                       read.error.find("DB_LOCK_NOTGRANTED") != std::string::npos &&
                       daemon->get("a.example").status == RowStatus::Found;
            },
            std::chrono::seconds(60));
        CPPUNIT_ASSERT_MESSAGE("get() still waiting 60 s behind a live lock holder",
                               status != testing::kChildTimedOut);
        CPPUNIT_ASSERT_EQUAL_MESSAGE("get() did not fail with DB_LOCK_NOTGRANTED", 0, status);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(StsCacheTest);
