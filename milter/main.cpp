// mtaguard-milter: DMARC verdicts for Postfix and Sendmail over the milter
// protocol (man/mtaguard-milter.8).
//
//   mtaguard-milter [-c FILE] [-o name=value]... [-n] [-f]
//
// Start-up, in this order: load and check the configuration (-n stops here;
// errors name file:line and parameter, exit 2); open the milter_socket as
// root (unix sockets get mode 0660 and the owner `user`); detach unless -f;
// write milter_pid_file; drop to `user` (refusing to stay root unless
// `user = root`); then serve under the supervisor (daemon.h). SIGHUP reloads
// the configuration for new connections; a configuration that does not load
// is logged and the old one stays. SIGTERM stops cleanly: libmilter finishes,
// removes its unix socket, and the pid file is removed.
#include <libmilter/mfapi.h>
#include <malloc.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <string>
#include <thread>

#include "callbacks.h"
#include "config.h"
#include "daemon.h"
#include "log.h"
#include "report/history.h"
#include "runtime.h"

namespace {

constexpr int kExitConfig = 2;
// glibc malloc gives each new thread an arena of its own, up to eight per
// core; libmilter runs one thread per connection, so at 32 connections a
// dozen arenas each keep their own free memory (megabytes of peak RSS).
// The work per message is small and the threads spend their time in
// read/poll, so a couple of shared arenas cost no measurable contention.
constexpr int kMallocArenas = 2;
constexpr int kExitFailure = 1;
// How long SIGTERM waits for messages being evaluated (callbacks.h drain()).
constexpr std::chrono::seconds kShutdownGrace{30};

struct Options {
    config::Sources sources;
    bool check_only = false;
    bool foreground = false;
};

int usage(const std::string& problem) {
    if (!problem.empty()) std::cerr << "mtaguard-milter: " << problem << "\n";
    std::cerr << "usage: mtaguard-milter [-c FILE] [-o name=value]... [-n] [-f]\n";
    return kExitConfig;
}

// Loads the configuration and everything derived from it; prints errors.
std::shared_ptr<const milter::Runtime> load(const config::Sources& sources, bool to_log) {
    std::vector<config::Error> errors;
    auto config = config::load(sources, errors);
    auto report = [&](const std::string& text) {
        if (to_log) logging::error("configuration not reloaded: " + text);
        else std::cerr << "mtaguard-milter: " << text << "\n";
    };
    if (!config) {
        for (const auto& e : errors) report(e.to_string());
        return nullptr;
    }
    auto built = milter::build_runtime(config);
    if (!built.runtime) report(built.error);
    return built.runtime;
}

// `runtime` with the report history writer `history` (opened once per worker).
std::shared_ptr<const milter::Runtime> with_history(std::shared_ptr<const milter::Runtime> runtime,
                                                    std::shared_ptr<report::HistoryWriter> history) {
    auto copy = std::make_shared<milter::Runtime>(*runtime);
    copy->history = std::move(history);
    return copy;
}

// Opened in the worker, after privileges are dropped: Berkeley DB handles
// and the writer thread do not survive fork(). Failure only logs: mail flows.
std::shared_ptr<report::HistoryWriter> open_history(const config::Config& config) {
    std::string error;
    std::shared_ptr<report::HistoryWriter> writer = report::open_history_writer(config, error);
    if (!writer) logging::error("report history not recorded: " + error);
    return writer;
}

// The worker's reload thread: SIGUSR1 (relayed SIGHUP) swaps the snapshot.
void reload_loop(config::Sources sources) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    for (;;) {
        int sig = 0;
        if (sigwait(&set, &sig) != 0) continue;
        auto old = milter::current_runtime();
        auto fresh = load(sources, true);
        if (!fresh) continue;
        fresh = with_history(fresh, old->history);
        for (const char* name : {"milter_socket", "milter_pid_file", "user", "syslog_facility", "log_level",
                                 "report_dir", "cache_dir"})
            if (fresh->config->str(name) != old->config->str(name))
                logging::warning(std::string(name) + " changed: takes effect after a restart");
        milter::set_runtime(fresh);
        logging::notice("configuration reloaded");
    }
}

