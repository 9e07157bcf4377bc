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

#include <cstdint>
#include <memory>
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
};

class HistoryWriter {
public:
    virtual ~HistoryWriter() = default;
    virtual void record(Evaluation evaluation) = 0;  // never blocks, never throws
};

// Opens (or creates) the store; nullptr with `error` set when it cannot.
std::unique_ptr<HistoryWriter> open_history_writer(const config::Config& config, std::string& error);

}  // namespace report
