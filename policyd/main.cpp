// mtaguard-policyd: MTA-STS (RFC 8461) for Postfix smtp_tls_policy_maps over
// the socketmap protocol. See mtaguard-policyd(8).
//
//   mtaguard-policyd [-c FILE] [-o name=value]... [-n] [-f]
//
// Start-up order (Postfix chroot_uid.c, Unbound perform_setup()): load and
// check the configuration (errors name file, line, parameter; exit 2), open
// the listening socket as root, detach (unless -f), write the pid file and
// open the policy cache (its files belong to `user`), drop to `user`, then
// serve. Signals are
// blocked in every thread and read by the event loop through a signalfd:
// SIGHUP reloads the configuration (a bad file keeps the old one), SIGTERM
// and SIGINT drain and exit 0. Exit 1 when a resource cannot be opened.
// Memory: glibc gives every thread that allocates a malloc arena of its own
// (up to 8 per core), each keeping freed memory; the fetch and revalidation
// threads share kMallocArenas instead (they are few and mostly wait on the
// network).
#include <fcntl.h>
#include <grp.h>
#include <malloc.h>
#include <pwd.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>

#include "config.h"
#include "dns.h"
#include "helper_fetcher.h"
#include "listener.h"
#include "log.h"
#include "refresher.h"
#include "server.h"
#include "sts_source.h"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitResource = 1;
constexpr int kExitUsage = 2;
constexpr const char* kProgram = "mtaguard-policyd";
constexpr int kMallocArenas = 2;

struct Options {
    config::Sources sources;
    bool check_only = false;
    bool foreground = false;
};

int usage(const std::string& message) {
    if (!message.empty()) std::cerr << kProgram << ": " << message << "\n";
    std::cerr << "usage: " << kProgram << " [-c FILE] [-o name=value]... [-n] [-f]\n";
    return kExitUsage;
}

std::optional<Options> parse_options(int argc, char** argv, int& status) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if ((arg == "-c" || arg == "-o") && i + 1 < argc) {
            if (arg == "-c") {
                o.sources.file = argv[++i];
                o.sources.file_given = true;
            } else {
                o.sources.overrides.push_back(argv[++i]);
            }
        } else if (arg == "-n") {
            o.check_only = true;
        } else if (arg == "-f") {
            o.foreground = true;
        } else if (arg == "-h" || arg == "--help") {
            usage("");
            status = kExitOk;
            return std::nullopt;
        } else {
            status = usage("unknown option or missing argument: " + arg);
            return std::nullopt;
        }
    }
    return o;
}

std::shared_ptr<const config::Config> load(const config::Sources& sources, bool to_stderr) {
    std::vector<config::Error> errors;
    auto config = config::load(sources, errors);
    for (const auto& e : errors) {
        if (to_stderr) std::cerr << kProgram << ": " << e.to_string() << "\n";
        else logging::error("configuration not reloaded: " + e.to_string());
    }
    return config;
}

// Everything -n checks beyond the parameter table.
std::string check(const config::Config& config) {
    if (!policyd::parse_socket_spec(config.str("policyd_socket")))
        return "policyd_socket: must be unix:/PATH or inet:HOST:PORT";
    if (::geteuid() == 0 && !::getpwnam(config.str("user").c_str()))
        return "user: no such user \"" + config.str("user") + "\"";
    std::string error;
    if (!dns::resolver_from_config(config, error)) return error;  // names dns_nameservers
    std::string helper = policyd::helper_program(config);
    if (::access(helper.c_str(), X_OK) != 0)
        return "sts_fetch_helper: " + helper + ": " + std::strerror(errno) + " (the HTTPS fetch helper)";
    return "";
}

std::string write_pid_file(const std::string& path) {
    if (path.empty()) return "";
    policyd::Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644));
    std::string pid = std::to_string(::getpid()) + "\n";
    if (!fd || ::write(fd.get(), pid.data(), pid.size()) != static_cast<ssize_t>(pid.size()))
        return "pid file " + path + ": " + std::strerror(errno);
    return "";
}

std::string detach() {
    pid_t pid = ::fork();
    if (pid < 0) return std::string("fork: ") + std::strerror(errno);
    if (pid > 0) ::_exit(kExitOk);
    ::setsid();
    if (::chdir("/") != 0) return std::string("chdir /: ") + std::strerror(errno);
    policyd::Fd null(::open("/dev/null", O_RDWR));
    for (int fd = 0; fd <= 2 && null; ++fd) ::dup2(null.get(), fd);
    return "";
}

std::string drop_privileges(const passwd* pw) {
    if (!pw) return "";
    if (::initgroups(pw->pw_name, pw->pw_gid) != 0 || ::setgid(pw->pw_gid) != 0 || ::setuid(pw->pw_uid) != 0)
        return std::string("cannot drop privileges to ") + pw->pw_name + ": " + std::strerror(errno);
    if (pw->pw_uid != 0 && ::setuid(0) == 0) return "privileges could be regained after the drop";
    return "";
}

