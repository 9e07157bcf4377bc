// bdb: the shared Berkeley DB environment; see bdb.h.
#include "bdb.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

#include "log.h"

namespace bdb {
namespace {

constexpr std::uint32_t kEnvFlags = DB_CREATE | DB_INIT_TXN | DB_INIT_LOCK | DB_INIT_LOG |
                                    DB_INIT_MPOOL | DB_THREAD | DB_REGISTER | DB_RECOVER;

void log_bdb_error(const DB_ENV*, const char* prefix, const char* message) {
    logging::error(std::string(prefix ? prefix : "bdb") + ": " + message);
}

void log_bdb_message(const DB_ENV*, const char* message) {
    logging::notice(std::string("bdb: ") + message);  // failchk: "Aborting txn ..."
}

// DB_ENV->set_isalive: is the thread of control (pid, tid) still running?
// A process is alive while kill(pid, 0) succeeds or fails with EPERM (it
// exists under another user). The threads of this process are alive: ours
// never end inside a transaction or a Berkeley DB call (every transaction
// is scoped to one call, run_txn), and pthread_kill() cannot ask about a
// thread that ended. When our process dies, all of its threads die with it.
int is_alive(DB_ENV*, pid_t pid, db_threadid_t, u_int32_t) {
    if (pid == ::getpid()) return 1;
    return ::kill(pid, 0) == 0 || errno == EPERM;
}

// flock on kFailchkLockFile held while this object lives (none when fd < 0).
class FailchkLock {
public:
    FailchkLock(int fd, bool wait) : fd_(fd) {
        if (fd_ >= 0 && ::flock(fd_, LOCK_EX | (wait ? 0 : LOCK_NB)) != 0) fd_ = -1;
    }
    ~FailchkLock() {
        if (fd_ >= 0) ::flock(fd_, LOCK_UN);
    }
    FailchkLock(const FailchkLock&) = delete;
    FailchkLock& operator=(const FailchkLock&) = delete;
    bool held() const { return fd_ >= 0; }

private:
    int fd_;
};

int configure(DB_ENV* raw, std::uint64_t cache_bytes) {
    raw->set_errpfx(raw, "bdb");
    raw->set_errcall(raw, log_bdb_error);
    raw->set_msgcall(raw, log_bdb_message);
    int rc = raw->set_lk_detect(raw, DB_LOCK_DEFAULT);
    if (rc == 0) rc = raw->log_set_config(raw, DB_LOG_AUTO_REMOVE, 1);
    if (rc == 0) rc = raw->set_lg_max(raw, kLogFileMax);
    if (rc == 0 && cache_bytes > 0)  // one region: ncache 1
        rc = raw->set_cachesize(raw, static_cast<u_int32_t>(cache_bytes >> 30),
                                static_cast<u_int32_t>(cache_bytes & ((1u << 30) - 1)), 1);
    if (rc == 0) rc = raw->set_thread_count(raw, kThreadCount);
    if (rc == 0) rc = raw->set_isalive(raw, is_alive);
    auto timeout = std::chrono::duration_cast<std::chrono::microseconds>(kLockTimeout);
    if (rc == 0)
        rc = raw->set_timeout(raw, static_cast<db_timeout_t>(timeout.count()), DB_SET_LOCK_TIMEOUT);
    // A timed-out wait fails with DB_LOCK_NOTGRANTED, not as a deadlock to retry.
    if (rc == 0) rc = raw->set_flags(raw, DB_TIME_NOTGRANTED, 1);
    return rc;
}

// A DB_ENV handle configured and opened with `flags`; on failure `out`
// stays empty (a handle whose open failed is closed, as Berkeley DB asks).
int open_handle(const std::string& home, std::uint64_t cache_bytes, std::uint32_t flags, EnvPtr& out) {
    DB_ENV* raw = nullptr;
    if (int rc = db_env_create(&raw, 0); rc != 0) return rc;
    EnvPtr handle(raw);
    int rc = configure(raw, cache_bytes);
    if (rc == 0) rc = raw->open(raw, home.c_str(), flags, kFileMode);
    if (rc == 0) out = std::move(handle);
    return rc;
}

// Region files of an environment already exist in `home`.
bool has_regions(const std::string& home) {
    struct stat st {};
    return ::stat((home + "/__db.001").c_str(), &st) == 0;
}

Status make_dir(const std::string& home) {
    if (::mkdir(home.c_str(), 0750) == 0 || errno == EEXIST) return {};
    return make_status(errno, "mkdir " + home);
}

}  // namespace

bool is_retryable(int code) {
    return code == DB_LOCK_DEADLOCK;
}

Status make_status(int code, const std::string& what) {
    if (code == 0) return {};
    return {code, what + ": " + db_strerror(code)};
}

std::shared_ptr<Environment> Environment::open(const std::string& home, Status& status,
                                               std::uint64_t cache_bytes) {
    status = make_dir(home);
    if (!status.ok()) return nullptr;
    std::shared_ptr<Environment> env(new Environment());
    env->home_ = home;
    std::string lock_file = home + "/" + kFailchkLockFile;
    env->failchk_fd_ = ::open(lock_file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, kFileMode);
    if (env->failchk_fd_ < 0) {
        status = make_status(errno, "open " + lock_file);
        return nullptr;
    }
    int rc = 0;
    {
        // One process opens (and so recovers) at a time, as failchk runs (bdb.h).
        FailchkLock lock(env->failchk_fd_, true);
        rc = open_handle(home, cache_bytes, kEnvFlags, env->env_);
        if (rc == EINVAL && has_regions(home)) {
            // Regions made by an earlier version, without a thread table: a
            // process that joins them with set_isalive fails (EINVAL). A
            // recovery recreates the regions (DB_RECOVER without
            // DB_REGISTER always recovers), then the environment is opened
            // as usual.
            logging::notice("bdb: " + home + ": environment without a thread table (earlier version): recovering it");
            EnvPtr recovering;
            rc = open_handle(home, cache_bytes, kEnvFlags & ~DB_REGISTER, recovering);
            recovering.reset();
            if (rc == 0) rc = open_handle(home, cache_bytes, kEnvFlags, env->env_);
        }
    }
    if (rc != 0) {
        status = make_status(rc, "open environment " + home);
        return nullptr;
    }
    env->watchdog_ = std::thread([raw_env = env.get()] { raw_env->watch(); });
    status = {};
    return env;
}

Environment::~Environment() {
    if (watchdog_.joinable()) {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        wake_.notify_all();
        watchdog_.join();
        (void)checkpoint(true);
    }
    if (failchk_fd_ >= 0) ::close(failchk_fd_);
}

Status Environment::check_failures() {
    FailchkLock lock(failchk_fd_, false);
    if (!lock.held()) return {};  // another process of this home runs it now
    int rc = env_->failchk(env_.get(), 0);
    if (rc != 0) return make_status(rc, "failchk " + home_);
    rc = env_->lock_detect(env_.get(), 0, DB_LOCK_EXPIRE, nullptr);
    return make_status(rc, "lock_detect " + home_);
}

void Environment::watch() {
    bool failing = false;
    std::unique_lock lock(mutex_);
    while (!wake_.wait_for(lock, kWatchdogInterval, [this] { return stopping_; })) {
        lock.unlock();
        Status status = check_failures();
        lock.lock();
        if (!status.ok() && !failing) logging::error(status.error);
        failing = !status.ok();
        // A panicked environment stays so: its owner reopens (with a new watchdog).
        if (status.run_recovery()) return;
    }
}

std::uint64_t Environment::cache_bytes() const {
    u_int32_t gbytes = 0, bytes = 0;
    int ncache = 0;
    if (env_->get_cachesize(env_.get(), &gbytes, &bytes, &ncache) != 0) return 0;
    return (static_cast<std::uint64_t>(gbytes) << 30) + bytes;
}

Status Environment::checkpoint(bool force) {
    int rc = env_->txn_checkpoint(env_.get(), kCheckpointKbyte, kCheckpointMinutes,
                                  force ? DB_FORCE : 0);
    return make_status(rc, "checkpoint " + home_);
}

Status Environment::open_btree(const std::string& file, DbPtr& out) {
    Status status;
    for (int attempt = 0; attempt <= kMaxTxnRetries; ++attempt) {
        DB* raw = nullptr;
        if (int rc = db_create(&raw, env_.get(), 0); rc != 0) return make_status(rc, "db_create");
        DbPtr db(raw);
        // Two processes creating the file at once can deadlock: retry.
        int rc = raw->open(raw, nullptr, file.c_str(), nullptr, DB_BTREE,
                           DB_CREATE | DB_THREAD | DB_AUTO_COMMIT, kFileMode);
        if (rc == 0) {
            out = std::move(db);
            return {};
        }
        status = make_status(rc, "open " + home_ + "/" + file);
        if (!is_retryable(rc)) break;
    }
    return status;
}

Status run_txn(Environment& env, const std::function<int(DB_TXN*)>& body, bool nosync) {
    DB_ENV* e = env.get();
    Status status;
    for (int attempt = 0; attempt <= kMaxTxnRetries; ++attempt) {
        DB_TXN* raw = nullptr;
        int rc = e->txn_begin(e, nullptr, &raw, nosync ? DB_TXN_WRITE_NOSYNC : 0);
        if (rc != 0) return make_status(rc, "txn_begin");
        TxnPtr txn(raw);
        rc = body(raw);
        if (rc == 0) {
            // commit() frees the handle whatever it returns.
            rc = txn.release()->commit(raw, 0);
            status = make_status(rc, "commit");
            if (rc == 0) (void)env.checkpoint(false);
            return status;
        }
        txn.reset();  // abort
        status = make_status(rc, "transaction");
        if (!is_retryable(rc)) return status;
    }
    return status;
}

DBT in_dbt(const void* data, std::size_t size) {
    DBT d;
    std::memset(&d, 0, sizeof d);
    d.data = const_cast<void*>(data);
    d.size = static_cast<u_int32_t>(size);
    return d;
}

DBT out_dbt() {
    DBT d;
    std::memset(&d, 0, sizeof d);
    d.flags = DB_DBT_MALLOC;
    return d;
}

}  // namespace bdb
