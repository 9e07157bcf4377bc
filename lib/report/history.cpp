// history: the writer thread that stores the milter's evaluations and the
// reader `mtaguard report` uses (contract in history.h, layout in store.h).
//
// The message path only takes a mutex to append to a bounded queue
// (kQueueCapacity) and signals a condition variable; the writer thread takes
// up to kBatchSize evaluations at a time and stores them in one transaction.
// A full queue, a failed transaction (full disk, database error) drops the
// evaluations concerned: mail is never delayed or failed for the sake of
// reports. Drops are logged at most once per kLogInterval with a count.
#include "report/history.h"

#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "log.h"
#include "report/record.h"
#include "report/store.h"

namespace report {
namespace {

constexpr std::size_t kQueueCapacity = 10000;
constexpr std::size_t kBatchSize = 256;
constexpr std::chrono::seconds kLogInterval{60};

DBT bytes_dbt(const void* data, std::size_t size) {
    DBT d{};
    d.data = const_cast<void*>(data);
    d.size = static_cast<std::uint32_t>(size);
    return d;
}

// Counts dropped evaluations and logs them, at most once per kLogInterval.
class DropLog {
public:
    void drop(std::size_t count, const std::string& why) {
        dropped_ += count;
        auto now = std::chrono::steady_clock::now();
        if (logged_once_ && now - last_ < kLogInterval) return;
        logging::warning("report history: dropped evaluations " +
                         logging::fields({{"count", std::to_string(dropped_)}, {"reason", why}}));
        dropped_ = 0;
        last_ = now;
        logged_once_ = true;
    }

private:
    std::size_t dropped_ = 0;
    std::chrono::steady_clock::time_point last_{};
    bool logged_once_ = false;
};

class Writer : public HistoryWriter {
public:
    explicit Writer(std::unique_ptr<Store> store) : store_(std::move(store)) {
        thread_ = std::thread([this] { run(); });
    }

    ~Writer() override {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        wake_.notify_one();
        thread_.join();
    }

    void record(Evaluation evaluation) override {
        std::unique_lock lock(mutex_);
        if (queue_.size() >= kQueueCapacity) {
            queue_drops_.drop(1, "queue full");
            return;
        }
        queue_.push_back(std::move(evaluation));
        lock.unlock();
        wake_.notify_one();
    }

    void flush() override {
        std::unique_lock lock(mutex_);
        idle_.wait(lock, [this] { return queue_.empty() && !writing_; });
    }

private:
    void run() {
        std::vector<Evaluation> batch;
        for (;;) {
            {
                std::unique_lock lock(mutex_);
                writing_ = false;
                idle_.notify_all();
                wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
                if (queue_.empty() && stopping_) return;
                while (!queue_.empty() && batch.size() < kBatchSize) {
                    batch.push_back(std::move(queue_.front()));
                    queue_.pop_front();
                }
                writing_ = true;
            }
            write(batch);
            batch.clear();
        }
    }

    // One transaction per batch; on failure the whole batch is dropped.
    void write(const std::vector<Evaluation>& batch) {
        std::string error;
        Txn txn(store_->env(), error);
        if (txn.get() == nullptr) return write_drops_.drop(batch.size(), error);
        for (const auto& evaluation : batch) {
            auto key = Store::evaluation_key(evaluation.time, pid_, ++sequence_);
            auto row = encode(evaluation);
            DBT k = bytes_dbt(key.data(), key.size());
            DBT v = bytes_dbt(row.data(), row.size());
            int rc = store_->evaluations()->put(store_->evaluations(), txn.get(), &k, &v, 0);
            if (rc != 0) return write_drops_.drop(batch.size(), db_error("put", rc));
        }
        if (!txn.commit(error)) write_drops_.drop(batch.size(), error);
    }

    std::unique_ptr<Store> store_;
    const std::uint32_t pid_ = static_cast<std::uint32_t>(getpid());
    std::uint32_t sequence_ = 0;  // writer thread only
    DropLog write_drops_;         // writer thread only
    std::mutex mutex_;
    std::condition_variable wake_;  // the writer thread waits for work
    std::condition_variable idle_;  // flush() waits for the writer thread
    std::deque<Evaluation> queue_;  // guarded by mutex_
    bool writing_ = true;           // guarded by mutex_; a batch is being written
    DropLog queue_drops_;           // guarded by mutex_
    bool stopping_ = false;         // guarded by mutex_
    std::thread thread_;
};

class Reader : public HistoryReader {
public:
    explicit Reader(std::unique_ptr<Store> store) : store_(std::move(store)) {}

