// milter-load: a load generator that speaks the milter protocol (version 6)
// the way Postfix does, for benchmarking DMARC milters side by side.
//
// Each message is one milter session, as Postfix opens one per SMTP session:
// option negotiation (offering every action and every no-step / no-reply
// flag, then honouring what the filter asked for), macros at connect, MAIL
// and end of message (a unique queue id per message), CONNECT, HELO, MAIL,
// RCPT, the headers (From: user@dN.<zone>, an Authentication-Results from
// the trusted upstream id with dkim=pass and spf=pass for dN), end of
// headers, a small body, end of message, QUIT. The Authentication-Results
// the filter adds or inserts must contain --expect (e.g. "dmarc=pass"); a
// message without it counts as wrong.
//
//   milter-load --socket unix:PATH|inet:PORT@HOST --connections N
//               --messages M --domains K --zone bench.example
//               --trusted-id ID [--expect TEXT]
//
// Prints one line: key=value pairs with messages/s, p50/p99 latency (ms),
// ok, wrong and failed session counts. Limits: a reply packet of at most
// kMaxPacket octets; a session that breaks protocol counts as failed.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <iostream>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr std::uint32_t kMaxPacket = 1 << 20;
constexpr std::uint32_t kVersion = 6;
constexpr std::uint32_t kAllActions = 0x1ff;
constexpr std::uint32_t kAllProtocol = 0x1fffff;  // every SMFIP_NO* / SMFIP_NR* step Postfix offers
// SMFIP_* bits (libmilter/mfdef.h)
constexpr std::uint32_t kNoConnect = 0x1, kNoHelo = 0x2, kNoMail = 0x4, kNoRcpt = 0x8, kNoBody = 0x10,
                        kNoHdrs = 0x20, kNoEoh = 0x40, kNrHdr = 0x80, kNoData = 0x200, kNrConn = 0x1000,
                        kNrHelo = 0x2000, kNrMail = 0x4000, kNrRcpt = 0x8000, kNrData = 0x10000,
                        kNrEoh = 0x40000, kNrBody = 0x80000, kHdrLeadSpace = 0x100000;

struct Options {
    std::string socket;
    int connections = 1;
    long messages = 1000;
    int domains = 100;
    std::string zone = "bench.example";
    std::string trusted_id = "upstream.bench.example";
    std::string expect;
};

class Session {
public:
    explicit Session(const std::string& spec) { fd_ = connect_to(spec); }
    ~Session() {
        if (fd_ >= 0) close(fd_);
    }
    bool ok() const { return fd_ >= 0; }

    bool send(char cmd, const std::string& data) {
        std::uint32_t len = htonl(static_cast<std::uint32_t>(data.size() + 1));
        std::string packet(reinterpret_cast<const char*>(&len), 4);
        packet += cmd;
        packet += data;
        return write_all(packet);
    }

    // One reply packet: command and data.
    std::optional<std::pair<char, std::string>> read() {
        std::uint32_t len = 0;
        if (!read_all(reinterpret_cast<char*>(&len), 4)) return std::nullopt;
        len = ntohl(len);
        if (len == 0 || len > kMaxPacket) return std::nullopt;
        std::string data(len, '\0');
        if (!read_all(data.data(), len)) return std::nullopt;
        return std::make_pair(data[0], data.substr(1));
    }

private:
    static int connect_to(const std::string& spec) {
        if (spec.rfind("unix:", 0) == 0) {
            sockaddr_un sa{};
            sa.sun_family = AF_UNIX;
            std::string path = spec.substr(5);
            if (path.size() >= sizeof sa.sun_path) return -1;
            std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
            int fd = socket(AF_UNIX, SOCK_STREAM, 0);
            if (fd >= 0 && connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0) return fd;
            if (fd >= 0) close(fd);
            return -1;
        }
        if (spec.rfind("inet:", 0) == 0) {
            auto at = spec.find('@');
            sockaddr_in sa{};
            sa.sin_family = AF_INET;
            sa.sin_port = htons(static_cast<std::uint16_t>(std::stoi(spec.substr(5, at - 5))));
            inet_pton(AF_INET, spec.substr(at + 1).c_str(), &sa.sin_addr);
            int fd = socket(AF_INET, SOCK_STREAM, 0);
            if (fd >= 0 && connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0) return fd;
            if (fd >= 0) close(fd);
        }
        return -1;
    }
    bool write_all(const std::string& s) {
        std::size_t done = 0;
        while (done < s.size()) {
            ssize_t n = ::write(fd_, s.data() + done, s.size() - done);
            if (n <= 0) return false;
            done += static_cast<std::size_t>(n);
        }
        return true;
    }
    bool read_all(char* p, std::size_t len) {
        while (len > 0) {
            ssize_t n = ::read(fd_, p, len);
            if (n <= 0) return false;
            p += n;
            len -= static_cast<std::size_t>(n);
        }
        return true;
    }
    int fd_ = -1;
};

