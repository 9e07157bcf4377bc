// cache: PolicyCache over Berkeley DB; see cache.h.
#include "sts/cache.h"

#include <limits>
#include <mutex>

#include "log.h"

namespace sts {
namespace {

// A non-transactional single read can still be picked as a deadlock victim.
int retry_read(const std::function<int()>& read) {
    int rc = 0;
    for (int attempt = 0; attempt <= bdb::kMaxTxnRetries; ++attempt) {
        rc = read();
        if (!bdb::is_retryable(rc)) break;
    }
    return rc;
}

RowRead decode_found(std::string_view key, const DBT& data) {
    RowRead out;
    auto decoded = decode_row({static_cast<const char*>(data.data), data.size});
    if (decoded.row && decoded.row->domain != key)
        decoded = {std::nullopt, "key and domain differ"};
    if (!decoded.row) {
        logging::warning("sts cache: corrupt row treated as absent: " +
                         logging::fields({{"domain", key}, {"error", decoded.error}}));
        out.status = RowStatus::Corrupt;
        out.error = decoded.error;
        return out;
    }
    out.status = RowStatus::Found;
    out.row = std::move(decoded.row);
    return out;
}

}  // namespace

std::unique_ptr<PolicyCache> PolicyCache::open(const std::string& dir, bdb::Status& status,
                                               std::uint64_t cache_bytes) {
    std::unique_ptr<PolicyCache> cache(new PolicyCache());
    cache->dir_ = dir;
    cache->cache_bytes_ = cache_bytes;
    status = cache->open_handles();
    if (!status.ok()) return nullptr;
    return cache;
}

std::unique_ptr<PolicyCache> PolicyCache::open(const config::Config& config, bdb::Status& status) {
    auto kib = static_cast<std::uint64_t>(config.integer("sts_cache_memory_kb"));
    return open(config.str("cache_dir"), status, kib * 1024);
}

PolicyCache::~PolicyCache() {
    db_.reset();
    env_.reset();  // checkpoints and closes
}

bdb::Status PolicyCache::open_handles() {
    db_.reset();
    env_.reset();
    bdb::Status status;
    env_ = bdb::Environment::open(dir_, status, cache_bytes_);
    if (!status.ok()) return status;
    status = env_->open_btree(kCacheFile, db_);
    if (!status.ok()) env_.reset();
    return status;
}

std::uint64_t PolicyCache::cache_bytes() const {
    std::shared_lock lock(mutex_);
    return env_ ? env_->cache_bytes() : 0;
}

bdb::Status PolicyCache::with_handles(const std::function<bdb::Status()>& op) {
    unsigned seen = 0;
    {
        std::shared_lock lock(mutex_);
        seen = generation_;
        if (db_) {
            bdb::Status status = op();
            if (!status.run_recovery()) return status;
        }
    }
    {
        std::unique_lock lock(mutex_);
        if (generation_ == seen) {
            logging::notice("sts cache: environment recovered by another process, reopening " +
                            dir_);
            ++generation_;
            if (bdb::Status status = open_handles(); !status.ok()) return status;
        }
    }
    std::shared_lock lock(mutex_);
    if (!db_) return {DB_RUNRECOVERY, "sts cache: environment " + dir_ + " not open"};
    return op();
}

bdb::Status PolicyCache::read_row(DB_TXN* txn, std::string_view domain, std::uint32_t flags,
                                  RowRead& out) {
    DBT key = bdb::in_dbt(domain.data(), domain.size());
    DBT data = bdb::out_dbt();
    int rc = txn ? db_->get(db_.get(), txn, &key, &data, flags)
                 : retry_read([&] { return db_->get(db_.get(), nullptr, &key, &data, flags); });
    if (rc == DB_NOTFOUND) {
        out = RowRead{};
        return {};
    }
    if (rc != 0) return bdb::make_status(rc, "sts cache: get " + std::string(domain));
    bdb::MallocPtr hold(data.data);
    out = decode_found(domain, data);
    return {};
}

RowRead PolicyCache::get(std::string_view domain) {
    RowRead out;
    bdb::Status status = with_handles([&] { return read_row(nullptr, domain, 0, out); });
    if (!status.ok()) {
        out = RowRead{RowStatus::Error, std::nullopt, status.error};
    }
    return out;
}

bdb::Status PolicyCache::put(const CacheRow& row) {
    std::string bytes = encode_row(row);
    return with_handles([&] {
        return bdb::run_txn(*env_, [&](DB_TXN* txn) {
            DBT key = bdb::in_dbt(row.domain.data(), row.domain.size());
            DBT data = bdb::in_dbt(bytes.data(), bytes.size());
            return db_->put(db_.get(), txn, &key, &data, 0);
        });
    });
}

bdb::Status PolicyCache::update(std::string_view domain,
                                const std::function<bool(CacheRow&)>& change, bool nosync) {
    return with_handles([&] {
        return bdb::run_txn(
            *env_,
            [&](DB_TXN* txn) {
                RowRead current;
                // DB_RMW: take the write lock now, so two updaters cannot deadlock on upgrade.
                bdb::Status read = read_row(txn, domain, DB_RMW, current);
                if (!read.ok()) return read.code;
                if (current.status != RowStatus::Found || !change(*current.row)) return 0;
                std::string bytes = encode_row(*current.row);
                DBT key = bdb::in_dbt(domain.data(), domain.size());
                DBT data = bdb::in_dbt(bytes.data(), bytes.size());
                return db_->put(db_.get(), txn, &key, &data, 0);
            },
            nosync);
    });
}

bdb::Status PolicyCache::remove(std::string_view domain, bool& existed) {
    return with_handles([&] {
        return bdb::run_txn(*env_, [&](DB_TXN* txn) {
            DBT key = bdb::in_dbt(domain.data(), domain.size());
            int rc = db_->del(db_.get(), txn, &key, 0);
            existed = rc == 0;
            return rc == DB_NOTFOUND ? 0 : rc;
        });
    });
}

CacheListing PolicyCache::list() {
    return list_after("", std::numeric_limits<std::size_t>::max());
}

CacheListing PolicyCache::list_after(std::string_view after, std::size_t limit) {
    CacheListing out;
    out.status = with_handles([&] {
        return bdb::run_txn(*env_, [&](DB_TXN* txn) {
            out.rows.clear();
            out.corrupt.clear();
            DBC* raw = nullptr;
            if (int rc = db_->cursor(db_.get(), txn, &raw, 0); rc != 0) return rc;
            bdb::CursorPtr cursor(raw);
            // DB_SET_RANGE: the first key >= `after` (DB_DBT_MALLOC returns a copy of it).
            std::string start(after);
            DBT key = start.empty() ? bdb::out_dbt() : bdb::in_dbt(start.data(), start.size());
            if (!start.empty()) key.flags = DB_DBT_MALLOC;
            std::uint32_t flag = start.empty() ? DB_FIRST : DB_SET_RANGE;
            while (out.rows.size() + out.corrupt.size() < limit) {
                DBT data = bdb::out_dbt();
                int rc = raw->get(raw, &key, &data, flag);
                if (rc == DB_NOTFOUND) return 0;
                if (rc != 0) return rc;
                flag = DB_NEXT;
                bdb::MallocPtr hold_key(key.data), hold_data(data.data);
                std::string name(static_cast<const char*>(key.data), key.size);
                key = bdb::out_dbt();
                if (name == start) continue;  // `after` itself is not part of the batch
                RowRead row = decode_found(name, data);
                if (row.row)
                    out.rows.push_back(std::move(*row.row));
                else
                    out.corrupt.push_back(std::move(name));
            }
            return 0;
        });
    });
    return out;
}

bdb::Status PolicyCache::purge(std::size_t& removed) {
    return with_handles([&] {
        return bdb::run_txn(*env_, [&](DB_TXN* txn) {
            u_int32_t count = 0;
            int rc = db_->truncate(db_.get(), txn, &count, 0);
            removed = count;
            return rc;
        });
    });
}

bdb::Status PolicyCache::checkpoint() {
    return with_handles([&] { return env_->checkpoint(true); });
}

}  // namespace sts
