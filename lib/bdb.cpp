// bdb: the shared Berkeley DB environment; see bdb.h.
#include "bdb.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "log.h"

namespace bdb {
namespace {

constexpr std::uint32_t kEnvFlags = DB_CREATE | DB_INIT_TXN | DB_INIT_LOCK | DB_INIT_LOG |
                                    DB_INIT_MPOOL | DB_THREAD | DB_REGISTER | DB_RECOVER;

bool is_retryable(int code) {
    return code == DB_LOCK_DEADLOCK || code == DB_LOCK_NOTGRANTED;
}

void log_bdb_error(const DB_ENV*, const char* prefix, const char* message) {
    logging::error(std::string(prefix ? prefix : "bdb") + ": " + message);
}

Status make_dir(const std::string& home) {
    if (::mkdir(home.c_str(), 0750) == 0 || errno == EEXIST) return {};
    return make_status(errno, "mkdir " + home);
}

}  // namespace

Status make_status(int code, const std::string& what) {
    if (code == 0) return {};
    return {code, what + ": " + db_strerror(code)};
}

std::shared_ptr<Environment> Environment::open(const std::string& home, Status& status,
                                               std::uint64_t cache_bytes) {
    status = make_dir(home);
    if (!status.ok()) return nullptr;
    DB_ENV* raw = nullptr;
    if (int rc = db_env_create(&raw, 0); rc != 0) {
        status = make_status(rc, "db_env_create");
        return nullptr;
    }
    std::shared_ptr<Environment> env(new Environment());
    env->env_.reset(raw);
    env->home_ = home;
    raw->set_errpfx(raw, "bdb");
    raw->set_errcall(raw, log_bdb_error);
    int rc = raw->set_lk_detect(raw, DB_LOCK_DEFAULT);
    if (rc == 0) rc = raw->log_set_config(raw, DB_LOG_AUTO_REMOVE, 1);
    if (rc == 0) rc = raw->set_lg_max(raw, kLogFileMax);
    if (rc == 0 && cache_bytes > 0)  // one region: ncache 1
        rc = raw->set_cachesize(raw, static_cast<u_int32_t>(cache_bytes >> 30),
                                static_cast<u_int32_t>(cache_bytes & ((1u << 30) - 1)), 1);
    if (rc == 0) rc = raw->open(raw, home.c_str(), kEnvFlags, kFileMode);
    if (rc != 0) {
        status = make_status(rc, "open environment " + home);
        return nullptr;
    }
    status = {};
    return env;
}

Environment::~Environment() {
    if (env_) (void)checkpoint(true);
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