std::string be32(std::uint32_t v) {
    v = htonl(v);
    return std::string(reinterpret_cast<const char*>(&v), 4);
}
std::uint32_t get32(const std::string& s, std::size_t at) {
    std::uint32_t v;
    std::memcpy(&v, s.data() + at, 4);
    return ntohl(v);
}
std::string nul(const std::string& s) { return s + '\0'; }

enum class Outcome { Ok, Wrong, Failed };

// Runs one session; `header` receives the value of the A-R header the filter added.
Outcome run_message(const Options& o, long n) {
    Session s(o.socket);
    if (!s.ok()) return Outcome::Failed;
    if (!s.send('O', be32(kVersion) + be32(kAllActions) + be32(kAllProtocol))) return Outcome::Failed;
    auto neg = s.read();
    if (!neg || neg->first != 'O' || neg->second.size() < 12) return Outcome::Failed;
    std::uint32_t proto = get32(neg->second, 8);

    // Sends a step unless skipped; waits for the reply unless no-reply was asked.
    // Returns false when the session ended (accept/reject/...) or broke.
    bool ended = false;
    auto step = [&](char cmd, const std::string& data, std::uint32_t no, std::uint32_t nr) {
        if (ended || (proto & no)) return !ended;
        if (!s.send(cmd, data)) return false;
        if (proto & nr) return true;
        auto r = s.read();
        if (!r) return false;
        if (r->first != 'c') ended = true;  // accept, reject, tempfail, ...: no more steps
        return true;
    };
    std::string domain = "d" + std::to_string(n % o.domains) + "." + o.zone;
    std::string qid = "Q" + std::to_string(n) + "X";
    bool sent = s.send('D', std::string("C") + nul("j") + nul("mx.bench.example") + nul("{daemon_name}") +
                                nul("smtpd") + nul("{client_addr}") + nul("192.0.2.1")) &&
                step('C', nul("client.example.net") + "4" + std::string("\0\x19", 2) + nul("192.0.2.1"), kNoConnect,
                     kNrConn) &&
                step('H', nul("client.example.net"), kNoHelo, kNrHelo) &&
                s.send('D', std::string("M") + nul("{mail_addr}") + nul("bounce@" + domain)) &&
                step('M', nul("<bounce@" + domain + ">"), kNoMail, kNrMail) &&
                step('R', nul("<rcpt@bench.example>"), kNoRcpt, kNrRcpt) &&
                s.send('D', std::string("T") + nul("i") + nul(qid)) && step('T', "", kNoData, kNrData);
    const std::pair<std::string, std::string> headers[] = {
        {"Received", "from client.example.net (client.example.net [192.0.2.1]) by mx.bench.example"},
        {"Authentication-Results", o.trusted_id + "; dkim=pass header.d=" + domain +
                                       " header.s=s1; spf=pass smtp.mailfrom=bounce@" + domain},
        {"From", "User " + std::to_string(n) + " <user@" + domain + ">"},
        {"To", "rcpt@bench.example"},
        {"Subject", "benchmark message " + std::to_string(n)},
        {"Message-ID", "<" + qid + "@" + domain + ">"},
        {"Date", "Sun, 22 Nov 2026 22:00:00 +0000"},
    };
    for (const auto& [name, value] : headers)
        sent = sent && step('L', nul(name) + nul((proto & kHdrLeadSpace ? " " : "") + value), kNoHdrs, kNrHdr);
    sent = sent && step('N', "", kNoEoh, kNrEoh) && step('B', "Hello.\r\nThis is a benchmark.\r\n", kNoBody, kNrBody);
    if (!sent) return Outcome::Failed;
    Outcome result = o.expect.empty() ? Outcome::Ok : Outcome::Wrong;
    if (!ended) {
        if (!s.send('D', std::string("E") + nul("i") + nul(qid)) || !s.send('E', "")) return Outcome::Failed;
        for (;;) {
            auto r = s.read();
            if (!r) return Outcome::Failed;
            char c = r->first;
            if (c == 'h' || c == 'i' || c == 'm') {
                std::string d = c == 'h' ? r->second : r->second.substr(4);
                auto z = d.find('\0');
                std::string name = d.substr(0, z), value = z == std::string::npos ? "" : d.substr(z + 1);
                if (!o.expect.empty() && name == "Authentication-Results" && value.find(o.expect) != std::string::npos)
                    result = Outcome::Ok;
                continue;
            }
            if (c == 'p' || c == 'q' || c == 'e' || c == '+' || c == '-' || c == '2' || c == 'f') continue;
            break;  // c, a, r, t, y, d: the final reply
        }
    }
    s.send('Q', "");
    return result;
}

