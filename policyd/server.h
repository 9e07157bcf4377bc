// server: mtaguard-policyd's socketmap server (socketmap_table(5)): one event
// thread, epoll, non-blocking sockets, persistent connections carrying many
// pipelined netstring requests, replies in request order.
//
// Limits and failure handling, per connection (a broken client never affects
// another):
//   - a request is at most kMaxRequestSize bytes; a longer length prefix, a
//     malformed netstring or request closes the connection;
//   - at most kMaxPipelined requests wait for replies; beyond that the server
//     stops parsing and reading that connection until replies go out;
//   - a reply may be up to sts::kMaxReplySize for a request of a few bytes:
//     replies are built only while less than kOutputHighWater waits for the
//     client (unsent, or ready behind a request waiting on a fetch); beyond
//     that the server stops parsing and reading that connection until the
//     client reads, so at most kMaxOutput is buffered per connection (a
//     client that never reads is closed after policyd_idle_timeout; one whose
//     buffered replies still exceed kMaxOutput is closed at once);
//   - a connection without a complete request for policyd_idle_timeout is
//     closed (this also ends slow clients that trickle bytes);
//   - at most policyd_max_connections connections; more are closed at accept;
//   - when accept fails (out of descriptors: EMFILE/ENFILE, or memory), the
//     listener is not polled until a connection closes or the next
//     housekeeping tick, so a waiting connection does not spin the event loop
//     (level-triggered epoll) and log a warning per turn; the first failure
//     is logged, the rest counted once per kSummaryInterval;
//   - a request waiting on a fetch is answered NOTFOUND after
//     policyd_miss_wait (RFC 8461 §5) while the fetch continues.
// Signals arrive through a signalfd (the caller blocks them in every thread):
// SIGHUP reloads the configuration, SIGTERM/SIGINT drain and stop: the
// listener closes, waiting requests get NOTFOUND, buffered replies are
// written for up to kDrainTime, connections close.
#pragma once

#include <sys/epoll.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>

#include "config.h"
#include "dispatcher.h"
#include "fd.h"
#include "netstring.h"
#include "sts/reply.h"

namespace policyd {

inline constexpr std::size_t kMaxRequestSize = 1024;
inline constexpr std::size_t kMaxPipelined = 256;
inline constexpr std::size_t kMaxOutput = 1 << 20;
// Below it one more reply, netstring framing included, still fits in kMaxOutput.
inline constexpr std::size_t kOutputHighWater = kMaxOutput - sts::kMaxReplySize - 16;
inline constexpr std::size_t kReadChunk = 16384;
inline constexpr auto kDrainTime = std::chrono::seconds(2);
inline constexpr auto kSummaryInterval = std::chrono::minutes(1);
inline constexpr auto kHousekeepingInterval = std::chrono::seconds(1);

// The configuration every thread reads: swapped whole on SIGHUP.
class ConfigHolder {
public:
    explicit ConfigHolder(std::shared_ptr<const config::Config> config) : config_(std::move(config)) {}
    std::shared_ptr<const config::Config> get() const { return config_.load(); }
    void set(std::shared_ptr<const config::Config> config) { config_.store(std::move(config)); }

private:
    std::atomic<std::shared_ptr<const config::Config>> config_;
};

struct ServerHooks {
    int signal_fd = -1;  // signalfd for SIGHUP/SIGTERM/SIGINT, or -1
    // SIGHUP: a new configuration, or nullptr to keep the current one.
    std::function<std::shared_ptr<const config::Config>()> reload;
    // Called once when the server starts to stop, before it drains: other
    // background work (the refresher) can stop starting fetches meanwhile.
    std::function<void()> stopping;
};

class Server {
public:
    Server(Fd listener, PolicySource& source, ConfigHolder& config, ServerHooks hooks = {});
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    void run();            // until stopped; then drains
    void request_stop();   // any thread

private:
    using Clock = std::chrono::steady_clock;
    // Requests waiting on a fetch, by when policyd_miss_wait ends for them.
    using Waits = std::multimap<Clock::time_point, WaitRef>;
    struct Slot {
        std::uint64_t seq = 0;
        bool ready = false;
        std::string reply;
        std::string domain;  // while waiting on a fetch
        Waits::iterator wait;  // while waiting on a fetch: its entry in waits_
    };
    struct Connection {
        Fd fd;
        std::uint64_t id = 0;
        netstring::Decoder decoder{kMaxRequestSize};
        std::deque<Slot> slots;
        std::size_t slot_bytes = 0;  // replies ready in `slots`
        std::uint64_t next_seq = 0;
        std::string in;  // received but not parsed while kMaxPipelined replies wait
        std::string out;
        std::size_t out_sent = 0;
        Clock::time_point last_request;
        std::uint32_t events = 0;  // registered epoll interest
    };

    void handle_event(const epoll_event& event);
    void accept_all();
    void listen(bool on);  // (re)arm or pause the listener's EPOLLIN
    void read_from(Connection& conn);
    bool parse(Connection& conn, std::string_view input);  // false: connection closed
    void request(Connection& conn, std::string_view payload);
    Slot* waiting_slot(const WaitRef& ref);  // nullptr: answered, or its connection gone
    void fill(const WaitRef& ref, std::string_view reply);  // the reply a waiting request gets
    void flush(Connection& conn);
    bool send_out(Connection& conn);  // false: connection closed
    static void make_ready(Connection& conn, Slot& slot, std::string_view reply);  // counted in slot_bytes
    void take_ready(Connection& conn);  // ready replies at the front of slots -> out
    static bool backlogged(const Connection& conn) {
        return conn.out.size() - conn.out_sent + conn.slot_bytes >= kOutputHighWater;
    }
    void update_interest(Connection& conn);
    void reject(Connection& conn, std::string_view why);  // bad input: close after ready replies
    void close(std::uint64_t id, std::string_view why);
    void handle_signals();
    void expire_waits(Clock::time_point now);
    void close_idle(Clock::time_point now);
    int next_timeout(Clock::time_point now) const;
    void drain();

    Fd listener_;
    ConfigHolder& config_holder_;
    std::shared_ptr<const config::Config> config_;
    Settings settings_;
    ServerHooks hooks_;
    Dispatcher dispatcher_;
    Fd epoll_;
    Fd stop_;
    bool stopping_ = false;
    std::uint64_t next_id_;
    std::unordered_map<std::uint64_t, Connection> connections_;
    Waits waits_;  // exactly the waiting slots' entries
    Clock::time_point now_;  // read once per batch of epoll events
    Clock::time_point next_housekeeping_;
    Clock::time_point next_summary_;
    std::uint64_t refused_connections_ = 0;
    bool listener_paused_ = false;
    std::uint64_t accept_failures_ = 0;  // since the last summary
    std::string accept_error_;           // the last one
};

}  // namespace policyd
