// helper_fetcher: see helper_fetcher.h.
#include "helper_fetcher.h"

#include <poll.h>
#include <signal.h>
#include <spawn.h>
extern "C" {  // glibc 2.36's <sys/pidfd.h> declares its functions without C linkage for C++
#include <sys/pidfd.h>
}
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <stdexcept>

#include "sts/fetch_wire.h"
#include "log.h"
#include "netstring.h"
#include "sts/policy.h"

namespace policyd {
namespace {

// The mtaguard.conf parameters the helper fetches with (sts/fetch.h
// FetchOptions::from_config reads them on its side).
constexpr const char* kFetchParams[] = {"sts_ca_file", "sts_connect_timeout", "sts_fetch_timeout",
                                        "sts_fetch_port", "sts_fetch_resolve"};

sts::FetchResult helper_failure(std::string reason, const std::string& program, const std::string& error) {
    sts::FetchResult r;
    r.failure = sts::FetchFailure::FetchError;  // RFC 8460 §4.3.2.2: the policy could not be fetched
    r.failure_reason = std::move(reason);
    r.error = "fetch helper " + program + ": " + error;
    return r;
}

// RFC 8461 §3.2: the daemon parses the policy itself; the helper only
// fetched it.
sts::FetchResult parsed(sts::FetchResult result) {
    if (result.failure != sts::FetchFailure::None) return result;
    sts::PolicyParse parse = sts::parse_policy(result.text);
    if (!parse.policy) {
        result.failure = sts::FetchFailure::PolicyInvalid;  // RFC 8460 §4.3.2.2
        result.failure_reason = "policy-invalid";
        result.error = parse.error;
        return result;
    }
    result.policy = std::move(*parse.policy);
    return result;
}

}  // namespace

struct HelperFetcher::Exchange {
    bool ok = false;
    sts::FetchResult result;
    bool closed_before_reply = false;  // the helper was gone before it read the request
    bool timed_out = false;
    bool cancelled = false;
    std::string error;
};

std::string helper_program(const config::Config& config) {
    const std::string& configured = config.str("sts_fetch_helper");
    return configured.empty() ? std::string(MTAGUARD_PKGLIBEXECDIR "/mtaguard-sts-fetch") : configured;
}

HelperOptions HelperOptions::from_config(const config::Config& config) {
    HelperOptions o;
    o.program = helper_program(config);
    for (const char* name : kFetchParams) {
        o.arguments.push_back("-o");
        o.arguments.push_back(std::string(name) + "=" + config.str(name));
    }
    o.arguments.push_back("-i");
    o.arguments.push_back(std::to_string(kIdleSeconds));
    o.reply_timeout = config.duration("sts_fetch_timeout") + kStartMargin;
    return o;
}

HelperFetcher::HelperFetcher(HelperOptions options)
    : cancel_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)), options_(std::move(options)) {
    if (!cancel_) throw std::runtime_error(std::string("eventfd: ") + std::strerror(errno));
}

bool HelperFetcher::cancelled() {
    std::lock_guard lock(mutex_);
    return cancelled_;
}

void HelperFetcher::cancel() {
    {
        std::lock_guard lock(mutex_);
        cancelled_ = true;
    }
    std::uint64_t one = 1;  // never read: stays readable for every exchange
    [[maybe_unused]] auto n = ::write(cancel_.get(), &one, sizeof(one));
}

HelperFetcher::~HelperFetcher() {
    for (Child& child : idle_) end(child);
}

sts::FetchResult HelperFetcher::fetch(std::string_view domain) {
    std::string program;
    {
        std::lock_guard lock(mutex_);
        program = options_.program;
    }
    if (domain.size() > sts::fetch_wire::kMaxRequest)
        return helper_failure("fetch-failed", program, "domain name too long");
    std::string request = netstring::encode(domain);
    for (int attempt = 0;; ++attempt) {
        Child child;
        HelperOptions options;
        bool reused = false;
        std::string error;
        if (!take(child, options, reused, error)) {
            if (cancelled()) return helper_failure("cancelled", options.program, error);
            logging::error("fetch helper " + options.program + ": " + error);
            return helper_failure("fetch-failed", options.program, error);
        }
        Exchange ex = exchange(child, request, options.reply_timeout);
        if (ex.ok) {
            give_back(std::move(child));
            return parsed(std::move(ex.result));
        }
        end(child);
        // A reused helper may have exited on its idle timer just as the
        // request went out: it read nothing, so a fresh one is asked once.
        if (ex.closed_before_reply && reused && attempt == 0 && !ex.cancelled) continue;
        if (ex.cancelled) return helper_failure("cancelled", options.program, ex.error);
        logging::warning("fetch helper " + options.program + ": " + ex.error +
                         logging::fields({{"domain", std::string(domain)}}));
        return helper_failure(ex.timed_out ? "timeout" : "fetch-failed", options.program, ex.error);
    }
}

void HelperFetcher::configure(HelperOptions options) {
    std::vector<Child> stale;
    {
        std::lock_guard lock(mutex_);
        if (options == options_) return;
        options_ = std::move(options);
        ++generation_;
        stale.swap(idle_);
    }
    for (Child& child : stale) end(child);
}

