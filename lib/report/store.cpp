// store: see store.h for the layout of the history environment.
#include "report/store.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace report {
namespace {

constexpr const char* kFile = "history.db";
constexpr std::uint32_t kCacheBytes = 4 * 1024 * 1024;

DbHandle open_db(DB_ENV* env, const char* name, bool create, std::string& error) {
    DB* raw = nullptr;
    int rc = db_create(&raw, env, 0);
    if (rc != 0) {
        error = db_error("db_create", rc);
        return nullptr;
    }
    DbHandle db(raw);
    std::uint32_t flags = DB_AUTO_COMMIT | DB_THREAD | (create ? DB_CREATE : 0);
    rc = db->open(db.get(), nullptr, kFile, name, DB_BTREE, flags, 0640);
    if (rc != 0) {
        error = db_error(name, rc);
        return nullptr;
    }
    return db;
}

}  // namespace

std::string db_error(const char* what, int rc) { return std::string(what) + ": " + db_strerror(rc); }

Txn::Txn(DB_ENV* env, std::string& error) {
    int rc = env->txn_begin(env, nullptr, &txn_, 0);
    if (rc != 0) {
        txn_ = nullptr;
        error = db_error("txn_begin", rc);
    }
}

Txn::~Txn() {
    if (txn_ != nullptr) txn_->abort(txn_);
}

bool Txn::commit(std::string& error) {
    DB_TXN* txn = txn_;
    txn_ = nullptr;  // commit frees the handle even when it fails
    int rc = txn->commit(txn, 0);
    if (rc != 0) error = db_error("txn_commit", rc);
    return rc == 0;
}

std::unique_ptr<Store> Store::open(const std::string& dir, bool create, std::string& error) {
    std::error_code ec;
    if (create) {
        std::filesystem::create_directories(dir, ec);
        if (ec) {
            error = dir + ": " + ec.message();
            return nullptr;
        }
    } else if (!std::filesystem::is_directory(dir, ec)) {
        error = dir + ": no report history (nothing recorded yet)";
        return nullptr;
    }
    DB_ENV* raw = nullptr;
    int rc = db_env_create(&raw, 0);
    if (rc != 0) {
        error = db_error("db_env_create", rc);
        return nullptr;
    }
    auto store = std::unique_ptr<Store>(new Store);
    store->env_.reset(raw);
    DB_ENV* env = raw;
    env->set_cachesize(env, 0, kCacheBytes, 1);
    env->set_lk_detect(env, DB_LOCK_DEFAULT);
    env->log_set_config(env, DB_LOG_AUTO_REMOVE, 1);
    std::uint32_t flags = DB_CREATE | DB_INIT_TXN | DB_INIT_LOCK | DB_INIT_LOG | DB_INIT_MPOOL |
                          DB_THREAD | DB_REGISTER | DB_RECOVER;
    rc = env->open(env, dir.c_str(), flags, 0640);
    if (rc != 0) {
        error = dir + ": " + db_error("environment", rc);
        return nullptr;
    }
    store->evaluations_ = open_db(env, "evaluations", true, error);
    if (!store->evaluations_) return nullptr;
    store->sent_ = open_db(env, "sent", true, error);
    if (!store->sent_) return nullptr;
    return store;
}

std::vector<std::uint8_t> Store::evaluation_key(std::int64_t time, std::uint32_t pid,
                                                std::uint32_t sequence) {
    std::vector<std::uint8_t> key;
    auto put = [&key](std::uint64_t v, int bytes) {
        for (int shift = (bytes - 1) * 8; shift >= 0; shift -= 8)
            key.push_back(static_cast<std::uint8_t>(v >> shift));
    };
    // Times before the epoch sort first: the sign bit is flipped.
    put(static_cast<std::uint64_t>(time) ^ (1ULL << 63), 8);
    put(pid, 4);
    put(sequence, 4);
    return key;
}

std::int64_t Store::key_time(const DBT& key) {
    if (key.size != 16) return 0;
    const auto* p = static_cast<const std::uint8_t*>(key.data);
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
    return static_cast<std::int64_t>(v ^ (1ULL << 63));
}

std::string Store::sent_key(const std::string& policy_domain, std::int64_t begin,
                            const std::string& destination) {
    std::string key = policy_domain;
    key += '\0';
    key += std::to_string(begin);
    key += '\0';
    key += destination;
    return key;
}

}  // namespace report
