// mtaguard-sts-fetch: the HTTPS policy fetcher of mtaguard-policyd, run by
// the daemon as a child process (helper_fetcher.h); not meant to be run by
// hand. It alone links libcurl, so the long-running daemon pays neither
// libcurl's memory nor the risk of parsing TLS and HTTP from remote hosts.
//
//   mtaguard-sts-fetch [-o name=value]... [-i IDLE_SECONDS]
//
// -o sets the fetch parameters of mtaguard.conf(5) (sts_ca_file,
// sts_connect_timeout, sts_fetch_timeout, sts_fetch_port, sts_fetch_resolve);
// no configuration file is read. Standard input and output are the socket to
// the daemon: it reads one request, fetches, writes one reply, and so on
// (lib/sts/fetch_wire.h). It exits 0 at end of input or after IDLE_SECONDS
// (default 60) without a request, 2 for bad arguments, 1 when the daemon
// sends a malformed request or the socket fails. When the daemon dies, the
// helper sees the end of its input (or cannot write its reply) and exits.
// (Not PR_SET_PDEATHSIG: that fires when the daemon THREAD that started the
// helper ends, and the refresher's threads come and go.)
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <iostream>
#include <string>

#include "config.h"
#include "sts/fetch_wire.h"
#include "netstring.h"
#include "sts/fetch.h"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;
constexpr const char* kProgram = "mtaguard-sts-fetch";
constexpr int kDefaultIdleSeconds = 60;
constexpr int kMaxIdleSeconds = 86400;

int fail(int status, const std::string& message) {
    std::cerr << kProgram << ": " << message << "\n";
    return status;
}

bool write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    std::signal(SIGPIPE, SIG_IGN);
    config::Loader loader;
    int idle_seconds = kDefaultIdleSeconds;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "-o" && i + 1 < argc) {
            loader.override_value(argv[++i]);
        } else if (arg == "-i" && i + 1 < argc) {
            std::string value = argv[++i];
            char* end = nullptr;
            long seconds = std::strtol(value.c_str(), &end, 10);
            if (value.empty() || *end != '\0' || seconds < 1 || seconds > kMaxIdleSeconds)
                return fail(kExitUsage, "-i: idle seconds must be 1.." + std::to_string(kMaxIdleSeconds) +
                                            ", got \"" + value + "\"");
            idle_seconds = static_cast<int>(seconds);
        } else {
            return fail(kExitUsage, "unknown option or missing argument: " + arg +
                                        " (usage: " + kProgram + " [-o name=value]... [-i IDLE_SECONDS])");
        }
    }
    auto config = loader.finish();
    if (!config) {
        for (const auto& e : loader.errors()) std::cerr << kProgram << ": " << e.to_string() << "\n";
        return kExitUsage;
    }
    auto fetcher = sts::make_https_fetcher(*config);

    netstring::Decoder requests(sts::fetch_wire::kMaxRequest);
    char buffer[4096];
    for (;;) {
        pollfd in{STDIN_FILENO, POLLIN, 0};
        int ready = ::poll(&in, 1, idle_seconds * 1000);
        if (ready < 0 && errno == EINTR) continue;
        if (ready < 0) return fail(kExitFailure, std::string("poll: ") + std::strerror(errno));
        if (ready == 0) return kExitOk;  // idle: the daemon starts another when it needs one
        ssize_t n = ::read(STDIN_FILENO, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return fail(kExitFailure, std::string("read: ") + std::strerror(errno));
        if (n == 0) return requests.idle() ? kExitOk : fail(kExitFailure, "request cut short");
        std::string_view input(buffer, static_cast<std::size_t>(n));
        for (;;) {
            auto status = requests.feed(input);
            if (status == netstring::Decoder::Status::NeedMore) break;
            if (status == netstring::Decoder::Status::Error)
                return fail(kExitFailure, "malformed request: " + requests.error());
            sts::FetchResult result = fetcher->fetch(requests.payload());
            if (!write_all(STDOUT_FILENO, netstring::encode(sts::fetch_wire::encode_reply(result))))
                return fail(kExitFailure, std::string("write: ") + std::strerror(errno));
        }
    }
}