    Scan scan(std::int64_t begin, std::int64_t end) override {
        Scan out;
        CursorHandle cursor = open_cursor(nullptr, out.error);
        if (!cursor) return out;
        auto start = Store::evaluation_key(begin, 0, 0);
        DBT k = bytes_dbt(start.data(), start.size());
        DBT v{};
        int rc = cursor->get(cursor.get(), &k, &v, DB_SET_RANGE);
        for (; rc == 0; rc = cursor->get(cursor.get(), &k, &v, DB_NEXT)) {
            if (Store::key_time(k) >= end) break;
            Decoded d = decode({static_cast<const std::uint8_t*>(v.data), v.size});
            if (!d.evaluation) {
                ++out.corrupt;
                continue;
            }
            out.evaluations.push_back(std::move(*d.evaluation));
        }
        if (rc != 0 && rc != DB_NOTFOUND) out.error = db_error("cursor", rc);
        return out;
    }

    long long purge(std::int64_t before, std::string& error) override {
        Txn txn(store_->env(), error);
        if (txn.get() == nullptr) return -1;
        long long removed = purge_evaluations(txn.get(), before, error);
        if (removed < 0) return -1;
        long long marks = purge_marks(txn.get(), before, error);
        if (marks < 0 || !txn.commit(error)) return -1;
        return removed + marks;
    }

    bool is_sent(const std::string& policy_domain, std::int64_t begin,
                 const std::string& destination) override {
        std::string key = Store::sent_key(policy_domain, begin, destination);
        DBT k = bytes_dbt(key.data(), key.size());
        DBT v{};
        v.flags = DB_DBT_MALLOC;
        int rc = store_->sent()->get(store_->sent(), nullptr, &k, &v, 0);
        if (rc == 0) free(v.data);
        return rc == 0;
    }

    bool mark_sent(const SentMark& mark, std::string& error) override {
        std::string key = Store::sent_key(mark.policy_domain, mark.begin, mark.destination);
        std::string value = mark.outcome + "\n" + std::to_string(mark.at);
        DBT k = bytes_dbt(key.data(), key.size());
        DBT v = bytes_dbt(value.data(), value.size());
        int rc = store_->sent()->put(store_->sent(), nullptr, &k, &v, DB_AUTO_COMMIT);
        if (rc != 0) error = db_error("mark sent", rc);
        return rc == 0;
    }

private:
    CursorHandle open_cursor(DB_TXN* txn, std::string& error, DB* db = nullptr) {
        if (db == nullptr) db = store_->evaluations();
        DBC* raw = nullptr;
        int rc = db->cursor(db, txn, &raw, 0);
        if (rc != 0) {
            error = db_error("cursor", rc);
            return nullptr;
        }
        return CursorHandle(raw);
    }

    long long purge_evaluations(DB_TXN* txn, std::int64_t before, std::string& error) {
        CursorHandle cursor = open_cursor(txn, error);
        if (!cursor) return -1;
        long long removed = 0;
        DBT k{}, v{};
        int rc;
        while ((rc = cursor->get(cursor.get(), &k, &v, DB_NEXT)) == 0 &&
               Store::key_time(k) < before) {
            if ((rc = cursor->del(cursor.get(), 0)) != 0) break;
            ++removed;
        }
        if (rc != 0 && rc != DB_NOTFOUND) {
            error = db_error("purge", rc);
            return -1;
        }
        return removed;
    }

    // Sent marks: the begin is the second NUL-separated part of the key.
    long long purge_marks(DB_TXN* txn, std::int64_t before, std::string& error) {
        CursorHandle cursor = open_cursor(txn, error, store_->sent());
        if (!cursor) return -1;
        long long removed = 0;
        DBT k{}, v{};
        int rc;
        while ((rc = cursor->get(cursor.get(), &k, &v, DB_NEXT)) == 0) {
            std::string key(static_cast<const char*>(k.data), k.size);
            auto first = key.find('\0');
            long long begin = first == std::string::npos ? 0 : std::atoll(key.c_str() + first + 1);
            if (begin >= before) continue;
            if ((rc = cursor->del(cursor.get(), 0)) != 0) break;
            ++removed;
        }
        if (rc != 0 && rc != DB_NOTFOUND) {
            error = db_error("purge marks", rc);
            return -1;
        }
        return removed;
    }

    std::unique_ptr<Store> store_;
};

}  // namespace

std::string history_dir(const config::Config& config) {
    const std::string& dir = config.str("report_dir");
    if (!dir.empty()) return dir;
    return config.str("cache_dir") + "/reports";
}

std::unique_ptr<HistoryWriter> open_history_writer(const config::Config& config, std::string& error) {
    auto store = Store::open(history_dir(config), true, error);
    if (!store) return nullptr;
    return std::make_unique<Writer>(std::move(store));
}

std::unique_ptr<HistoryReader> open_history_reader(const config::Config& config, bool create,
                                                   std::string& error) {
    auto store = Store::open(history_dir(config), create, error);
    if (!store) return nullptr;
    return std::make_unique<Reader>(std::move(store));
}

}  // namespace report
