// postfix: a private Postfix instance for integration tests (TESTING.md).
//
// Everything lives in one TempDir: config/ (main.cf, master.cf), queue/,
// data/, maillog, box/ (one virtual Maildir that receives every accepted
// recipient of `test.example`) and run/ (owned by postfix, for a milter's
// unix socket and pid file). smtpd listens on a free 127.0.0.1 port, every
// service runs unchrooted (a chrooted smtpd cannot reach a unix-socket
// milter), XCLIENT is allowed from loopback so a test can make a message
// look remote, and milter_default_action = tempfail makes a dead milter
// visible as 451. Needs root (as `postfix start` does); stop() runs
// `postfix stop` and the destructor calls it.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "harness.h"

namespace harness {

// One SMTP transaction sent with swaks.
struct Mail {
    std::string from = "sender@example.com";
    std::string to = "rcpt@test.example";
    std::string helo = "client.example.net";
    std::string client_addr;   // XCLIENT ADDR when not empty
    std::string client_login;  // XCLIENT LOGIN (an authenticated submission) when not empty
    std::string message;       // headers and body, "\n" line ends
};

struct SmtpResult {
    int status = -1;          // swaks exit status: 0 when the message was accepted
    std::string transcript;   // what swaks printed
};

class Postfix {
public:
    // with_milter: smtpd_milters = unix:milter_socket(); extra_main_cf
    // lines are appended to main.cf.
    explicit Postfix(bool with_milter = true, const std::vector<std::string>& extra_main_cf = {});
    ~Postfix();
    Postfix(const Postfix&) = delete;
    Postfix& operator=(const Postfix&) = delete;

    std::uint16_t port() const { return port_; }
    const std::string& dir() const { return dir_.path(); }
    std::string run_dir() const { return dir_.path() + "/run"; }  // owned by postfix
    std::string config_dir() const { return dir_.path() + "/config"; }
    std::string milter_socket() const { return run_dir() + "/milter.sock"; }

    SmtpResult send(const Mail& mail) const;
    // Delivered messages (full text) once there are at least `count`, or
    // what there is after `timeout`.
    std::vector<std::string> wait_for_delivered(std::size_t count,
                                                std::chrono::milliseconds timeout = std::chrono::seconds(20)) const;
    std::vector<std::string> delivered() const;
    std::string queue() const;  // postqueue -p
    std::string log() const;    // the maillog file
    void stop();

private:
    TempDir dir_;
    std::uint16_t port_ = 0;
    bool running_ = false;
};

// A TCP port on 127.0.0.1 that was free a moment ago.
std::uint16_t free_tcp_port();
// Changes the owner of `path` to the named user (and its group).
void chown_to(const std::string& path, const std::string& user);

}  // namespace harness
