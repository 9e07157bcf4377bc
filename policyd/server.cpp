// server: see server.h.
#include "server.h"

#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <utility>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "log.h"
#include "sts/reply.h"

namespace policyd {
namespace {

// epoll data for the fixed descriptors; connections count up from kFirstConnection.
constexpr std::uint64_t kListenerId = 1;
constexpr std::uint64_t kWakeId = 2;
constexpr std::uint64_t kStopId = 3;
constexpr std::uint64_t kSignalId = 4;
constexpr std::uint64_t kFirstConnection = 16;
constexpr int kMaxEvents = 256;

void add(int epoll, int fd, std::uint64_t id, std::uint32_t events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = id;
    if (::epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &ev) != 0)
        throw std::runtime_error(std::string("epoll_ctl: ") + std::strerror(errno));
}

}  // namespace

Server::Server(Fd listener, PolicySource& source, ConfigHolder& config, ServerHooks hooks)
    : listener_(std::move(listener)),
      config_holder_(config),
      config_(config.get()),
      settings_(Settings::from(*config_)),
      hooks_(std::move(hooks)),
      dispatcher_(source, static_cast<std::size_t>(config_->integer("sts_refresh_concurrency"))),
      epoll_(::epoll_create1(EPOLL_CLOEXEC)),
      stop_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)),
      next_id_(kFirstConnection) {
    if (!epoll_ || !stop_) throw std::runtime_error("epoll/eventfd failed");
    add(epoll_.get(), listener_.get(), kListenerId, EPOLLIN);
    add(epoll_.get(), dispatcher_.wake_fd(), kWakeId, EPOLLIN);
    add(epoll_.get(), stop_.get(), kStopId, EPOLLIN);
    if (hooks_.signal_fd >= 0) add(epoll_.get(), hooks_.signal_fd, kSignalId, EPOLLIN);
}

Server::~Server() { dispatcher_.stop(); }

void Server::request_stop() {
    std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(stop_.get(), &one, sizeof(one));
}

void Server::run() {
    now_ = Clock::now();
    next_housekeeping_ = now_ + kHousekeepingInterval;
    next_summary_ = now_ + kSummaryInterval;
    std::vector<epoll_event> events(kMaxEvents);
    while (!stopping_) {
        int n = ::epoll_wait(epoll_.get(), events.data(), kMaxEvents, next_timeout(Clock::now()));
        if (n < 0 && errno != EINTR) throw std::runtime_error(std::string("epoll_wait: ") + std::strerror(errno));
        // One clock reading per batch of events: the requests in it share it.
        now_ = Clock::now();
        for (int i = 0; i < n; ++i) handle_event(events[i]);
        auto now = Clock::now();
        expire_waits(now);
        if (now >= next_housekeeping_) {
            close_idle(now);
            if (listener_paused_) listen(true);
            next_housekeeping_ = now + kHousekeepingInterval;
        }
        if (now >= next_summary_) {
            if (refused_connections_ > 0) {
                logging::warning("connections refused at policyd_max_connections: " +
                                 std::to_string(refused_connections_));
                refused_connections_ = 0;
            }
            if (accept_failures_ > 1)
                logging::warning("accept failed " + std::to_string(accept_failures_) + " times: " + accept_error_);
            accept_failures_ = 0;
            dispatcher_.hits().flush();
            next_summary_ = now + kSummaryInterval;
        }
    }
    if (hooks_.stopping) hooks_.stopping();
    drain();
}

int Server::next_timeout(Clock::time_point now) const {
    auto next = std::min(next_housekeeping_, next_summary_);
    if (!waits_.empty()) next = std::min(next, waits_.begin()->first);
    if (next <= now) return 0;
    return static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(next - now).count()) + 1;
}

void Server::handle_event(const epoll_event& event) {
    switch (event.data.u64) {
    case kListenerId: accept_all(); return;
    case kWakeId:
        dispatcher_.drain([this](const WaitRef& ref, const std::string& reply) { fill(ref, reply); });
        return;
    case kStopId: stopping_ = true; return;
    case kSignalId: handle_signals(); return;
    default: break;
    }
    auto it = connections_.find(event.data.u64);
    if (it == connections_.end()) return;
    Connection& conn = it->second;
    if (event.events & (EPOLLERR | EPOLLHUP) && !(event.events & EPOLLIN)) {
        close(conn.id, "hang-up");
        return;
    }
    if (event.events & EPOLLOUT) {
        flush(conn);
        if (!connections_.count(event.data.u64)) return;
    }
    if (event.events & EPOLLIN) read_from(conn);
}

