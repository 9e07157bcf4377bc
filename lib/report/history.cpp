// history: the writer thread that stores the milter's evaluations and the
// reader `mtaguard report` uses (contract in history.h, layout in store.h).
//
// The message path encodes the evaluation (record.h) and takes a mutex to
// append the row to a queue bounded in bytes (WriterLimits::queue_bytes);
// it wakes the writer thread only when the thread sleeps with nothing queued
// or when a batch (batch_rows) is complete, so a busy milter pays one wake-up
// per batch, not one per message. The writer thread otherwise waits at most
// max_delay after the first queued row, then stores what is queued, in
// transactions of at most batch_rows rows committed without a log flush
// (DB_TXN_WRITE_NOSYNC: a crash of the host may lose the last rows; the
// store stays consistent). A full queue or a failed transaction (full disk,
// database error) drops the evaluations concerned: mail is never delayed or
// failed for the sake of reports. Drops are logged at most once per
// kLogInterval with a count. When another process has recovered the
// environment (DB_RUNRECOVERY) the writer closes its handles and opens the
// store again; when that fails, it tries again only after kReopenHoldBack
// (one error line per try), dropping the batches in between.
#include "report/history.h"

#include <unistd.h>

#include <algorithm>
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

constexpr std::chrono::seconds kLogInterval{60};
// After a failed reopen, batches are dropped without trying again for this
// long: no open() and no error line per batch while the store stays broken.
constexpr std::chrono::seconds kReopenHoldBack{60};
// What a queued row costs beyond its bytes (deque slot, vector, malloc).
constexpr std::size_t kRowOverhead = sizeof(std::int64_t) + sizeof(std::vector<std::uint8_t>) + 16;

// Counts dropped evaluations and logs them, at most once per kLogInterval.
class DropLog {
public:
    void drop(std::size_t count, const std::string& why) {
        dropped_ += count;
        total_ += count;
        auto now = std::chrono::steady_clock::now();
        if (logged_once_ && now - last_ < kLogInterval) return;
        logging::warning("report history: dropped evaluations " +
                         logging::fields({{"count", std::to_string(dropped_)}, {"reason", why}}));
        dropped_ = 0;
        last_ = now;
        logged_once_ = true;
    }
    std::uint64_t total() const { return total_; }

private:
    std::size_t dropped_ = 0;
    std::uint64_t total_ = 0;
    std::chrono::steady_clock::time_point last_{};
    bool logged_once_ = false;
};

// An encoded evaluation waiting for the writer thread.
struct Row {
    std::int64_t time = 0;
    std::vector<std::uint8_t> bytes;
};

class Writer : public HistoryWriter {
public:
    Writer(std::unique_ptr<Store> store, std::string dir, const WriterLimits& limits)
        : store_(std::move(store)), dir_(std::move(dir)), limits_(limits) {
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
        Row row{evaluation.time, encode(evaluation)};
        std::size_t cost = row.bytes.size() + kRowOverhead;
        std::unique_lock lock(mutex_);
        if (queued_bytes_ + cost > limits_.queue_bytes) {
            queue_drops_.drop(1, "queue full");
            return;
        }
        queue_.push_back(std::move(row));
        queued_bytes_ += cost;
        bool wake = state_ == State::Idle || (state_ == State::Gathering && queue_.size() >= limits_.batch_rows);
        if (wake) state_ = State::Woken;  // one notification is enough
        lock.unlock();
        if (wake) wake_.notify_one();
    }

    void flush() override {
        std::unique_lock lock(mutex_);
        ++flush_requests_;
        wake_.notify_one();
        idle_.wait(lock, [this] { return queue_.empty() && state_ != State::Writing; });
        --flush_requests_;
    }

    std::uint64_t dropped() override {
        std::lock_guard lock(mutex_);
        return queue_drops_.total() + write_drops_total_;
    }

private:
    // Idle: nothing queued, waiting for a row. Gathering: rows queued,
    // waiting up to max_delay for a full batch. Woken: notified, not yet
    // running. Writing: storing rows, the mutex released.
    enum class State { Idle, Gathering, Woken, Writing };

    bool batch_due() const { return stopping_ || flush_requests_ > 0 || queue_.size() >= limits_.batch_rows; }

    // Waits for work; false when stopping with nothing left. Takes the queue.
    bool take(std::deque<Row>& rows) {
        std::unique_lock lock(mutex_);
        state_ = State::Idle;
        idle_.notify_all();
        wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (!batch_due()) {
            state_ = State::Gathering;
            wake_.wait_for(lock, limits_.max_delay, [this] { return batch_due(); });
        }
        if (queue_.empty() && stopping_) return false;
        rows.swap(queue_);
        queued_bytes_ = 0;
        state_ = State::Writing;
        return true;
    }

