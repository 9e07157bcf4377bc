// sts-cache-fill: fills an MTA-STS policy cache (the Berkeley DB environment
// at cache_dir) with COUNT enforce policies through the cache API, as
// mtaguard-policyd would have stored them after fetching, so that the
// benchmark can measure the daemon with a large cache without 100,000 HTTPS
// fetches. Domains are p0.fill.bench .. p<COUNT-1>.fill.bench; each policy
// has the mx patterns "mx1.<domain>" and "*.mx.<domain>", max_age one week,
// and was fetched, checked and used "now" (no revalidation or last-use write
// is due while the benchmark runs).
//
//   sts-cache-fill CACHE_DIR COUNT
//
// While it writes, a DB_CONFIG in CACHE_DIR turns off the log flush at each
// commit (bench data need not survive a crash). After the environment was
// checkpointed and closed, DB_CONFIG and the region files (__db.*) are
// removed, so that the daemon creates the regions with its own
// sts_cache_memory_kb. Exit 1 on any error.
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include "sts/cache.h"

namespace {

constexpr std::uint32_t kMaxAge = 7 * 24 * 3600;

sts::CacheRow make_row(const std::string& domain, sts::Seconds now) {
    sts::CacheRow row;
    row.domain = domain;
    row.inserted = row.last_update = row.last_use = row.last_checked = now;
    row.valid_until = now + std::chrono::seconds(kMaxAge);
    row.record_id = "1";
    row.policy.version = "STSv1";
    row.policy.mode = sts::Mode::Enforce;
    row.policy.max_age = kMaxAge;
    row.policy.mx = {"mx1." + domain, "*.mx." + domain};
    row.policy_text = "version: STSv1\nmode: enforce\nmx: mx1." + domain + "\nmx: *.mx." + domain +
                      "\nmax_age: " + std::to_string(kMaxAge) + "\n";
    return row;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::cerr << "usage: sts-cache-fill CACHE_DIR COUNT\n";
        return 2;
    }
    const std::string dir = argv[1];
    const long count = std::stol(argv[2]);
    const std::string db_config = dir + "/DB_CONFIG";
    ::mkdir(dir.c_str(), 0750);
    std::ofstream(db_config) << "set_flags DB_TXN_WRITE_NOSYNC\n";
    auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    int status_code = 0;
    {
        bdb::Status status;
        auto cache = sts::PolicyCache::open(dir, status);
        if (!cache) {
            std::cerr << "sts-cache-fill: " << dir << ": " << status.error << "\n";
            return 1;
        }
        for (long i = 0; i < count && status_code == 0; ++i) {
            bdb::Status put = cache->put(make_row("p" + std::to_string(i) + ".fill.bench", now));
            if (!put.ok()) {
                std::cerr << "sts-cache-fill: " << put.error << "\n";
                status_code = 1;
            }
        }
    }  // checkpoints and closes
    std::remove(db_config.c_str());
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
        if (entry.path().filename().string().starts_with("__db.")) std::filesystem::remove(entry.path(), ec);
    return status_code;
}
