// store: the Berkeley DB environment of the report history.
//
// One transactional environment (DB_INIT_TXN, DB_INIT_LOCK, DB_INIT_LOG,
// DB_INIT_MPOOL, DB_THREAD; DB_REGISTER + DB_RECOVER so that the first
// process after a crash runs recovery) in history_dir(), shared by
// mtaguard-milter (writer) and `mtaguard report` (reader), holding one file,
// history.db, with two B-tree databases:
//   evaluations  key: time (8 bytes big-endian) + process id (4) + sequence
//                (4), so a cursor walks in time order; value: record.h row
//   sent         key: policy domain NUL begin (decimal) NUL destination;
//                value: "outcome\nat"
// DB_REGISTER allows one open environment handle per process: a process
// holds either the writer or a reader, never both at once.
// Log files are removed automatically once they are no longer needed. Every
// handle is owned by a unique_ptr with its close function; errors are values
// (db_strerror text), never exceptions.
#pragma once

#include <db.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace report {

struct EnvCloser { void operator()(DB_ENV* env) const { env->close(env, 0); } };
struct DbCloser { void operator()(DB* db) const { db->close(db, 0); } };
struct CursorCloser { void operator()(DBC* c) const { c->close(c); } };
using EnvHandle = std::unique_ptr<DB_ENV, EnvCloser>;
using DbHandle = std::unique_ptr<DB, DbCloser>;
using CursorHandle = std::unique_ptr<DBC, CursorCloser>;

// A transaction that aborts unless committed.
class Txn {
public:
    Txn(DB_ENV* env, std::string& error);
    ~Txn();
    Txn(const Txn&) = delete;
    Txn& operator=(const Txn&) = delete;
    DB_TXN* get() const { return txn_; }
    bool commit(std::string& error);

private:
    DB_TXN* txn_ = nullptr;
};

class Store {
public:
    // Opens (create: makes the directory and files) or fails with `error`.
    static std::unique_ptr<Store> open(const std::string& dir, bool create, std::string& error);

    DB_ENV* env() const { return env_.get(); }
    DB* evaluations() const { return evaluations_.get(); }
    DB* sent() const { return sent_.get(); }

    static std::vector<std::uint8_t> evaluation_key(std::int64_t time, std::uint32_t pid,
                                                    std::uint32_t sequence);
    static std::int64_t key_time(const DBT& key);  // 0 for a malformed key
    static std::string sent_key(const std::string& policy_domain, std::int64_t begin,
                                const std::string& destination);

private:
    EnvHandle env_;
    DbHandle evaluations_;
    DbHandle sent_;
};

std::string db_error(const char* what, int rc);

}  // namespace report