    void run() {
        std::deque<Row> rows;
        while (take(rows)) {
            while (!rows.empty()) {
                std::size_t n = std::min(rows.size(), limits_.batch_rows);
                write(rows, n);
                rows.erase(rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(n));
            }
        }
    }

    // The first `n` rows in one transaction (retried on deadlock); on
    // failure they are all dropped.
    void write(const std::deque<Row>& rows, std::size_t n) {
        if (!store_) {
            if (std::chrono::steady_clock::now() >= next_reopen_) reopen();
            if (!store_) return drop_written(n, "store closed");
        }
        std::uint32_t first = sequence_;
        bdb::Status status = bdb::run_txn(
            store_->env(),
            [&](DB_TXN* txn) {
                sequence_ = first;  // a retry reuses the same keys
                for (std::size_t i = 0; i < n; ++i) {
                    auto key = Store::evaluation_key(rows[i].time, pid_, ++sequence_);
                    DBT k = bdb::in_dbt(key.data(), key.size());
                    DBT v = bdb::in_dbt(rows[i].bytes.data(), rows[i].bytes.size());
                    if (int rc = store_->evaluations()->put(store_->evaluations(), txn, &k, &v, 0); rc != 0)
                        return rc;
                }
                return 0;
            },
            /*nosync=*/true);
        if (status.ok()) return;
        drop_written(n, status.error);
        if (status.run_recovery()) reopen();
    }

    void drop_written(std::size_t n, const std::string& why) {
        write_drops_.drop(n, why);
        std::lock_guard lock(mutex_);
        write_drops_total_ = write_drops_.total();
    }

    // Another process recovered the environment under us (bdb.h): every
    // call fails until the handles are closed and the store opened again.
    void reopen() {
        store_.reset();  // DB_REGISTER: one environment handle per process
        std::string error;
        store_ = Store::open(dir_, true, error);
        if (store_) return;
        next_reopen_ = std::chrono::steady_clock::now() + kReopenHoldBack;
        logging::error("report history: cannot reopen " + dir_ + ": " + error + " (next try in " +
                       std::to_string(kReopenHoldBack.count()) + "s; evaluations dropped until then)");
    }

    std::unique_ptr<Store> store_;  // writer thread only; null after a failed reopen
    std::chrono::steady_clock::time_point next_reopen_{};  // writer thread only
    const std::string dir_;
    const WriterLimits limits_;
    const std::uint32_t pid_ = static_cast<std::uint32_t>(getpid());
    std::uint32_t sequence_ = 0;  // writer thread only
    DropLog write_drops_;         // writer thread only
    std::mutex mutex_;
    std::condition_variable wake_;     // the writer thread waits for work
    std::condition_variable idle_;     // flush() waits for the writer thread
    std::deque<Row> queue_;            // guarded by mutex_
    std::size_t queued_bytes_ = 0;     // guarded by mutex_
    State state_ = State::Writing;     // guarded by mutex_
    int flush_requests_ = 0;           // guarded by mutex_
    std::uint64_t write_drops_total_ = 0;  // guarded by mutex_
    DropLog queue_drops_;              // guarded by mutex_
    bool stopping_ = false;            // guarded by mutex_
    std::thread thread_;
};

class Reader : public HistoryReader {
public:
    explicit Reader(std::unique_ptr<Store> store) : store_(std::move(store)) {}
    using HistoryReader::scan;

    ScanStatus scan(std::int64_t begin, std::int64_t end, const Visit& each) override {
        ScanStatus out;
        CursorPtr cursor = open_cursor(store_->evaluations(), nullptr, out.error);
        if (!cursor) return out;
        auto start = Store::evaluation_key(begin, 0, 0);
        DBT k = bdb::in_dbt(start.data(), start.size());
        k.flags = DB_DBT_MALLOC;  // DB_SET_RANGE returns the key found
        for (std::uint32_t op = DB_SET_RANGE;; op = DB_NEXT) {
            DBT v = bdb::out_dbt();
            if (op == DB_NEXT) k = bdb::out_dbt();
            int rc = cursor->get(cursor.get(), &k, &v, op);
            if (rc != 0) {
                if (rc != DB_NOTFOUND) out.error = bdb::make_status(rc, "scan").error;
                break;
            }
            bdb::MallocPtr key_memory(k.data), value_memory(v.data);
            if (Store::key_time(k) >= end) break;
            Decoded d = decode({static_cast<const std::uint8_t*>(v.data), v.size});
            if (!d.evaluation) {
                ++out.corrupt;
                continue;
            }
            each(std::move(*d.evaluation));
        }
        return out;
    }

