// listener: the socketmap listening socket, `policyd_socket` = unix:PATH or
// inet:HOST:PORT (IPv6 hosts in brackets: inet:[::1]:8461).
//
// A unix socket replaces a stale socket file left by an earlier run (never
// any other kind of file, nor the socket of a daemon still listening on it:
// "in use by a running daemon"), is made mode 0660 and, when an owner is given,
// chowned to it (Postfix connects as user postfix: put postfix in the
// owner's group). Opened as root, before privileges are dropped. Errors are
// values naming the socket and the system error.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

#include "fd.h"

namespace policyd {

inline constexpr int kListenBacklog = 1024;

struct SocketSpec {
    enum class Kind { Unix, Inet } kind = Kind::Unix;
    std::string path;  // Unix
    std::string host;  // Inet
    std::string port;  // Inet
};

// nullopt when the spec is malformed.
std::optional<SocketSpec> parse_socket_spec(std::string_view spec);

struct Owner {
    uid_t uid = 0;
    gid_t gid = 0;
};

struct ListenResult {
    Fd fd;
    std::string error;
};

// Non-blocking, close-on-exec listening socket.
ListenResult open_listener(const SocketSpec& spec, const std::optional<Owner>& owner);

}  // namespace policyd
