// history: the record of every DMARC evaluation mtaguard-milter makes, kept
// for aggregate reports (RFC 9990).
//
// CONTRACT (written before the implementation; keep these names):
// HistoryWriter::record() is called on the milter's message path and must
// never block it or fail mail: evaluations go to a bounded queue drained by a
// writer thread that batches them into a Berkeley DB store under report_dir
// (or cache_dir); a full queue, a full disk or a database error drops the
// evaluation and logs (rate-limited). HistoryReader reads them back for
// `mtaguard report`.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config.h"

namespace report {

struct AuthResultEntry {
    std::string domain;
    std::string selector;  // DKIM only
    std::string scope;     // SPF only: "mfrom" or "helo"
    std::string result;    // "pass", "fail", ...
};

struct PublishedPolicy {
    std::string domain;  // policy domain (where the record was found)
    std::string p, sp, np;
    std::string adkim, aspf;
    int pct = 100;
    std::string t;    // "y"/"n" (RFC 9989), "" when not published
    std::string psd;  // "y"/"n"/"u"
    std::vector<std::string> rua;  // URIs as published, with !size suffixes
    // ri as published (RFC 7489 §6.3, seconds); nullopt when the record had
    // none (RFC 9989 removed the tag): report_interval applies.
    std::optional<std::uint32_t> ri;
};

struct Evaluation {
    std::int64_t time = 0;  // seconds since the epoch
    std::string source_ip;
    std::string header_from;  // author domain
    std::string envelope_from_domain;
    std::vector<std::string> envelope_to_domains;
    std::vector<AuthResultEntry> spf;
    std::vector<AuthResultEntry> dkim;
    PublishedPolicy policy;
    std::string dmarc_spf;   // aligned SPF outcome: "pass" / "fail"
    std::string dmarc_dkim;  // aligned DKIM outcome: "pass" / "fail"
    std::string disposition;  // applied: "none", "quarantine", "reject"
    std::vector<std::string> reasons;  // RFC 9990 reason types: "local_policy", "sampled_out", ...
    bool is_report = false;  // the message was itself a DMARC report: never reported on (no loops)
};

class HistoryWriter {
public:
    virtual ~HistoryWriter() = default;
    virtual void record(Evaluation evaluation) = 0;  // never blocks, never throws
    // Waits until everything recorded so far is written (or dropped). Not for
    // the message path: for shutdown and tests.
    virtual void flush() {}
    // Evaluations dropped so far (full queue, failed writes).
    virtual std::uint64_t dropped() { return 0; }
};

// How much the writer holds back and for how long (history.cpp). The queue
// bound is in bytes of encoded rows, so memory stays bounded however large
// the evaluations; what does not fit is dropped. (While the writer thread
// stores one queue's rows, the next fills: at most twice queue_bytes.)
struct WriterLimits {
    std::size_t queue_bytes = 1024 * 1024;
    std::size_t batch_rows = 256;                 // rows per transaction; a full batch wakes the writer
    std::chrono::milliseconds max_delay{1000};  // longest a queued row waits for a batch
};

// Opens (or creates) the store; nullptr with `error` set when it cannot.
// The writer's destructor writes what is still queued, then stops its thread.
std::unique_ptr<HistoryWriter> open_history_writer(const config::Config& config, std::string& error,
                                                   const WriterLimits& limits = {});

// Where the store lives: report_dir, or <cache_dir>/reports when report_dir
// is empty. A directory of its own (its own Berkeley DB environment), so the
// history never shares locks or logs with the MTA-STS policy cache.
std::string history_dir(const config::Config& config);

// A destination of one report period that was handled (sent, or refused for
// a reason that will not change), so that a rerun does not send it again.
struct SentMark {
    std::string policy_domain;
    std::int64_t begin = 0;
    std::string destination;  // the rua URI
    std::string outcome;      // "sent", "refused: ..."
    std::int64_t at = 0;      // when
};

// Reads the history back for `mtaguard report`. Not thread-safe; one per
// command. Results are values: `error` is set when the database failed.
class HistoryReader {
public:
    virtual ~HistoryReader() = default;
    struct ScanStatus {
        std::size_t corrupt = 0;  // rows that did not decode (skipped)
        std::string error;        // the database failed: the scan stopped there
    };
    // Calls `each` for every evaluation with time in [begin, end), in time
    // order, one at a time: a period of a busy server is millions of rows,
    // never held in memory together.
    using Visit = std::function<void(Evaluation&&)>;
    virtual ScanStatus scan(std::int64_t begin, std::int64_t end, const Visit& each) = 0;
    // The same, collected (for small ranges: tests, tools).
    struct Scan : ScanStatus {
        std::vector<Evaluation> evaluations;  // time in [begin, end), in time order
    };
    Scan scan(std::int64_t begin, std::int64_t end);
    // Deletes evaluations older than `before` and sent marks of periods that
    // began before it; returns how many rows went, or -1 with `error`.
    virtual long long purge(std::int64_t before, std::string& error) = 0;
    virtual bool is_sent(const std::string& policy_domain, std::int64_t begin,
                         const std::string& destination) = 0;
    virtual bool mark_sent(const SentMark& mark, std::string& error) = 0;
};

// Opens the store; nullptr with `error` set when it cannot (e.g. no such
// directory: nothing was ever recorded). create: make the directory.
std::unique_ptr<HistoryReader> open_history_reader(const config::Config& config, bool create,
                                                   std::string& error);

}  // namespace report
