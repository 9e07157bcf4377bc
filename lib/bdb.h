// bdb: a Berkeley DB 5.3 transactional environment shared by the processes
// of mtaguard (the daemons and the command-line tool), and the RAII handles
// and transaction-retry helper its databases use.
//
// Opening: DB_CREATE|DB_INIT_TXN|DB_INIT_LOCK|DB_INIT_LOG|DB_INIT_MPOOL|
// DB_THREAD plus DB_REGISTER|DB_RECOVER. DB_REGISTER keeps a process registry
// (__db.register, fcntl locks) in the home directory, so recovery runs only
// when it is needed: when the environment is created, or when a process that
// had it open died without closing it (SIGKILL, crash). A process that joins
// a healthy environment does not recover it, so a daemon and the CLI can
// share it. DB_REGISTER allows one environment handle per process and home:
// share one Environment (std::shared_ptr) between the databases of a process.
// When another process recovers the environment under us, every call fails
// with DB_RUNRECOVERY; the caller closes and reopens (PolicyCache does).
//
// Logs: DB_LOG_AUTO_REMOVE deletes log files no longer needed for recovery at
// each checkpoint; checkpoint() runs when kCheckpointKbyte of log or
// kCheckpointMinutes have passed, and unconditionally on close.
// Deadlocks: lk_detect DB_LOCK_DEFAULT rejects one of the waiters with
// DB_LOCK_DEADLOCK; run_txn() aborts and retries (kMaxTxnRetries).
//
// A process that dies inside a transaction (SIGKILL, Ctrl-C of the CLI)
// leaves its locks behind, and DB_REGISTER alone never releases them: a
// reader of that row would wait forever. The Berkeley DB 5.3 remedy
// ("Architecting Transactional Data Store applications"): a thread table
// (set_thread_count, kThreadCount), an is-alive callback (a process is alive
// while kill(pid, 0) succeeds or fails with EPERM), and a watchdog thread per Environment that
// calls failchk every kWatchdogInterval: the dead process's transaction is
// aborted, its read locks released, and the blocked reader resumes. The
// watchdog never touches a database, so it cannot wait on such a lock. The
// processes sharing a home run failchk one at a time (flock on
// kFailchkLockFile, never waited for by the watchdog). If the process died
// inside the library holding a region mutex, failchk answers DB_RUNRECOVERY
// and the environment panics: callers reopen as above. Second line: a lock
// wait longer than kLockTimeout fails with DB_LOCK_NOTGRANTED (not retried),
// the watchdog expiring such waits (lock_detect DB_LOCK_EXPIRE), so a
// daemon's event thread is never held longer than that whatever happens.
// Limit: a dead process's pid reused by a live process hides the death
// until that process exits (the lock timeout still bounds every wait).
// Not DB_FAILCHK at open: a process opening the environment after one died
// inside the library holding a region mutex waited on that mutex for ever
// (StsCacheDurabilityTest hung); DB_REGISTER|DB_RECOVER recovers instead.
// Upgrade: region files made by a version without a thread table cannot be
// joined with an is-alive callback (EINVAL); open() then recovers the
// environment once without DB_REGISTER, which recreates the regions (the
// daemons sharing the home should be stopped for the upgrade), and opens it.
// Failures are values (Status), never exceptions.
#pragma once

#include <db.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace bdb {

inline constexpr int kMaxTxnRetries = 8;
inline constexpr std::uint32_t kCheckpointKbyte = 256;
inline constexpr std::uint32_t kCheckpointMinutes = 5;
inline constexpr std::uint32_t kLogFileMax = 1024 * 1024;  // bytes per log file
inline constexpr int kFileMode = 0660;
// Thread table slots: every thread of every process that may share an
// environment at once. mtaguard-policyd: main, event, refresher, watchdog,
// 16 fetch threads (kFetchWorkers) and up to sts_refresh_concurrency (at
// most 256) revalidation threads = 276; the milter's history (an
// environment of its own): main, writer, watchdog = 3; each `mtaguard`
// command: main and watchdog = 2. 512 leaves room for the largest daemon
// and a hundred commands at once. A slot of a dead process is reused
// (is-alive); one of an ended thread of a live process is not (we cannot
// ask about it), but glibc reuses thread ids, so the threads alive at once
// bound the count. Past it Berkeley DB allocates slots from its region.
inline constexpr std::uint32_t kThreadCount = 512;
inline constexpr std::chrono::seconds kWatchdogInterval{1};
// Longest wait for a lock: the longest a legitimate transaction of ours
// holds one is a purge or a batch of list_after, well under a second.
inline constexpr std::chrono::seconds kLockTimeout{5};
inline constexpr const char* kFailchkLockFile = "failchk.lock";

