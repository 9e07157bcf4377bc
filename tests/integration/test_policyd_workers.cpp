// WorkerPool (policyd/workers.h): threads start on demand up to the limit,
// the queue is bounded, stop() drops queued jobs and joins. Jobs block on a
// gate the test opens, so no assertion depends on timing.
#include <cppunit/extensions/HelperMacros.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "workers.h"

namespace {

// Jobs wait here until the test opens the gate; the test waits for `started`.
class Gate {
public:
    void job() {
        std::unique_lock lock(mutex_);
        ++started_;
        changed_.notify_all();
        changed_.wait(lock, [this] { return open_; });
        ++finished_;
        changed_.notify_all();
    }
    void wait_started(int n) {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [&] { return started_ >= n; });
    }
    void wait_finished(int n) {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [&] { return finished_ >= n; });
    }
    void open() {
        std::lock_guard lock(mutex_);
        open_ = true;
        changed_.notify_all();
    }
    int finished() {
        std::lock_guard lock(mutex_);
        return finished_;
    }

private:
    std::mutex mutex_;
    std::condition_variable changed_;
    int started_ = 0;
    int finished_ = 0;
    bool open_ = false;
};

}  // namespace

class PolicydWorkersTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(PolicydWorkersTest);
    CPPUNIT_TEST(threads_start_on_demand);
    CPPUNIT_TEST(queue_is_bounded_and_stop_drops_queued);
    CPPUNIT_TEST_SUITE_END();

public:
    void threads_start_on_demand() {
        struct Case {
            const char* label;
            int jobs;
            std::size_t max_threads;
            std::size_t expected_threads;
        } cases[] = {
            {"no job: no thread", 0, 4, 0},
            {"one job: one thread", 1, 4, 1},
            {"three blocked jobs: three threads", 3, 4, 3},
            {"more jobs than the limit: the limit", 6, 4, 4},
        };
        for (const auto& c : cases) {
            Gate gate;
            policyd::WorkerPool pool(c.max_threads, 16);
            for (int i = 0; i < c.jobs; ++i)
                CPPUNIT_ASSERT_MESSAGE(c.label, pool.submit([&gate] { gate.job(); }));
            gate.wait_started(static_cast<int>(std::min<std::size_t>(c.jobs, c.max_threads)));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.label, c.expected_threads, pool.threads());
            gate.open();
            gate.wait_finished(c.jobs);  // queued jobs run on the started threads
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.label, c.jobs, gate.finished());
            CPPUNIT_ASSERT_EQUAL_MESSAGE(std::string(c.label) + ": no more threads", c.expected_threads,
                                         pool.threads());
            pool.stop();
        }
    }

    void queue_is_bounded_and_stop_drops_queued() {
        Gate gate;
        policyd::WorkerPool pool(1, 2);
        CPPUNIT_ASSERT(pool.submit([&gate] { gate.job(); }));
        gate.wait_started(1);  // the one thread is busy; two more fit in the queue
        CPPUNIT_ASSERT(pool.submit([&gate] { gate.job(); }));
        CPPUNIT_ASSERT(pool.submit([&gate] { gate.job(); }));
        CPPUNIT_ASSERT_MESSAGE("queue full", !pool.submit([&gate] { gate.job(); }));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), pool.threads());
        std::thread stopper([&pool] { pool.stop(); });  // drops the queued jobs, joins the running one
        while (pool.threads() != 0) std::this_thread::yield();  // stop() has dropped the queue
        gate.open();
        stopper.join();
        CPPUNIT_ASSERT_EQUAL(1, gate.finished());
        CPPUNIT_ASSERT_MESSAGE("stopped", !pool.submit([&gate] { gate.job(); }));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(PolicydWorkersTest);