// The policy cache is opened before the drop, but every file Berkeley DB
// creates must belong to `user`, who writes the environment from then on:
// cache_dir and the files in it (also those a root-run `mtaguard cache`
// created) are given to the user, and the environment is opened with the
// user's effective ids.
std::string open_source_as(const config::Config& config, const passwd* pw, policyd::OpenedSource& opened) {
    const std::string& dir = config.str("cache_dir");
    if (pw) {
        if (::mkdir(dir.c_str(), 0750) != 0 && errno != EEXIST) return dir + ": " + std::strerror(errno);
        std::error_code ec;
        for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
            ::lchown(entry.path().c_str(), pw->pw_uid, pw->pw_gid);
        if (ec || ::chown(dir.c_str(), pw->pw_uid, pw->pw_gid) != 0) return dir + ": cannot give it to " + pw->pw_name;
        if (::setegid(pw->pw_gid) != 0 || ::seteuid(pw->pw_uid) != 0) return std::string("seteuid: ") + std::strerror(errno);
    }
    opened = policyd::open_sts_source(config);
    if (pw && (::seteuid(0) != 0 || ::setegid(0) != 0)) return std::string("seteuid back: ") + std::strerror(errno);
    return opened.source ? "" : "policy cache: " + opened.error;
}

int fail(const std::string& message) {
    logging::error(message);
    return kExitResource;
}

}  // namespace

int main(int argc, char** argv) {
    ::mallopt(M_ARENA_MAX, kMallocArenas);  // before any thread exists
    int status = kExitOk;
    auto options = parse_options(argc, argv, status);
    if (!options) return status;
    auto config = load(options->sources, true);
    if (!config) return kExitUsage;
    if (std::string problem = check(*config); !problem.empty()) {
        std::cerr << kProgram << ": " << problem << "\n";
        return kExitUsage;
    }
    if (options->check_only) return kExitOk;
    logging::init_from_config(kProgram, *config, options->foreground);

    // Blocked before any thread exists, so every thread inherits the mask
    // and only the event loop's signalfd sees these signals.
    sigset_t signals;
    sigemptyset(&signals);
    for (int s : {SIGHUP, SIGTERM, SIGINT}) sigaddset(&signals, s);
    ::pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    std::signal(SIGPIPE, SIG_IGN);
    // The only children are the fetch helpers (helper_fetcher.h): the
    // kernel reaps those that exit on their idle timer.
    std::signal(SIGCHLD, SIG_IGN);

    const passwd* pw = ::geteuid() == 0 ? ::getpwnam(config->str("user").c_str()) : nullptr;
    std::optional<policyd::Owner> owner;
    if (pw) owner = policyd::Owner{pw->pw_uid, pw->pw_gid};
    auto spec = *policyd::parse_socket_spec(config->str("policyd_socket"));
    auto listener = policyd::open_listener(spec, owner);
    if (!listener.error.empty()) return fail(listener.error);
    if (!options->foreground)
        if (std::string e = detach(); !e.empty()) return fail(e);
    if (std::string e = write_pid_file(config->str("policyd_pid_file")); !e.empty()) return fail(e);
    policyd::OpenedSource opened;
    if (std::string e = open_source_as(*config, pw, opened); !e.empty()) return fail(e);
    if (std::string e = drop_privileges(pw); !e.empty()) return fail(e);

    policyd::Fd signal_fd(::signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC));
    if (!signal_fd) return fail(std::string("signalfd: ") + std::strerror(errno));
    policyd::ConfigHolder holder(config);
    policyd::ServerHooks hooks;
    hooks.signal_fd = signal_fd.get();
    hooks.reload = [&options] { return load(options->sources, false); };
    {
        policyd::Refresher refresher(*opened.source, holder);
        // The refresher stops starting fetches while the server drains and
        // waits for its own: the two waits overlap instead of adding up.
        hooks.stopping = [&refresher] { refresher.request_stop(); };
        policyd::Server server(std::move(listener.fd), *opened.source, holder, std::move(hooks));
        logging::notice("started " + logging::fields({{"socket", config->str("policyd_socket")},
                                                      {"map", config->str("policyd_map_name")},
                                                      {"user", pw ? pw->pw_name : "(unchanged)"}}));
        server.run();
        refresher.stop();
    }
    // Best effort: after the drop the directories may not be ours; the next
    // start replaces a stale socket anyway.
    if (spec.kind == policyd::SocketSpec::Kind::Unix) ::unlink(spec.path.c_str());
    if (!config->str("policyd_pid_file").empty()) ::unlink(config->str("policyd_pid_file").c_str());
    logging::notice("stopped");
    return kExitOk;
}
