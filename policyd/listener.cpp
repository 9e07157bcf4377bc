// listener: see listener.h.
#include "listener.h"

#include <netdb.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace policyd {
namespace {

std::string sys_error(const std::string& what) { return what + ": " + std::strerror(errno); }

// Whether a daemon listens on the socket file at `addr`: "" when the file is
// stale (nobody accepts: connection refused, or it is gone), else why it must
// be left alone. A daemon with a full listen queue still counts as running.
std::string listening(const sockaddr_un& addr) {
    Fd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!probe) return sys_error("socket");
    if (::connect(probe.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0 ||
        errno == EAGAIN || errno == EINPROGRESS)
        return "in use by a running daemon";
    if (errno == ECONNREFUSED || errno == ENOENT) return "";
    return sys_error("cannot tell whether the socket is in use: connect");
}

ListenResult open_unix(const SocketSpec& spec, const std::optional<Owner>& owner) {
    ListenResult out;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (spec.path.empty() || spec.path.size() >= sizeof(addr.sun_path)) {
        out.error = "unix:" + spec.path + ": path empty or too long";
        return out;
    }
    std::memcpy(addr.sun_path, spec.path.c_str(), spec.path.size() + 1);
    Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd) {
        out.error = sys_error("socket");
        return out;
    }
    struct stat st {};
    if (::lstat(spec.path.c_str(), &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            out.error = "unix:" + spec.path + ": exists and is not a socket";
            return out;
        }
        if (std::string in_use = listening(addr); !in_use.empty()) {
            out.error = "unix:" + spec.path + ": " + in_use;
            return out;
        }
        ::unlink(spec.path.c_str());
    }
    // Bind with a umask that keeps others out from the first moment.
    mode_t old_mask = ::umask(0117);
    int rc = ::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    ::umask(old_mask);
    if (rc != 0) {
        out.error = sys_error("bind unix:" + spec.path);
        return out;
    }
    if (::chmod(spec.path.c_str(), 0660) != 0) {
        out.error = sys_error("chmod unix:" + spec.path);
        return out;
    }
    if (owner && ::chown(spec.path.c_str(), owner->uid, owner->gid) != 0) {
        out.error = sys_error("chown unix:" + spec.path);
        return out;
    }
    if (::listen(fd.get(), kListenBacklog) != 0) {
        out.error = sys_error("listen unix:" + spec.path);
        return out;
    }
    out.fd = std::move(fd);
    return out;
}

ListenResult open_inet(const SocketSpec& spec) {
    ListenResult out;
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    addrinfo* raw = nullptr;
    int rc = ::getaddrinfo(spec.host.empty() ? nullptr : spec.host.c_str(), spec.port.c_str(), &hints, &raw);
    if (rc != 0) {
        out.error = "inet:" + spec.host + ":" + spec.port + ": " + ::gai_strerror(rc);
        return out;
    }
    std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> list(raw, &::freeaddrinfo);
    Fd fd(::socket(list->ai_family, list->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, list->ai_protocol));
    if (!fd) {
        out.error = sys_error("socket");
        return out;
    }
    int one = 1;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (::bind(fd.get(), list->ai_addr, list->ai_addrlen) != 0 || ::listen(fd.get(), kListenBacklog) != 0) {
        out.error = sys_error("bind inet:" + spec.host + ":" + spec.port);
        return out;
    }
    out.fd = std::move(fd);
    return out;
}

}  // namespace

std::optional<SocketSpec> parse_socket_spec(std::string_view spec) {
    SocketSpec out;
    if (spec.starts_with("unix:")) {
        out.kind = SocketSpec::Kind::Unix;
        out.path = spec.substr(5);
        if (out.path.empty() || out.path.front() != '/') return std::nullopt;
        return out;
    }
    if (!spec.starts_with("inet:")) return std::nullopt;
    out.kind = SocketSpec::Kind::Inet;
    std::string_view rest = spec.substr(5);
    std::size_t colon;
    if (rest.starts_with("[")) {
        std::size_t close = rest.find(']');
        if (close == std::string_view::npos || close + 1 >= rest.size() || rest[close + 1] != ':') return std::nullopt;
        out.host = rest.substr(1, close - 1);
        colon = close + 1;
    } else {
        colon = rest.rfind(':');
        if (colon == std::string_view::npos) return std::nullopt;
        out.host = rest.substr(0, colon);
        if (out.host.find(':') != std::string::npos) return std::nullopt;
    }
    out.port = rest.substr(colon + 1);
    if (out.port.empty() || out.port.size() > 5 || out.port.find_first_not_of("0123456789") != std::string::npos ||
        std::stoul(out.port) > 65535)
        return std::nullopt;
    return out;
}

ListenResult open_listener(const SocketSpec& spec, const std::optional<Owner>& owner) {
    return spec.kind == SocketSpec::Kind::Unix ? open_unix(spec, owner) : open_inet(spec);
}

}  // namespace policyd