void Server::accept_all() {
    for (;;) {
        Fd fd(::accept4(listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
        if (!fd) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return;
            // The connection stays queued and the listener readable: polled
            // again, it would come straight back (server.h).
            accept_error_ = std::strerror(errno);
            if (accept_failures_++ == 0)
                logging::warning("accept: " + accept_error_ + ": accepting again when a connection closes, or in a second");
            listen(false);
            return;
        }
        if (connections_.size() >= settings_.max_connections) {
            ++refused_connections_;
            continue;  // fd closes here
        }
        std::uint64_t id = next_id_++;
        Connection& conn = connections_[id];
        conn.fd = std::move(fd);
        conn.id = id;
        conn.last_request = now_;
        conn.events = EPOLLIN;
        add(epoll_.get(), conn.fd.get(), id, EPOLLIN);
    }
}

void Server::listen(bool on) {
    if (!listener_ || listener_paused_ == !on) return;
    epoll_event ev{};
    ev.events = on ? static_cast<std::uint32_t>(EPOLLIN) : 0u;
    ev.data.u64 = kListenerId;
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, listener_.get(), &ev);
    listener_paused_ = !on;
}

void Server::read_from(Connection& conn) {
    if (!conn.in.empty()) return;  // still parsing an earlier backlog
    // One read per readiness event: a busy client cannot starve the others
    // (epoll is level-triggered and comes back for the rest).
    char buffer[kReadChunk];
    ssize_t n = ::read(conn.fd.get(), buffer, sizeof(buffer));
    if (n == 0) {
        close(conn.id, "closed by client");
        return;
    }
    if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) close(conn.id, std::strerror(errno));
        return;
    }
    if (parse(conn, std::string_view(buffer, static_cast<std::size_t>(n)))) flush(conn);
}

bool Server::parse(Connection& conn, std::string_view input) {
    std::uint64_t id = conn.id;
    while (!input.empty()) {
        if (conn.slots.size() >= kMaxPipelined || backlogged(conn)) {
            // Too many replies outstanding or unread: keep the rest for later.
            conn.in.assign(input.data(), input.size());
            return true;
        }
        auto status = conn.decoder.feed(input);
        if (status == netstring::Decoder::Status::NeedMore) break;
        if (status == netstring::Decoder::Status::Error) {
            reject(conn, conn.decoder.error());
            return false;
        }
        request(conn, conn.decoder.payload());
        if (!connections_.count(id)) return false;
    }
    return true;
}

void Server::request(Connection& conn, std::string_view payload) {
    // Slots hold only requests queued behind one that waits on a fetch, so
    // their sequence numbers are consecutive from slots.front().
    std::uint64_t seq = conn.next_seq;
    conn.last_request = now_;
    auto outcome = dispatcher_.handle(payload, WaitRef{conn.id, seq}, config_, settings_, now_);
    if (outcome.kind == Dispatcher::Kind::Malformed) {
        reject(conn, "malformed request");
        return;
    }
    if (outcome.kind == Dispatcher::Kind::Reply && conn.slots.empty()) {
        // Nothing before it waits: straight out.
        if (outcome.framed.empty()) netstring::append(conn.out, outcome.reply);
        else conn.out += outcome.framed;
        return;
    }
    Slot slot;
    slot.seq = conn.next_seq++;
    if (outcome.kind == Dispatcher::Kind::Reply) {
        make_ready(conn, slot, outcome.reply);
    } else {
        slot.domain = std::move(outcome.domain);
        slot.wait = waits_.emplace(now_ + settings_.miss_wait, WaitRef{conn.id, slot.seq});
    }
    conn.slots.push_back(std::move(slot));
}

Server::Slot* Server::waiting_slot(const WaitRef& ref) {
    auto it = connections_.find(ref.connection);
    if (it == connections_.end()) return nullptr;
    auto& slots = it->second.slots;
    if (slots.empty() || ref.seq < slots.front().seq) return nullptr;
    std::size_t index = static_cast<std::size_t>(ref.seq - slots.front().seq);
    if (index >= slots.size() || slots[index].ready) return nullptr;
    return &slots[index];
}

void Server::fill(const WaitRef& ref, std::string_view reply) {
    Slot* slot = waiting_slot(ref);
    if (!slot) return;
    waits_.erase(slot->wait);
    Connection& conn = connections_.at(ref.connection);
    make_ready(conn, *slot, reply);
    flush(conn);
}

void Server::make_ready(Connection& conn, Slot& slot, std::string_view reply) {
    slot.ready = true;
    slot.reply = reply;
    conn.slot_bytes += reply.size();
}

void Server::take_ready(Connection& conn) {
    while (!conn.slots.empty() && conn.slots.front().ready) {
        netstring::append(conn.out, conn.slots.front().reply);
        conn.slot_bytes -= conn.slots.front().reply.size();
        conn.slots.pop_front();
    }
}

void Server::flush(Connection& conn) {
    for (;;) {
        take_ready(conn);
        bool parsable = !conn.in.empty() && conn.slots.size() < kMaxPipelined;
        if (parsable && !backlogged(conn)) {
            std::string backlog = std::exchange(conn.in, std::string());
            if (!parse(conn, backlog)) return;
            continue;
        }
        if (!send_out(conn)) return;
        // Sending may have made room for the unparsed backlog.
        if (!parsable || backlogged(conn)) break;
    }
    update_interest(conn);
}

