// milter-load: a multi-threaded load generator that speaks the milter
// protocol (version 6) to a filter the way Postfix does: option negotiation,
// macros per stage ({client_addr}, j, i, {mail_addr}...), connect, HELO,
// MAIL, RCPT, DATA, headers (From plus a trusted Authentication-Results for
// one of many domains), end of headers, body, end of message. It honours the
// steps the filter declines in negotiation (macros are still sent for a
// declined step, as Postfix's milter8_event() does), does not wait for the
// replies the filter declined (SMFIP_NR_*), and buffers its output as
// Postfix's double-buffered VSTREAM does: commands that need no reply
// accumulate and go out in one write when a reply is awaited, when 4096
// octets are pending (VSTREAM_BUFSIZE), and when the SMTP-command stage
// hands over to the content stage (smtpd(8) passes the filter connection to
// cleanup(8) after DATA). It reads every modification the filter sends
// back (its input buffered too: one read() takes what is available),
// checks the verdict header against --expect, and reports messages/s and
// p50/p99 latency (MAIL to final reply).
//
//   milter-load --socket inet:PORT@127.0.0.1 | unix:PATH
//               --connections N --messages M [--domains D] [--authserv-id ID]
//               [--expect REGEX]   (an inserted/added header must match)
//
// Every connection sends M messages over one milter session; domains cycle
// through d0.bench.example .. d(D-1).bench.example. Exit status 1 when any
// message got an unexpected reply or header.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <regex>
#include <string>
#include <thread>
#include <vector>

