// socketmap-load: a load generator for socketmap servers (Postfix
// socketmap_table(5)), as Postfix's smtp(8) uses them: persistent
// connections, one request at a time per connection, many keys.
//
//   socketmap-load -s unix:PATH|inet:HOST:PORT -m MAP -k KEYFILE
//                  [-c CONNECTIONS] [-n REQUESTS_PER_CONNECTION] [-w WARMUP]
//
// KEYFILE has one "key<TAB>expected reply" per line (the reply may be empty
// after the tab to skip checking). Each connection walks the keys from its
// own offset. Every reply is checked; a mismatch or a closed connection
// counts as an error. Prints one line of key=value results: requests,
// errors, seconds, qps, p50_us, p99_us, max_us. Exit 1 when any error.
#include <netdb.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "netstring.h"

namespace {

struct Key {
    std::string request;
    std::string expected;
    bool check = false;
};

struct Options {
    std::string socket;
    std::string map = "mta-sts";
    std::string keyfile;
    int connections = 1;
    long requests = 10000;
    long warmup = 100;
};

int connect_to(const std::string& spec) {
    if (spec.rfind("unix:", 0) == 0) {
        int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::strncpy(addr.sun_path, spec.c_str() + 5, sizeof(addr.sun_path) - 1);
        if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
            ::close(fd);
            return -1;
        }
        return fd;
    }
    if (spec.rfind("inet:", 0) != 0) return -1;
    std::string rest = spec.substr(5);
    auto colon = rest.rfind(':');
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    if (::getaddrinfo(rest.substr(0, colon).c_str(), rest.substr(colon + 1).c_str(), &hints, &res) != 0) return -1;
    int fd = ::socket(res->ai_family, res->ai_socktype, res->ai_protocol);
    if (::connect(fd, res->ai_addr, res->ai_addrlen) != 0) {
        ::close(fd);
        fd = -1;
    }
    ::freeaddrinfo(res);
    return fd;
}

// One request, one reply; false on a broken connection.
bool exchange(int fd, const std::string& wire, netstring::Decoder& decoder, std::string& reply) {
    if (::send(fd, wire.data(), wire.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(wire.size())) return false;
    char buffer[4096];
    for (;;) {
        ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
        if (n <= 0) return false;
        std::string_view in(buffer, static_cast<std::size_t>(n));
        auto status = decoder.feed(in);
        if (status == netstring::Decoder::Status::Error) return false;
        if (status == netstring::Decoder::Status::Message) {
            reply = decoder.payload();
            return in.empty();
        }
    }
}

struct Result {
    long requests = 0;
    long errors = 0;
    std::vector<std::uint32_t> latencies_us;
};

void run_connection(const Options& o, const std::vector<Key>& keys, int index, std::atomic<int>& ready,
                    std::atomic<bool>& go, Result& out) {
    int fd = connect_to(o.socket);
    std::vector<std::string> wires;
    for (const auto& k : keys) wires.push_back(netstring::encode(o.map + " " + k.request));
    netstring::Decoder decoder;
    std::string reply;
    std::size_t at = static_cast<std::size_t>(index) * 7919 % keys.size();
    for (long i = 0; i < o.warmup && fd >= 0; ++i, at = (at + 1) % keys.size())
        if (!exchange(fd, wires[at], decoder, reply)) out.errors++;
    ++ready;
    while (!go) std::this_thread::yield();
    out.latencies_us.reserve(static_cast<std::size_t>(o.requests));
    for (long i = 0; i < o.requests; ++i, at = (at + 1) % keys.size()) {
        auto start = std::chrono::steady_clock::now();
        bool ok = fd >= 0 && exchange(fd, wires[at], decoder, reply);
        auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start);
        out.latencies_us.push_back(static_cast<std::uint32_t>(us.count()));
        ++out.requests;
        if (!ok || (keys[at].check && reply != keys[at].expected)) ++out.errors;
    }
    if (fd >= 0) ::close(fd);
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string flag = argv[i], value = argv[i + 1];
        if (flag == "-s") o.socket = value;
        else if (flag == "-m") o.map = value;
        else if (flag == "-k") o.keyfile = value;
        else if (flag == "-c") o.connections = std::stoi(value);
        else if (flag == "-n") o.requests = std::stol(value);
        else if (flag == "-w") o.warmup = std::stol(value);
        else {
            std::cerr << "socketmap-load: unknown option " << flag << "\n";
            return 2;
        }
    }
    std::vector<Key> keys;
    std::ifstream in(o.keyfile);
    for (std::string line; std::getline(in, line);) {
        auto tab = line.find('\t');
        Key k;
        k.request = line.substr(0, tab);
        if (tab != std::string::npos) {
            k.expected = line.substr(tab + 1);
            k.check = true;
        }
        if (!k.request.empty()) keys.push_back(k);
    }
    if (o.socket.empty() || keys.empty() || o.connections < 1) {
        std::cerr << "usage: socketmap-load -s SOCKET -m MAP -k KEYFILE [-c N] [-n N] [-w N]\n";
        return 2;
    }
    std::vector<Result> results(static_cast<std::size_t>(o.connections));
    std::vector<std::thread> threads;
    std::atomic<int> ready{0};
    std::atomic<bool> go{false};
    for (int c = 0; c < o.connections; ++c)
        threads.emplace_back(run_connection, std::cref(o), std::cref(keys), c, std::ref(ready), std::ref(go),
                             std::ref(results[static_cast<std::size_t>(c)]));
    while (ready < o.connections) std::this_thread::yield();
    auto start = std::chrono::steady_clock::now();
    go = true;
    for (auto& t : threads) t.join();
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    long requests = 0, errors = 0;
    std::vector<std::uint32_t> all;
    for (auto& r : results) {
        requests += r.requests;
        errors += r.errors;
        all.insert(all.end(), r.latencies_us.begin(), r.latencies_us.end());
    }
    std::sort(all.begin(), all.end());
    auto pct = [&](double p) { return all.empty() ? 0u : all[std::min(all.size() - 1, static_cast<std::size_t>(p * all.size()))]; };
    std::cout << "connections=" << o.connections << " requests=" << requests << " errors=" << errors
              << " seconds=" << seconds << " qps=" << static_cast<long>(requests / seconds) << " p50_us=" << pct(0.50)
              << " p99_us=" << pct(0.99) << " max_us=" << (all.empty() ? 0u : all.back()) << "\n";
    return errors == 0 ? 0 : 1;
}