bool Server::send_out(Connection& conn) {
    while (conn.out_sent < conn.out.size()) {
        ssize_t n = ::send(conn.fd.get(), conn.out.data() + conn.out_sent, conn.out.size() - conn.out_sent,
                           MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) break;
            close(conn.id, std::strerror(errno));
            return false;
        }
        conn.out_sent += static_cast<std::size_t>(n);
    }
    if (conn.out_sent == conn.out.size()) {
        conn.out.clear();
        conn.out_sent = 0;
    } else if (conn.out.size() - conn.out_sent > kMaxOutput) {
        close(conn.id, "client does not read its replies");
        return false;
    }
    return true;
}

void Server::update_interest(Connection& conn) {
    std::uint32_t want = 0;
    if (conn.slots.size() < kMaxPipelined && conn.in.empty()) want |= EPOLLIN;
    if (conn.out_sent < conn.out.size()) want |= EPOLLOUT;
    if (want == conn.events) return;
    epoll_event ev{};
    ev.events = want;
    ev.data.u64 = conn.id;
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, conn.fd.get(), &ev);
    conn.events = want;
}

void Server::reject(Connection& conn, std::string_view why) {
    // Answers that are ready before the broken request still go out (one
    // non-blocking attempt), then the connection closes.
    take_ready(conn);
    if (conn.out_sent < conn.out.size())
        [[maybe_unused]] auto n = ::send(conn.fd.get(), conn.out.data() + conn.out_sent,
                                         conn.out.size() - conn.out_sent, MSG_NOSIGNAL);
    close(conn.id, why);
}

void Server::close(std::uint64_t id, std::string_view why) {
    auto it = connections_.find(id);
    if (it == connections_.end()) return;
    logging::debug("connection closed: " + std::string(why));
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, it->second.fd.get(), nullptr);
    for (const auto& slot : it->second.slots)
        if (!slot.ready && !slot.domain.empty()) waits_.erase(slot.wait);
    connections_.erase(it);  // closes the descriptor
    if (listener_paused_) listen(true);  // a descriptor is free again
}

void Server::handle_signals() {
    signalfd_siginfo info{};
    while (::read(hooks_.signal_fd, &info, sizeof(info)) == static_cast<ssize_t>(sizeof(info))) {
        if (info.ssi_signo == SIGHUP) {
            auto fresh = hooks_.reload ? hooks_.reload() : nullptr;
            if (!fresh) continue;  // the reload logged why
            config_holder_.set(fresh);
            config_ = std::move(fresh);
            settings_ = Settings::from(*config_);
            dispatcher_.forget_all();  // remembered replies were built with the old settings
            logging::notice("configuration reloaded");
        } else {
            logging::notice("signal " + std::to_string(info.ssi_signo) + ": stopping");
            stopping_ = true;
        }
    }
}

void Server::expire_waits(Clock::time_point now) {
    while (!waits_.empty() && waits_.begin()->first <= now) {
        WaitRef ref = waits_.begin()->second;
        Slot* slot = waiting_slot(ref);
        if (!slot) {  // not expected: fill() and close() take their entries out
            waits_.erase(waits_.begin());
            continue;
        }
        logging::info("lookup " + logging::fields({{"domain", slot->domain},
                                                   {"answer", "notfound"},
                                                   {"cache", "miss"},
                                                   {"reason", "policyd_miss_wait expired, fetch continues"}}));
        fill(ref, sts::kReplyNotFound);
    }
}

void Server::close_idle(Clock::time_point now) {
    std::vector<std::uint64_t> idle;
    for (const auto& [id, conn] : connections_)
        if (conn.slots.empty() && now - conn.last_request >= settings_.idle_timeout) idle.push_back(id);
    for (auto id : idle) close(id, "idle");
}

void Server::drain() {
    // Nobody waits for a fetch from here on: a fetch that takes up to
    // sts_fetch_timeout must not hold the stop back.
    dispatcher_.cancel_fetches();
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, listener_.get(), nullptr);
    listener_.reset();
    // RFC 8461 §5: a request still waiting on a fetch is answered as if the
    // fetch had failed.
    for (auto& [id, conn] : connections_)
        for (auto& slot : conn.slots)
            if (!slot.ready) make_ready(conn, slot, sts::kReplyNotFound);
    std::vector<std::uint64_t> ids;
    for (auto& [id, conn] : connections_) ids.push_back(id);
    for (auto id : ids)
        if (auto it = connections_.find(id); it != connections_.end()) flush(it->second);
    auto deadline = Clock::now() + kDrainTime;
    std::vector<epoll_event> events(kMaxEvents);
    while (Clock::now() < deadline) {
        bool pending = false;
        for (const auto& [id, conn] : connections_) pending = pending || conn.out_sent < conn.out.size();
        if (!pending) break;
        int n = ::epoll_wait(epoll_.get(), events.data(), kMaxEvents, 100);
        for (int i = 0; i < n; ++i) {
            auto it = connections_.find(events[i].data.u64);
            if (it != connections_.end() && (events[i].events & EPOLLOUT)) flush(it->second);
        }
    }
    connections_.clear();
    dispatcher_.hits().flush();
    dispatcher_.stop();
}

}  // namespace policyd