int serve(const config::Sources& sources) {
    auto runtime = milter::current_runtime();
    milter::set_runtime(with_history(runtime, open_history(*runtime->config)));
    std::thread(reload_loop, sources).detach();
    int rc = smfi_main();
    if (!milter::drain(kShutdownGrace))
        logging::warning("stopping with messages still being evaluated after " +
                         std::to_string(kShutdownGrace.count()) + "s (the MTA applies milter_default_action)");
    logging::notice(rc == MI_SUCCESS ? "stopped" : "stopped after a libmilter failure");
    if (auto history = milter::current_runtime()->history) history->flush();
    return rc == MI_SUCCESS ? 0 : kExitFailure;
}

// Opens the listening socket; unix sockets end up 0660 and owned by `owner`.
std::string open_socket(const std::string& spec, const milter::Account* owner) {
    if (smfi_setconn(const_cast<char*>(spec.c_str())) != MI_SUCCESS) return "bad milter_socket " + spec;
    mode_t old_mask = umask(0117);
    int rc = smfi_opensocket(true);
    umask(old_mask);
    if (rc != MI_SUCCESS) return "cannot listen on " + spec;
    std::string path = milter::unix_socket_path(spec);
    if (path.empty()) return "";
    if (owner && chown(path.c_str(), owner->uid, owner->gid) != 0) return "cannot chown " + path;
    if (chmod(path.c_str(), 0660) != 0) return "cannot chmod " + path;
    return "";
}

int fail(const std::string& message) {
    logging::error(message);
    return kExitFailure;
}

}  // namespace

int main(int argc, char** argv) {
    mallopt(M_ARENA_MAX, kMallocArenas);  // before any thread starts
    Options opt;
    int c;
    while ((c = getopt(argc, argv, "c:o:nfh")) != -1) {
        switch (c) {
            case 'c':
                opt.sources.file = optarg;
                opt.sources.file_given = true;
                break;
            case 'o': opt.sources.overrides.push_back(optarg); break;
            case 'n': opt.check_only = true; break;
            case 'f': opt.foreground = true; break;
            case 'h': usage(""); return 0;
            default: return usage("");
        }
    }
    if (optind < argc) return usage(std::string("unexpected argument ") + argv[optind]);

    auto runtime = load(opt.sources, false);
    if (!runtime) return kExitConfig;
    if (opt.check_only) return 0;
    const config::Config& cfg = *runtime->config;

    logging::init_from_config("mtaguard-milter", cfg, opt.foreground);

    std::optional<milter::Account> account;
    if (geteuid() == 0) {
        std::string error;
        account = milter::lookup_account(cfg.str("user"), error);
        if (!account) return fail(error);
        if (account->uid == 0 && account->name != "root")
            return fail("user " + account->name + " is uid 0: name root explicitly to run as root");
    }
    if (smfi_register(milter::filter_description()) != MI_SUCCESS) return fail("smfi_register failed");
    if (auto e = open_socket(cfg.str("milter_socket"), account ? &*account : nullptr); !e.empty()) return fail(e);
    if (!opt.foreground)
        if (auto e = milter::detach(); !e.empty()) return fail(e);
    std::string pid_file = cfg.str("milter_pid_file");
    if (auto e = milter::write_pid_file(pid_file); !e.empty()) return fail(e);
    if (account && account->uid != 0) {
        if (auto e = milter::drop_privileges(*account); !e.empty()) return fail(e);
    } else if (geteuid() == 0) {
        logging::warning("running as root: user = root");
    }
    milter::set_runtime(runtime);
    logging::notice("listening on " + cfg.str("milter_socket"));
    int rc = milter::supervise([&] { return serve(opt.sources); });
    milter::remove_pid_file(pid_file);
    return rc;
}
