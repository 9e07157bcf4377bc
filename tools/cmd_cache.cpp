// mtaguard cache: inspect and maintain the MTA-STS policy cache in cache_dir
// (lib/sts/cache.h), safely next to a running mtaguard-policyd.
//
//   cache list [--json]               every row: policy, age, expiry, last use, backoff
//   cache show [--json] DOMAIN        one row in full (exit 1: not cached)
//   cache purge [--json] [DOMAIN]     remove one row (exit 1: not cached) or all
//   cache refresh [--json] [DOMAIN]   the periodic refresh now, or fetch DOMAIN now
//
// Exit: 0 done/found, 1 not cached / no policy, 2 usage or configuration
// error, 75 the cache cannot be opened, or a DNS or fetch failure (refresh).
// Only refresh creates a missing cache_dir. Run by root, the command acts as
// the owner of cache_dir (seteuid), so the daemon can still write the files.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <optional>

#include "sts_json.h"
#include "command.h"
#include "domain.h"
#include "json.h"
#include "sts/cache.h"
#include "sts/get.h"

namespace tool {
namespace {

using std::chrono::seconds;

struct CacheArgs {
    bool json = false;
    std::string verb;
    std::optional<std::string> domain;  // lowercase A-label
};

std::string iso_time(sts::Seconds t) {
    std::time_t tt = static_cast<std::time_t>(t.time_since_epoch().count());
    std::tm tm{};
    char buf[32];
    if (!::gmtime_r(&tt, &tm) || std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        return std::to_string(tt);
    return buf;
}

// "3d4h", "2h5m", "40s": the two largest units.
std::string span(seconds s) {
    long long v = s.count() < 0 ? -s.count() : s.count();
    constexpr std::pair<long long, char> kUnits[] = {
        {86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}};
    std::string out;
    int parts = 0;
    for (auto [size, unit] : kUnits) {
        if (v >= size && parts < 2) {
            out += std::to_string(v / size) + unit;
            v %= size;
            ++parts;
        } else if (parts > 0) {
            ++parts;
        }
    }
    return out.empty() ? "0s" : out;
}

std::string_view row_state(const sts::CacheRow& row, sts::Seconds now) {
    bool valid = row.valid_until > now;
    if (row.backoff) return valid ? "backoff" : "backoff-expired";
    return valid ? "fresh" : "expired";
}

json::Value row_json(const sts::CacheRow& row, sts::Seconds now) {
    json::Value v = json::Value::object();
    v.set("domain", row.domain);
    v.set("state", row_state(row, now));
    v.set("backoff", row.backoff);
    v.set("record_id", json::Value::null_if_empty(row.record_id));
    v.set("policy", row.backoff ? json::Value() : policy_json(row.policy));
    v.set("policy_text", row.backoff ? json::Value() : json::Value(row.policy_text));
    v.set("inserted", iso_time(row.inserted));
    v.set("last_update", iso_time(row.last_update));
    v.set("valid_until", iso_time(row.valid_until));
    v.set("last_use", iso_time(row.last_use));
    v.set("last_checked", iso_time(row.last_checked));
    v.set("age_seconds", static_cast<long long>((now - row.last_update).count()));
    v.set("expires_in_seconds", static_cast<long long>((row.valid_until - now).count()));
    bool failed = row.failure != sts::FetchFailure::None;
    v.set("failure", failed ? json::Value(sts::failure_name(row.failure)) : json::Value());
    v.set("failure_reason",
          json::Value::null_if_empty(row.failure_reason));
    return v;
}

// One line for `cache list`.
std::string row_line(const sts::CacheRow& row, sts::Seconds now) {
    std::string s = row.domain + "  " + std::string(row_state(row, now));
    if (row.backoff) {
        s += row.failure == sts::FetchFailure::None
                 ? " (no policy: " + row.failure_reason + ")"
                 : " (" + std::string(sts::failure_name(row.failure)) + " " + row.failure_reason +
                       ")";
    } else {
        s += " mode=" + std::string(sts::mode_name(row.policy.mode)) + " id=" + row.record_id;
        s += " age=" + span(now - row.last_update);
    }
    s += row.valid_until > now ? " expires in " + span(row.valid_until - now)
                               : " expired " + span(now - row.valid_until) + " ago";
    s += ", last used " + span(now - row.last_use) + " ago";
    return s;
}

void print_row_detail(const sts::CacheRow& row, sts::Seconds now) {
    auto when = [&](sts::Seconds t) {
        return iso_time(t) +
               (t <= now ? " (" + span(now - t) + " ago)" : " (in " + span(t - now) + ")");
    };
    std::cout << "domain:       " << row.domain << "\n"
              << "state:        " << row_state(row, now) << "\n"
              << "record id:    " << (row.record_id.empty() ? "-" : row.record_id) << "\n"
              << "inserted:     " << when(row.inserted) << "\n"
              << "last update:  " << when(row.last_update) << "\n"
              << "valid until:  " << when(row.valid_until) << "\n"
              << "last use:     " << when(row.last_use) << "\n"
              << "last checked: " << when(row.last_checked) << "\n";
    if (row.failure != sts::FetchFailure::None || !row.failure_reason.empty())
        std::cout << "last failure: " << sts::failure_name(row.failure) << " " << row.failure_reason
                  << "\n";
    if (row.backoff) return;
    std::cout << "mode:         " << sts::mode_name(row.policy.mode) << "\n"
              << "max_age:      " << row.policy.max_age << "\n";
    for (const auto& mx : row.policy.mx) std::cout << "mx:           " << mx << "\n";
    for (const auto& [k, v] : row.policy.extensions)
        std::cout << "extension:    " << k << "=" << v << "\n";
    std::cout << "policy text:\n" << row.policy_text;
    if (!row.policy_text.empty() && row.policy_text.back() != '\n') std::cout << "\n";
}

sts::Seconds now() {
    return std::chrono::floor<seconds>(std::chrono::system_clock::now());
}

int cache_list(sts::PolicyCache& cache, const CacheArgs& a) {
    sts::CacheListing listing = cache.list();
    if (!listing.status.ok()) {
        std::cerr << "mtaguard: " << listing.status.error << "\n";
        return kExitTempFail;
    }
    sts::Seconds t = now();
    if (a.json) {
        json::Value rows = json::Value::array();
        for (const auto& row : listing.rows) rows.push(row_json(row, t));
        json::Value corrupt = json::Value::array();
        for (const auto& key : listing.corrupt) corrupt.push(key);
        json::Value out = json::Value::object();
        out.set("cache_dir", cache.dir());
        out.set("count", static_cast<long long>(listing.rows.size()));
        out.set("domains", std::move(rows));
        out.set("corrupt", std::move(corrupt));
        std::cout << out.dump() << "\n";
        return kExitOk;
    }
    for (const auto& row : listing.rows) std::cout << row_line(row, t) << "\n";
    for (const auto& key : listing.corrupt) std::cout << key << "  corrupt (treated as absent)\n";
    if (listing.rows.empty() && listing.corrupt.empty()) std::cout << "(cache is empty)\n";
    return kExitOk;
}

int cache_show(sts::PolicyCache& cache, const CacheArgs& a) {
    sts::RowRead read = cache.get(*a.domain);
    if (read.status == sts::RowStatus::Error) {
        std::cerr << "mtaguard: " << read.error << "\n";
        return kExitTempFail;
    }
    sts::Seconds t = now();
    if (a.json) {
        json::Value out = json::Value::object();
        out.set("domain", *a.domain);
        out.set("cached", read.row.has_value());
        out.set("row", read.row ? row_json(*read.row, t) : json::Value());
        out.set("error",
                read.status == sts::RowStatus::Corrupt ? json::Value(read.error) : json::Value());
        std::cout << out.dump() << "\n";
    } else if (read.row) {
        print_row_detail(*read.row, t);
    } else {
        std::cout << *a.domain << ": not cached"
                  << (read.status == sts::RowStatus::Corrupt ? " (corrupt row: " + read.error + ")"
                                                             : "")
                  << "\n";
    }
    return read.row ? kExitOk : kExitNegative;
}

int cache_purge(sts::PolicyCache& cache, const CacheArgs& a) {
    std::size_t removed = 0;
    bdb::Status status;
    if (a.domain) {
        bool existed = false;
        status = cache.remove(*a.domain, existed);
        removed = existed ? 1 : 0;
    } else {
        status = cache.purge(removed);
    }
    if (!status.ok()) {
        std::cerr << "mtaguard: " << status.error << "\n";
        return kExitTempFail;
    }
    if (a.json) {
        json::Value out = json::Value::object();
        out.set("removed", static_cast<long long>(removed));
        std::cout << out.dump() << "\n";
    } else {
        std::cout << "removed " << removed << (removed == 1 ? " row\n" : " rows\n");
    }
    return a.domain && removed == 0 ? kExitNegative : kExitOk;
}

int refresh_exit(const sts::GetResult& r) {
    if (r.policy && !r.fallback) return kExitOk;
    if (r.fallback || r.failure_reason == "dns-temporary-failure") return kExitTempFail;
    return kExitNegative;
}

int cache_refresh(sts::PolicyCache& cache, const CacheArgs& a, const config::Config& cfg) {
    auto resolver = make_resolver(cfg, "cache refresh");
    if (!resolver) return kExitUsage;
    auto fetcher = sts::make_https_fetcher(cfg);
    sts::SystemClock clock;
    if (!a.domain) {
        sts::RefreshStats stats = sts::refresh(*resolver, *fetcher, cache, clock, cfg);
        json::Value out = json::Value::object();
        out.set("refreshed", stats.refreshed);
        out.set("failed", stats.failed);
        out.set("dropped", stats.dropped);
        if (a.json)
            std::cout << out.dump() << "\n";
        else
            std::cout << "refreshed " << stats.refreshed << ", failed " << stats.failed
                      << ", dropped " << stats.dropped << "\n";
        return stats.failed > 0 ? kExitTempFail : kExitOk;
    }
    sts::GetResult r = sts::refresh_domain(*a.domain, *resolver, *fetcher, cache, clock, cfg);
    if (a.json) {
        json::Value out = json::Value::object();
        out.set("domain", *a.domain);
        out.set("policy", r.policy ? policy_json(*r.policy) : json::Value());
        out.set("fallback", r.fallback);
        bool failed = r.failure != sts::FetchFailure::None;
        out.set("failure", failed ? json::Value(sts::failure_name(r.failure)) : json::Value());
        out.set("failure_reason",
                json::Value::null_if_empty(r.failure_reason));
        out.set("detail", r.detail);
        std::cout << out.dump() << "\n";
    } else {
        std::cout << *a.domain << ": "
                  << (r.policy ? "mode=" + std::string(sts::mode_name(r.policy->mode))
                               : "no policy")
                  << (r.fallback ? " (kept cached policy)" : "") << "; " << r.detail << "\n";
    }
    return refresh_exit(r);
}

// Parses [--json] VERB [DOMAIN]; returns an exit status on error.
std::optional<int> parse_args(Args args, CacheArgs& a) {
    std::vector<std::string> words;
    for (const auto& arg : args) {
        if (arg == "--json")
            a.json = true;
        else if (!arg.empty() && arg[0] == '-')
            return usage_error("cache: unknown option " + arg);
        else
            words.push_back(arg);
    }
    if (words.empty())
        return usage_error("cache: list, show DOMAIN, purge [DOMAIN] or refresh [DOMAIN]");
    a.verb = words[0];
    bool takes_domain = a.verb == "show" || a.verb == "purge" || a.verb == "refresh";
    if (a.verb != "list" && !takes_domain)
        return usage_error("cache: unknown subcommand " + a.verb);
    if (words.size() > (takes_domain ? 2u : 1u))
        return usage_error("cache " + a.verb + ": too many arguments");
    if (a.verb == "show" && words.size() < 2) return usage_error("cache show: DOMAIN missing");
    if (words.size() == 2) {
        auto parsed = domain::parse(words[1]);
        if (!parsed) return usage_error("cache " + a.verb + ": " + words[1] + ": " + parsed.error);
        a.domain = parsed.name->ascii;
    }
    return std::nullopt;
}

// Run by root, act as the owner of cache_dir (the daemon's user), so that
// the files Berkeley DB creates (new log files; region files after a
// recovery) stay writable for the daemon.
std::string become_owner(const std::string& dir) {
    struct stat st {};
    if (::geteuid() != 0 || ::stat(dir.c_str(), &st) != 0 || st.st_uid == 0) return "";
    if (::setegid(st.st_gid) != 0 || ::seteuid(st.st_uid) != 0)
        return dir + ": cannot act as its owner: " + std::strerror(errno);
    return "";
}

}  // namespace

int cmd_cache(const Context& ctx, Args args) {
    CacheArgs a;
    if (auto status = parse_args(args, a)) return *status;
    if (!ctx.config) return config_error(ctx);
    const std::string& dir = ctx.config->str("cache_dir");
    std::error_code ec;
    if (a.verb != "refresh" && !std::filesystem::is_directory(dir, ec)) {
        std::cerr << "mtaguard: " << dir << ": no policy cache (nothing cached yet)\n";
        return kExitNegative;
    }
    if (std::string e = become_owner(dir); !e.empty()) {
        std::cerr << "mtaguard: " << e << "\n";
        return kExitUsage;
    }
    bdb::Status status;
    auto cache = sts::PolicyCache::open(*ctx.config, status);
    if (!cache) {
        std::cerr << "mtaguard: " << status.error << "\n";
        return kExitTempFail;
    }
    if (a.verb == "list") return cache_list(*cache, a);
    if (a.verb == "show") return cache_show(*cache, a);
    if (a.verb == "purge") return cache_purge(*cache, a);
    return cache_refresh(*cache, a, *ctx.config);
}

}  // namespace tool
