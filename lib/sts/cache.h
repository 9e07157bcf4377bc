// cache: the MTA-STS policy cache, a Berkeley DB B-tree (kCacheFile) in the
// transactional environment at cache_dir (bdb.h), one row per domain keyed
// by the lowercase A-label, rows in the versioned encoding of cache_row.h.
//
// Safe for several threads (DB_THREAD handles) and several processes at once
// (mtaguard-policyd and `mtaguard cache`): every write is a transaction,
// deadlocks are retried, and when another process recovered the environment
// under us (DB_RUNRECOVERY) the handles are reopened and the call retried
// once. A row that does not decode is logged and reported as Corrupt, which
// callers treat as absent; put() overwrites it. Failures are values.
// Berkeley DB does not free the handles of a panicked environment (about
// 10 KiB each time another process recovers the environment under us).
// Open the cache in the process that uses it, after any fork(): DB_REGISTER
// records the process id, and a registered process that is gone makes the
// next opener run recovery.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "bdb.h"
#include "config.h"
#include "sts/cache_row.h"

namespace sts {

inline constexpr const char* kCacheFile = "sts-policy.db";

enum class RowStatus { Found, Absent, Corrupt, Error };

struct RowRead {
    RowStatus status = RowStatus::Absent;
    std::optional<CacheRow> row;  // Found
    std::string error;            // Corrupt: why it did not decode; Error: the database error
};

struct CacheListing {
    std::vector<CacheRow> rows;        // in key order
    std::vector<std::string> corrupt;  // keys of rows that did not decode
    bdb::Status status;
};

class PolicyCache {
public:
    // Opens (creating) the environment at `dir` and the cache database in it.
    // cache_bytes: Berkeley DB memory pool size if this creates the
    // environment (sts_cache_memory_kb; 0: the Berkeley DB default).
    static std::unique_ptr<PolicyCache> open(const std::string& dir, bdb::Status& status,
                                             std::uint64_t cache_bytes = 0);
    // The same at the configuration's cache_dir with sts_cache_memory_kb.
    static std::unique_ptr<PolicyCache> open(const config::Config& config, bdb::Status& status);
    ~PolicyCache();
    PolicyCache(const PolicyCache&) = delete;
    PolicyCache& operator=(const PolicyCache&) = delete;

    RowRead get(std::string_view domain);
    bdb::Status put(const CacheRow& row);  // key: row.domain
    // Read-modify-write of an existing row in one transaction: `change`
    // returns false to leave the row as it is. Absent or corrupt rows are
    // left alone. nosync: for bookkeeping that may be lost in a crash.
    bdb::Status update(std::string_view domain, const std::function<bool(CacheRow&)>& change,
                       bool nosync);
    bdb::Status remove(std::string_view domain, bool& existed);
    CacheListing list();
    // At most `limit` rows (and corrupt keys) in key order, starting after
    // `after` ("" : from the first): lets a walk over every row hold one
    // batch in memory, whatever the number of rows. An empty batch ends it.
    CacheListing list_after(std::string_view after, std::size_t limit);
    bdb::Status purge(std::size_t& removed);
    bdb::Status checkpoint();
    const std::string& dir() const { return dir_; }
    std::uint64_t cache_bytes() const;  // of the open environment

private:
    PolicyCache() = default;
    bdb::Status open_handles();
    // Runs `op` under the handle lock; on DB_RUNRECOVERY reopens and runs it once more.
    bdb::Status with_handles(const std::function<bdb::Status()>& op);
    bdb::Status read_row(DB_TXN* txn, std::string_view domain, std::uint32_t flags, RowRead& out);

    std::string dir_;
    std::uint64_t cache_bytes_ = 0;  // requested; used again when reopening
    mutable std::shared_mutex mutex_;  // exclusive only while reopening
    unsigned generation_ = 0;
    std::shared_ptr<bdb::Environment> env_;
    bdb::DbPtr db_;  // closed before env_
};

}  // namespace sts
