// echo-socketmap: the baseline of the socketmap benchmark: a minimal
// single-threaded epoll server that answers every netstring request with a
// fixed reply ("NOTFOUND " unless -r REPLY), doing no lookup at all.
//
//   echo-socketmap -s unix:PATH [-r REPLY]
// Runs until SIGTERM/SIGINT.
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <iostream>
#include <string>
#include <unordered_map>

#include "netstring.h"

int main(int argc, char** argv) {
    std::string path, reply = "NOTFOUND ";
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string flag = argv[i];
        if (flag == "-s") path = argv[i + 1];
        else if (flag == "-r") reply = argv[i + 1];
    }
    if (path.rfind("unix:", 0) != 0) {
        std::cerr << "usage: echo-socketmap -s unix:PATH [-r REPLY]\n";
        return 2;
    }
    path = path.substr(5);
    ::unlink(path.c_str());
    int listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
    if (::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || ::listen(listener, 1024) != 0) {
        std::perror("bind");
        return 1;
    }
    const std::string wire = netstring::encode(reply);
    int ep = ::epoll_create1(0);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = listener;
    ::epoll_ctl(ep, EPOLL_CTL_ADD, listener, &ev);
    std::unordered_map<int, netstring::Decoder> decoders;
    epoll_event events[256];
    for (;;) {
        int n = ::epoll_wait(ep, events, 256, -1);
        for (int i = 0; i < n; ++i) {
            int fd = events[i].data.fd;
            if (fd == listener) {
                int c;
                while ((c = ::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK)) >= 0) {
                    ev.events = EPOLLIN;
                    ev.data.fd = c;
                    ::epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
                    decoders.emplace(c, netstring::Decoder(1024));
                }
                continue;
            }
            char buffer[16384];
            ssize_t got = ::read(fd, buffer, sizeof(buffer));
            if (got <= 0) {
                ::close(fd);
                decoders.erase(fd);
                continue;
            }
            std::string out;
            std::string_view in(buffer, static_cast<std::size_t>(got));
            auto& decoder = decoders.at(fd);
            netstring::Decoder::Status status;
            while ((status = decoder.feed(in)) == netstring::Decoder::Status::Message) out += wire;
            if (status == netstring::Decoder::Status::Error) {
                ::close(fd);
                decoders.erase(fd);
                continue;
            }
            if (!out.empty()) [[maybe_unused]] auto w = ::send(fd, out.data(), out.size(), MSG_NOSIGNAL);
        }
    }
}
