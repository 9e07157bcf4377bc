// store: the Berkeley DB files of the report history.
//
// A bdb::Environment (lib/bdb.h: transactional, DB_REGISTER + DB_RECOVER,
// shared by mtaguard-milter, which writes, and `mtaguard report`, which
// reads) in history_dir(), apart from the MTA-STS cache's environment so the
// two never share locks or logs. Two B-tree files:
//   evaluations.db  key: time (8 bytes big-endian, sign bit flipped so times
//                   before the epoch sort first) + process id (4) +
//                   sequence (4): a cursor walks in time order;
//                   value: a record.h row
//   sent.db         key: policy domain NUL begin (decimal) NUL destination;
//                   value: "outcome\nat"
// DB_REGISTER allows one environment handle per process: a process holds
// either the writer or a reader, never both at once.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bdb.h"

namespace report {

class Store {
public:
    // Opens the store; create: make the directory (and parents) when missing,
    // otherwise a missing directory is an error ("nothing recorded yet").
    static std::unique_ptr<Store> open(const std::string& dir, bool create, std::string& error);

    bdb::Environment& env() const { return *env_; }
    DB* evaluations() const { return evaluations_.get(); }
    DB* sent() const { return sent_.get(); }

    static std::vector<std::uint8_t> evaluation_key(std::int64_t time, std::uint32_t pid,
                                                    std::uint32_t sequence);
    static std::int64_t key_time(const DBT& key);  // 0 for a malformed key
    static std::string sent_key(const std::string& policy_domain, std::int64_t begin,
                                const std::string& destination);

private:
    // Declared first: the databases close before the environment.
    std::shared_ptr<bdb::Environment> env_;
    bdb::DbPtr evaluations_;
    bdb::DbPtr sent_;
};

}  // namespace report