int usage() {
    std::cerr << "usage: milter-load --socket SPEC [--connections N] [--messages M] [--domains K]\n"
                 "                   [--zone Z] [--trusted-id ID] [--expect TEXT]\n";
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string k = argv[i], v = argv[i + 1];
        if (k == "--socket") o.socket = v;
        else if (k == "--connections") o.connections = std::max(1, std::stoi(v));
        else if (k == "--messages") o.messages = std::max(1L, std::stol(v));
        else if (k == "--domains") o.domains = std::max(1, std::stoi(v));
        else if (k == "--zone") o.zone = v;
        else if (k == "--trusted-id") o.trusted_id = v;
        else if (k == "--expect") o.expect = v;
        else return usage();
    }
    if (o.socket.empty() || argc % 2 == 0) return usage();

    std::atomic<long> next{0}, ok{0}, wrong{0}, failed{0};
    std::mutex mu;
    std::vector<double> latencies;
    latencies.reserve(static_cast<std::size_t>(o.messages));
    auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> threads;
    for (int t = 0; t < o.connections; ++t)
        threads.emplace_back([&] {
            std::vector<double> mine;
            for (long n; (n = next++) < o.messages;) {
                auto t0 = std::chrono::steady_clock::now();
                Outcome r = run_message(o, n);
                mine.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
                (r == Outcome::Ok ? ok : r == Outcome::Wrong ? wrong : failed)++;
            }
            std::lock_guard<std::mutex> lock(mu);
            latencies.insert(latencies.end(), mine.begin(), mine.end());
        });
    for (auto& t : threads) t.join();
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::sort(latencies.begin(), latencies.end());
    auto pct = [&](double p) {
        return latencies.empty() ? 0.0 : latencies[std::min(latencies.size() - 1, static_cast<std::size_t>(p * latencies.size()))];
    };
    std::printf("connections=%d messages=%ld seconds=%.3f rate=%.1f p50_ms=%.3f p99_ms=%.3f ok=%ld wrong=%ld failed=%ld\n",
                o.connections, o.messages, seconds, o.messages / seconds, pct(0.50), pct(0.99), ok.load(), wrong.load(),
                failed.load());
    return failed == 0 && wrong == 0 ? 0 : 1;
}