struct EnvClose {
    void operator()(DB_ENV* env) const { env->close(env, 0); }
};
struct DbClose {
    void operator()(DB* db) const { db->close(db, 0); }
};
struct TxnAbort {  // a transaction still owned at scope exit is aborted
    void operator()(DB_TXN* txn) const { txn->abort(txn); }
};
struct CursorClose {
    void operator()(DBC* cursor) const { cursor->close(cursor); }
};
struct MallocFree {
    void operator()(void* p) const { std::free(p); }
};
using EnvPtr = std::unique_ptr<DB_ENV, EnvClose>;
using DbPtr = std::unique_ptr<DB, DbClose>;
using TxnPtr = std::unique_ptr<DB_TXN, TxnAbort>;
using CursorPtr = std::unique_ptr<DBC, CursorClose>;
using MallocPtr = std::unique_ptr<void, MallocFree>;

struct Status {
    int code = 0;  // 0, or a Berkeley DB / errno code
    std::string error;
    bool ok() const { return code == 0; }
    bool run_recovery() const { return code == DB_RUNRECOVERY; }
};

Status make_status(int code, const std::string& what);
// A deadlock victim may run again. DB_LOCK_NOTGRANTED is a wait past
// kLockTimeout: something holds the lock far longer than any transaction
// of ours, so waiting again is no cure.
bool is_retryable(int code);

class Environment {
public:
    // Creates `home` (mode 0750) when missing; recovers when DB_REGISTER says so.
    // cache_bytes: the memory pool size when this call creates the regions
    // (0: Berkeley DB's default, 256 KiB); joining processes use the size
    // the regions were created with.
    static std::shared_ptr<Environment> open(const std::string& home, Status& status,
                                             std::uint64_t cache_bytes = 0);
    ~Environment();
    Environment(const Environment&) = delete;
    Environment& operator=(const Environment&) = delete;

    DB_ENV* get() const { return env_.get(); }
    const std::string& home() const { return home_; }
    // The memory pool size of the open environment, in bytes.
    std::uint64_t cache_bytes() const;
    // txn_checkpoint with the thresholds above (force: regardless of them).
    Status checkpoint(bool force);
    // Opens (creating) a B-tree database file in the environment.
    Status open_btree(const std::string& file, DbPtr& out);
    // One failchk and expiry of timed-out lock waits (what the watchdog runs
    // every kWatchdogInterval); skipped (ok) while another process runs it.
    Status check_failures();

private:
    Environment() = default;
    void watch();  // the watchdog thread
    EnvPtr env_;
    std::string home_;
    int failchk_fd_ = -1;  // kFailchkLockFile, open for flock
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;  // guarded by mutex_
    std::thread watchdog_;   // stopped before env_ closes
};

// Runs `body` inside a transaction and commits when it returns 0. On
// DB_LOCK_DEADLOCK (is_retryable) the transaction is aborted and
// `body` runs again (at most kMaxTxnRetries times); any other non-zero
// code aborts and is returned. nosync: commit without flushing the log
// (for bookkeeping such as last-use times that may be lost in a crash).
Status run_txn(Environment& env, const std::function<int(DB_TXN*)>& body, bool nosync = false);

// A DBT that lends `data` (no copy) / that Berkeley DB fills with malloc'd
// memory (DB_THREAD requires DB_DBT_MALLOC or DB_DBT_USERMEM on output).
DBT in_dbt(const void* data, std::size_t size);
DBT out_dbt();

}  // namespace bdb
