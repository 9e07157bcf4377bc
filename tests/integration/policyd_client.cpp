// policyd_client: see policyd_client.h.
#include "policyd_client.h"

#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace harness {

SocketmapClient::SocketmapClient(const std::string& socket_path)
    : SocketmapClient(socket_path, ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) {}

SocketmapClient::SocketmapClient(const std::string& socket_path, int fd) : fd_(fd) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, socket_path.c_str(), sizeof(addr.sun_path) - 1);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
        ::close(fd_);
        fd_ = -1;
        return;
    }
    timeval tv{kClientTimeoutSeconds, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

SocketmapClient::~SocketmapClient() {
    if (fd_ >= 0) ::close(fd_);
}

void SocketmapClient::send_raw(std::string_view bytes) {
    while (!bytes.empty()) {
        ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n <= 0) {
            if (n < 0 && errno == EINTR) continue;
            return;
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
}

std::string SocketmapClient::read_reply() {
    for (;;) {
        std::string_view input = pending_;
        auto status = decoder_.feed(input);
        // The payload may be a view into pending_: copied before pending_ changes.
        std::string payload(status == netstring::Decoder::Status::Message ? decoder_.payload() : "");
        pending_ = std::string(input);
        if (status == netstring::Decoder::Status::Message) return payload;
        if (status == netstring::Decoder::Status::Error) return "<bad netstring>";
        char buffer[4096];
        ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
        if (n == 0) return "<closed>";
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return "<timeout>";
            return "<closed>";  // ECONNRESET
        }
        pending_.append(buffer, static_cast<std::size_t>(n));
    }
}

}  // namespace harness