namespace {

// Milter protocol constants (libmilter/mfdef.h names).
constexpr char kOptNeg = 'O', kMacro = 'D', kConnect = 'C', kHelo = 'H', kMail = 'M', kRcpt = 'R',
               kData = 'T', kHeader = 'L', kEoh = 'N', kBody = 'B', kEob = 'E', kQuit = 'Q';
constexpr std::uint32_t kNoConnect = 0x1, kNoHelo = 0x2, kNoMail = 0x4, kNoRcpt = 0x8, kNoBody = 0x10,
                        kNoHdrs = 0x20, kNoEoh = 0x40, kNrHdr = 0x80, kNoData = 0x200, kNrConn = 0x1000,
                        kNrHelo = 0x2000, kNrMail = 0x4000, kNrRcpt = 0x8000, kNrData = 0x10000,
                        kNrEoh = 0x40000, kNrBody = 0x80000;
constexpr std::uint32_t kAllProtocol = 0x1FFFFF;
constexpr std::uint32_t kAllActions = 0x1FF;
constexpr std::size_t kWriteBuffer = 4096;  // Postfix's VSTREAM_BUFSIZE
constexpr std::size_t kReadBuffer = 4096;

struct Options {
    std::string socket;
    int connections = 1;
    int messages = 1000;
    int domains = 100;
    std::string authserv_id = "bench.example";
    std::string expect;
    std::regex expect_re;  // `expect`, compiled once (not per message: the generator shares the CPU)
};

struct Stats {
    std::mutex mutex;
    std::vector<double> latencies_ms;
    std::atomic<int> errors{0};
    std::atomic<int> verdicts{0};
};

int connect_socket(const std::string& spec) {
    if (spec.rfind("unix:", 0) == 0) {
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un sa{};
        sa.sun_family = AF_UNIX;
        std::snprintf(sa.sun_path, sizeof sa.sun_path, "%s", spec.c_str() + 5);
        if (connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
            close(fd);
            return -1;
        }
        return fd;
    }
    // inet:PORT@HOST
    auto colon = spec.find(':'), at = spec.find('@');
    if (colon == std::string::npos || at == std::string::npos) return -1;
    int port = std::stoi(spec.substr(colon + 1, at - colon - 1));
    std::string host = spec.substr(at + 1);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<std::uint16_t>(port));
    inet_pton(AF_INET, host.c_str(), &sa.sin_addr);
    if (connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    int one = 1;  // small request/reply packets: no Nagle delay
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

class Session {
public:
    Session(int fd, const Options& o) : fd_(fd), o_(o) {}
    ~Session() { close(fd_); }

    bool negotiate() {
        std::string d;
        put32(d, 6);
        put32(d, kAllActions);
        put32(d, kAllProtocol);
        if (!send(kOptNeg, d) || !flush()) return false;
        char cmd;
        std::string reply;
        if (!recv(cmd, reply) || cmd != kOptNeg || reply.size() < 12) return false;
        protocol_ = get32(reply, 8);
        return true;
    }

    bool connect_stage() {
        macro(kConnect, {{"j", "mx.bench.example"}, {"{daemon_name}", "smtpd"}, {"{client_addr}", "192.0.2.10"}});
        std::string d = std::string("client.example") + '\0' + '4';
        d += static_cast<char>(0x30);
        d += static_cast<char>(0x39);  // port 12345
        d += std::string("192.0.2.10") + '\0';
        if (!(protocol_ & kNoConnect) && !step(kConnect, d, protocol_ & kNrConn)) return false;
        macro(kHelo, {});  // Postfix's HELO macros ({tls_version}...) are empty without TLS
        if (!(protocol_ & kNoHelo) && !step(kHelo, std::string("client.example") + '\0', protocol_ & kNrHelo))
            return false;
        return true;
    }

    // One message; returns false on protocol failure, sets `header_ok`.
    bool message(int seq, bool& verdict_ok) {
        accepted_ = false;
        std::string domain = "d" + std::to_string(seq % o_.domains) + ".bench.example";
        std::string from = "user@" + domain;
        macro(kMail, {{"{mail_addr}", from}});
        if (!(protocol_ & kNoMail) && !step(kMail, "<" + from + ">" + '\0', protocol_ & kNrMail)) return false;
        macro(kRcpt, {{"{rcpt_addr}", "rcpt@mx.bench.example"}});
        if (!(protocol_ & kNoRcpt) &&
            !step(kRcpt, std::string("<rcpt@mx.bench.example>") + '\0', protocol_ & kNrRcpt))
            return false;
        std::string qid = "BENCH" + std::to_string(seq);
        macro(kData, {{"i", qid}});
        if (!(protocol_ & kNoData) && !step(kData, "", protocol_ & kNrData)) return false;
        if (!flush()) return false;  // smtpd(8) hands the connection to cleanup(8)
        if (!(protocol_ & kNoHdrs)) {
            const std::pair<std::string, std::string> headers[] = {
                {"Authentication-Results",
                 " " + o_.authserv_id + "; dkim=pass header.d=" + domain + " header.s=sel; spf=pass smtp.mailfrom=" + from},
                {"From", " Bench User <" + from + ">"},
                {"To", " <rcpt@mx.bench.example>"},
                {"Subject", " benchmark message " + std::to_string(seq)},
                {"Message-ID", " <" + qid + "@bench.example>"},
                {"Date", " Sun, 22 Nov 2026 12:00:00 +0000"},
            };
            for (const auto& [name, value] : headers)
                if (!step(kHeader, name + '\0' + value + '\0', protocol_ & kNrHdr)) return false;
        }
        macro(kEoh, {{"i", qid}});
        if (!(protocol_ & kNoEoh) && !step(kEoh, "", protocol_ & kNrEoh)) return false;
        if (!(protocol_ & kNoBody) &&
            !step(kBody, "Hello.\r\nThis is a benchmark message.\r\n", protocol_ & kNrBody))
            return false;
        if (accepted_) {  // no verdict header can come
            verdict_ok = o_.expect.empty();
            return true;
        }
        macro(kEob, {{"i", qid}});
        if (!send(kEob, "") || !flush()) return false;
        // Modifications until the final reply.
        std::string header;
        while (true) {
            char cmd;
            std::string reply;
            if (!recv(cmd, reply)) return false;
            if (cmd == 'h' || cmd == 'i') {
                std::string body = cmd == 'i' ? reply.substr(4) : reply;
                auto nul = body.find('\0');
                if (nul != std::string::npos && body.substr(0, nul) == "Authentication-Results")
                    header = body.substr(nul + 1, body.find('\0', nul + 1) - nul - 1);
                continue;
            }
            if (cmd == 'm' || cmd == 'q' || cmd == 'p' || cmd == 'e' || cmd == '+' || cmd == '-' ||
                cmd == 'b' || cmd == '2' || cmd == 'f')
                continue;
            verdict_ok = o_.expect.empty() || std::regex_search(header, o_.expect_re);
            return cmd == 'a' || cmd == 'c';
        }
    }

    void quit() { send(kQuit, "") && flush(); }

private:
    static void put32(std::string& s, std::uint32_t v) {
        v = htonl(v);
        s.append(reinterpret_cast<const char*>(&v), 4);
    }
    static std::uint32_t get32(const std::string& s, std::size_t off) {
        std::uint32_t v;
        std::memcpy(&v, s.data() + off, 4);
        return ntohl(v);
    }
    bool write_all(const std::string& s) {
        std::size_t off = 0;
        while (off < s.size()) {
            ssize_t n = ::write(fd_, s.data() + off, s.size() - off);
            if (n <= 0) return false;
            off += static_cast<std::size_t>(n);
        }
        return true;
    }
    // Reads as Postfix's VSTREAM does: one read() takes whatever is
    // available (up to kReadBuffer octets); replies are taken from that.
    bool read_all(char* p, std::size_t n) {
        while (n > 0) {
            if (in_pos_ == in_.size()) {
                in_.resize(kReadBuffer);
                ssize_t r = ::read(fd_, in_.data(), in_.size());
                if (r <= 0) return false;
                in_.resize(static_cast<std::size_t>(r));
                in_pos_ = 0;
            }
            std::size_t take = std::min(n, in_.size() - in_pos_);
            std::memcpy(p, in_.data() + in_pos_, take);
            in_pos_ += take;
            p += take;
            n -= take;
        }
        return true;
    }
    // Queues one command; writes when kWriteBuffer octets are pending.
    bool send(char cmd, const std::string& data) {
        put32(out_, static_cast<std::uint32_t>(data.size() + 1));
        out_ += cmd;
        out_ += data;
        return out_.size() < kWriteBuffer || flush();
    }
    bool flush() {
        bool ok = write_all(out_);
        out_.clear();
        return ok;
    }
    bool recv(char& cmd, std::string& data) {
        char len[4];
        if (!read_all(len, 4)) return false;
        std::uint32_t n;
        std::memcpy(&n, len, 4);
        n = ntohl(n);
        if (n == 0 || n > (1u << 20)) return false;
        std::string buf(n, '\0');
        if (!read_all(buf.data(), n)) return false;
        cmd = buf[0];
        data = buf.substr(1);
        return true;
    }
    void macro(char stage, std::initializer_list<std::pair<std::string, std::string>> macros) {
        if (accepted_) return;
        std::string d(1, stage);
        for (const auto& [k, v] : macros) d += k + '\0' + v + '\0';
        send(kMacro, d);
    }
    // Sends a stage; waits for the reply unless the filter asked for none.
    // An accept ends the filter's interest in this message (as in Postfix,
    // the remaining stages are not sent); anything but continue/accept fails.
    bool step(char cmd, const std::string& data, bool no_reply) {
        if (accepted_) return true;
        if (!send(cmd, data)) return false;
        if (no_reply) return true;
        if (!flush()) return false;
        char r;
        std::string reply;
        if (!recv(r, reply)) return false;
        if (r == 'a') accepted_ = true;
        return r == 'c' || r == 'a';
    }

    int fd_;
    const Options& o_;
    std::uint32_t protocol_ = 0;
    std::string out_;        // commands not written yet
    std::string in_;         // octets read, not yet consumed from in_pos_
    std::size_t in_pos_ = 0;
    bool accepted_ = false;  // the filter accepted the current message early
};

void worker(const Options& o, int id, Stats& stats) {
    int fd = connect_socket(o.socket);
    if (fd < 0) {
        stats.errors += o.messages;
        return;
    }
    Session s(fd, o);
    if (!s.negotiate() || !s.connect_stage()) {
        stats.errors += o.messages;
        return;
    }
    std::vector<double> local;
    for (int m = 0; m < o.messages; ++m) {
        auto start = std::chrono::steady_clock::now();
        bool verdict_ok = false;
        if (!s.message(id * o.messages + m, verdict_ok)) {
            stats.errors += o.messages - m;
            return;
        }
        local.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
        if (verdict_ok) ++stats.verdicts;
        else ++stats.errors;
    }
    s.quit();
    std::lock_guard lock(stats.mutex);
    stats.latencies_ms.insert(stats.latencies_ms.end(), local.begin(), local.end());
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string a = argv[i], v = argv[i + 1];
        if (a == "--socket") o.socket = v;
        else if (a == "--connections") o.connections = std::stoi(v);
        else if (a == "--messages") o.messages = std::stoi(v);
        else if (a == "--domains") o.domains = std::max(1, std::stoi(v));
        else if (a == "--authserv-id") o.authserv_id = v;
        else if (a == "--expect") {
            o.expect = v;
            o.expect_re = std::regex(v);
        }
        else {
            std::fprintf(stderr, "milter-load: unknown option %s\n", a.c_str());
            return 2;
        }
    }
    if (o.socket.empty()) {
        std::fprintf(stderr, "usage: milter-load --socket SPEC [--connections N] [--messages M] [--domains D] [--expect REGEX]\n");
        return 2;
    }
    Stats stats;
    auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> threads;
    for (int c = 0; c < o.connections; ++c) threads.emplace_back(worker, std::cref(o), c, std::ref(stats));
    for (auto& t : threads) t.join();
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    auto& l = stats.latencies_ms;
    std::sort(l.begin(), l.end());
    auto pct = [&](double p) { return l.empty() ? 0.0 : l[std::min(l.size() - 1, static_cast<std::size_t>(p * l.size()))]; };
    std::printf("connections=%d messages=%zu msgs_per_s=%.0f p50_ms=%.3f p99_ms=%.3f errors=%d\n", o.connections,
                l.size(), l.size() / secs, pct(0.50), pct(0.99), stats.errors.load());
    return stats.errors == 0 ? 0 : 1;
}