bool HelperFetcher::take(Child& child, HelperOptions& options, bool& reused, std::string& error) {
    std::vector<Child> gone;  // ended outside the lock
    reused = false;
    {
        std::lock_guard lock(mutex_);
        options = options_;
        if (cancelled_) {
            error = "not started: the daemon is stopping";
            return false;
        }
        while (!idle_.empty() && !reused) {
            Child candidate = std::move(idle_.back());
            idle_.pop_back();
            // An idle helper has nothing to say: readable means it closed
            // its end (idle exit) or broke the protocol.
            pollfd p{candidate.fd.get(), POLLIN, 0};
            if (::poll(&p, 1, 0) != 0) {
                gone.push_back(std::move(candidate));
                continue;
            }
            child = std::move(candidate);
            reused = true;
        }
        if (!reused) child.generation = generation_;
    }
    for (Child& c : gone) end(c);
    return reused || spawn(options, child, error);
}

void HelperFetcher::give_back(Child child) {
    {
        std::lock_guard lock(mutex_);
        if (child.generation == generation_) {
            idle_.push_back(std::move(child));
            return;
        }
    }
    end(child);  // started with options a reload replaced
}

bool HelperFetcher::spawn(const HelperOptions& options, Child& child, std::string& error) {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        error = std::string("socketpair: ") + std::strerror(errno);
        return false;
    }
    Fd ours(sv[0]);
    Fd theirs(sv[1]);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, theirs.get(), STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, theirs.get(), STDOUT_FILENO);
    posix_spawn_file_actions_addclosefrom_np(&actions, STDERR_FILENO + 1);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attr, &none);  // the daemon blocks HUP/TERM/INT for its signalfd
    sigset_t defaults;
    sigemptyset(&defaults);
    for (int s : {SIGPIPE, SIGHUP, SIGTERM, SIGINT, SIGCHLD}) sigaddset(&defaults, s);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(options.program.c_str()));
    for (const auto& a : options.arguments) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    char* envp[] = {nullptr};
    pid_t pid = -1;
    int rc = ::posix_spawn(&pid, options.program.c_str(), &actions, &attr, argv.data(), envp);
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
        error = "cannot start: " + std::string(std::strerror(rc));
        return false;
    }
    child.pid = pid;
    // The helper cannot have exited yet (it waits for a request on its
    // stdin), so this pidfd is the helper's, whatever happens to the pid.
    child.pidfd = Fd(::pidfd_open(pid, 0));
    if (!child.pidfd)
        logging::warning("fetch helper " + std::to_string(pid) + ": pidfd_open: " + std::strerror(errno) +
                         " (it ends when its stdin closes, but cannot be killed if it hangs)");
    child.fd = std::move(ours);
    logging::debug("fetch helper started " + logging::fields({{"pid", std::to_string(pid)}}));
    return true;
}

HelperFetcher::Exchange HelperFetcher::exchange(const Child& child, const std::string& request,
                                                std::chrono::milliseconds timeout) const {
    Exchange ex;
    if (::send(child.fd.get(), request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) {
        ex.closed_before_reply = errno == EPIPE || errno == ECONNRESET;
        ex.error = std::string("cannot send the request: ") + std::strerror(errno);
        return ex;
    }
    auto deadline = std::chrono::steady_clock::now() + timeout;
    netstring::Decoder reply(sts::fetch_wire::kMaxReply);
    char buffer[16384];
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            ex.timed_out = true;
            ex.error = "no reply within " + std::to_string(timeout.count()) + "ms";
            return ex;
        }
        pollfd p[2] = {{child.fd.get(), POLLIN, 0}, {cancel_.get(), POLLIN, 0}};
        int ready = ::poll(p, 2, static_cast<int>(left.count()));
        if (ready < 0 && errno == EINTR) continue;
        if (ready < 0) {
            ex.error = std::string("poll: ") + std::strerror(errno);
            return ex;
        }
        if (p[1].revents) {
            ex.cancelled = true;
            ex.error = "cancelled: the daemon is stopping";
            return ex;
        }
        if (ready == 0) continue;  // the deadline is checked at the top
        ssize_t n = ::recv(child.fd.get(), buffer, sizeof buffer, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            // ECONNRESET: it closed with our request unread.
            ex.closed_before_reply = (n == 0 || errno == ECONNRESET) && reply.idle();
            ex.error = ex.closed_before_reply ? "exited before replying"
                       : n == 0               ? "exited in the middle of its reply"
                                              : std::string("read: ") + std::strerror(errno);
            return ex;
        }
        std::string_view input(buffer, static_cast<std::size_t>(n));
        auto status = reply.feed(input);
        if (status == netstring::Decoder::Status::NeedMore) continue;
        if (status == netstring::Decoder::Status::Error || !input.empty()) {
            ex.error = "malformed reply: " + (status == netstring::Decoder::Status::Error
                                                  ? reply.error()
                                                  : std::string("bytes after the reply"));
            return ex;
        }
        std::string error;
        if (!sts::fetch_wire::decode_reply(reply.payload(), ex.result, error)) {
            ex.error = "malformed reply: " + error;
            return ex;
        }
        ex.ok = true;
        return ex;
    }
}

void HelperFetcher::end(Child& child) {
    child.fd.reset();  // a helper still running reads end of file and exits
    child.pid = -1;
    if (!child.pidfd) return;
    // Never by pid: the daemon ignores SIGCHLD, so a helper that exited on
    // its idle timer was reaped by the kernel and its pid may by now be
    // another process of the daemon's user.
    ::pidfd_send_signal(child.pidfd.get(), SIGKILL, nullptr, 0);
    pollfd exited{child.pidfd.get(), POLLIN, 0};  // readable once it has exited
    while (::poll(&exited, 1, -1) < 0 && errno == EINTR) {
    }
    // Reaped here unless the kernel did (SIGCHLD ignored): no zombie either way.
    siginfo_t info{};
    ::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(child.pidfd.get()), &info, WEXITED | WNOHANG);
    child.pidfd.reset();
}

}  // namespace policyd