    long long purge(std::int64_t before, std::string& error) override {
        long long removed = 0;
        bdb::Status status = bdb::run_txn(store_->env(), [&](DB_TXN* txn) {
            removed = 0;
            int rc = purge_db(store_->evaluations(), txn, removed, [before](const DBT& k) {
                return Store::key_time(k) < before ? Visit::Delete : Visit::Stop;
            });
            if (rc != 0) return rc;
            // Sent marks: the period's begin is the second NUL-separated part of the key.
            return purge_db(store_->sent(), txn, removed, [before](const DBT& k) {
                std::string key(static_cast<const char*>(k.data), k.size);
                auto nul = key.find('\0');
                long long begin = nul == std::string::npos ? 0 : std::atoll(key.c_str() + nul + 1);
                return begin < before ? Visit::Delete : Visit::Keep;
            });
        });
        if (!status.ok()) {
            error = status.error;
            return -1;
        }
        return removed;
    }

    bool is_sent(const std::string& policy_domain, std::int64_t begin,
                 const std::string& destination) override {
        std::string key = Store::sent_key(policy_domain, begin, destination);
        DBT k = bdb::in_dbt(key.data(), key.size());
        DBT v = bdb::out_dbt();
        int rc = store_->sent()->get(store_->sent(), nullptr, &k, &v, 0);
        bdb::MallocPtr value_memory(rc == 0 ? v.data : nullptr);
        return rc == 0;
    }

    bool mark_sent(const SentMark& mark, std::string& error) override {
        std::string key = Store::sent_key(mark.policy_domain, mark.begin, mark.destination);
        std::string value = mark.outcome + "\n" + std::to_string(mark.at);
        bdb::Status status = bdb::run_txn(store_->env(), [&](DB_TXN* txn) {
            DBT k = bdb::in_dbt(key.data(), key.size());
            DBT v = bdb::in_dbt(value.data(), value.size());
            return store_->sent()->put(store_->sent(), txn, &k, &v, 0);
        });
        if (!status.ok()) error = status.error;
        return status.ok();
    }

private:
    using CursorPtr = bdb::CursorPtr;
    enum class Visit { Keep, Delete, Stop };

    static CursorPtr open_cursor(DB* db, DB_TXN* txn, std::string& error) {
        DBC* raw = nullptr;
        if (int rc = db->cursor(db, txn, &raw, 0); rc != 0) {
            error = bdb::make_status(rc, "cursor").error;
            return nullptr;
        }
        return CursorPtr(raw);
    }

    // Walks `db` in key order inside `txn`, deleting what `visit` says;
    // returns a Berkeley DB code (0 when done).
    template <typename Visitor>
    static int purge_db(DB* db, DB_TXN* txn, long long& removed, Visitor visit) {
        DBC* raw = nullptr;
        if (int rc = db->cursor(db, txn, &raw, 0); rc != 0) return rc;
        CursorPtr cursor(raw);
        for (;;) {
            DBT k = bdb::out_dbt(), v = bdb::out_dbt();
            int rc = cursor->get(cursor.get(), &k, &v, DB_NEXT);
            if (rc == DB_NOTFOUND) return 0;
            if (rc != 0) return rc;
            bdb::MallocPtr key_memory(k.data), value_memory(v.data);
            Visit what = visit(k);
            if (what == Visit::Stop) return 0;
            if (what == Visit::Keep) continue;
            if ((rc = cursor->del(cursor.get(), 0)) != 0) return rc;
            ++removed;
        }
    }

    std::unique_ptr<Store> store_;
};

}  // namespace

std::string history_dir(const config::Config& config) {
    const std::string& dir = config.str("report_dir");
    if (!dir.empty()) return dir;
    return config.str("cache_dir") + "/reports";
}

std::unique_ptr<HistoryWriter> open_history_writer(const config::Config& config, std::string& error,
                                                   const WriterLimits& limits) {
    auto store = Store::open(history_dir(config), true, error);
    if (!store) return nullptr;
    return std::make_unique<Writer>(std::move(store), history_dir(config), limits);
}

HistoryReader::Scan HistoryReader::scan(std::int64_t begin, std::int64_t end) {
    Scan out;
    static_cast<ScanStatus&>(out) = scan(begin, end, [&](Evaluation&& e) { out.evaluations.push_back(std::move(e)); });
    return out;
}

std::unique_ptr<HistoryReader> open_history_reader(const config::Config& config, bool create,
                                                   std::string& error) {
    auto store = Store::open(history_dir(config), create, error);
    if (!store) return nullptr;
    return std::make_unique<Reader>(std::move(store));
}

}  // namespace report
