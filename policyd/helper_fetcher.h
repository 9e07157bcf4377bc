// helper_fetcher: the sts::Fetcher of mtaguard-policyd. Each fetch runs in a
// helper process, mtaguard-sts-fetch (fetch_helper_main.cpp), which alone
// links libcurl: the daemon, which lives for months holding the cache, does
// not carry libcurl's libraries in memory (about 8 MiB resident here,
// bench/README.md) and does not parse TLS and HTTP from remote hosts itself,
// much as Postfix keeps TLS session work out of its long-running processes.
//
// A helper serves one fetch at a time; concurrent fetches (the workers and
// the refresher) use one helper each, started on demand and reused. A helper
// idle for kIdleSeconds exits by itself, so a daemon that answers from its
// cache runs none. The daemon waits for a reply at most sts_fetch_timeout
// plus kStartMargin, then kills the helper. Whatever goes wrong with a helper
// (it cannot be started, dies, hangs, or replies garbage) is a fetch failure
// of type sts-policy-fetch-error (RFC 8460 §4.3.2.2), reason fetch-failed or
// timeout, never a crash; on cancel() (SIGTERM) a fetch ends at once. The policy text a helper returns is parsed here
// (RFC 8461 §3.2), not taken on the helper's word.
//
// The helper inherits no descriptor but its socket (as standard input and
// output) and standard error, an empty environment and
// default signal handling; it runs as the daemon's (unprivileged) user.
// Children are reaped by end(); mtaguard-policyd also ignores SIGCHLD so that
// a helper that exits on its idle timer never lingers as a zombie.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "config.h"
#include "fd.h"
#include "sts/fetch.h"

namespace policyd {

struct HelperOptions {
    std::string program;                 // the helper executable
    std::vector<std::string> arguments;  // after the program name
    std::chrono::milliseconds reply_timeout{35000};

    // sts_fetch_helper (empty: the one installed beside the daemon), the
    // fetch parameters passed on as -o, reply_timeout = sts_fetch_timeout +
    // kStartMargin.
    static HelperOptions from_config(const config::Config& config);
    bool operator==(const HelperOptions&) const = default;
};

inline constexpr int kIdleSeconds = 60;
inline constexpr std::chrono::milliseconds kStartMargin{5000};

// The helper program mtaguard-policyd runs: sts_fetch_helper, or the one
// installed with it (PKGLIBEXECDIR/mtaguard-sts-fetch).
std::string helper_program(const config::Config& config);

class HelperFetcher : public sts::Fetcher {
public:
    explicit HelperFetcher(HelperOptions options);
    ~HelperFetcher() override;
    HelperFetcher(const HelperFetcher&) = delete;
    HelperFetcher& operator=(const HelperFetcher&) = delete;

    sts::FetchResult fetch(std::string_view domain) override;

    // New options (after a reload): idle helpers end, busy ones end when
    // their fetch is done; later fetches start helpers with these.
    void configure(HelperOptions options);

    // The daemon is stopping: every fetch waiting on a helper ends at once
    // (the helper is killed; the fetch fails with reason "cancelled") and
    // later fetches fail without starting one. Any thread.
    void cancel();

private:
    struct Child {
        pid_t pid = -1;  // for the log only: signalled and awaited through pidfd
        Fd pidfd;        // pidfd_open(pid): a reused pid can never be hit
        Fd fd;
        unsigned generation = 0;  // of the options it was started with
    };
    struct Exchange;

    bool cancelled();
    bool take(Child& child, HelperOptions& options, bool& reused, std::string& error);
    void give_back(Child child);
    static bool spawn(const HelperOptions& options, Child& child, std::string& error);
    Exchange exchange(const Child& child, const std::string& request, std::chrono::milliseconds timeout) const;
    static void end(Child& child);

    Fd cancel_;  // eventfd, readable from cancel() on: every exchange polls it
    std::mutex mutex_;
    bool cancelled_ = false;
    HelperOptions options_;
    unsigned generation_ = 0;
    std::vector<Child> idle_;  // helpers waiting for a request, last used last
};

}  // namespace policyd
