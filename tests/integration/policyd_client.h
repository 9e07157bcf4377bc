// policyd_client: a socketmap client for tests: connects to a unix socket,
// sends raw bytes, reads netstring replies. A receive timeout of
// kClientTimeout only guards against a hung test; no test asserts timing.
#pragma once

#include <string>
#include <string_view>

#include "netstring.h"

namespace harness {

inline constexpr int kClientTimeoutSeconds = 30;

class SocketmapClient {
public:
    explicit SocketmapClient(const std::string& socket_path);
    // Connects `fd`, a unix stream socket made earlier (e.g. before the test
    // used up the process's descriptors), and owns it.
    SocketmapClient(const std::string& socket_path, int fd);
    ~SocketmapClient();
    SocketmapClient(const SocketmapClient&) = delete;
    SocketmapClient& operator=(const SocketmapClient&) = delete;

    bool connected() const { return fd_ >= 0; }
    void send_raw(std::string_view bytes);
    void send(std::string_view request) { send_raw(netstring::encode(request)); }
    // The next reply payload; "<closed>" when the server closed the
    // connection, "<timeout>" when nothing came within the guard timeout.
    std::string read_reply();
    std::string ask(std::string_view request) {
        send(request);
        return read_reply();
    }

private:
    int fd_ = -1;
    netstring::Decoder decoder_{1 << 20};
    std::string pending_;
};

}  // namespace harness
