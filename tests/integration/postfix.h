// postfix: a private Postfix instance for integration tests (TESTING.md).
//
// Everything lives in one TempDir: config/ (main.cf, master.cf), queue/,
// data/, maillog, box/ (one virtual Maildir that receives every accepted
// recipient of the mailbox domains) and run/ (owned by postfix, for a
// milter's or a policy daemon's unix socket and pid file). By default smtpd
// listens on a free 127.0.0.1 port with smtpd_milters = unix:milter_socket();
// every service runs unchrooted (a chrooted smtpd cannot reach a unix-socket
// milter), XCLIENT is allowed from loopback so a test can make a message
// look remote, and milter_default_action = tempfail makes a dead milter
// visible as 451. PostfixOptions make the other roles: a receiver with
// STARTTLS on fixed addresses, a sender whose smtp(8) finds MX hosts by DNS
// and asks smtp_tls_policy_maps (TESTING.md, "TLS policy (MTA-STS) end to
// end"). Needs root (as `postfix start` does); a failed start throws with
// `postfix check`'s reasons; stop() runs `postfix stop` and the destructor
// calls it.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
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

// One smtpd(8) service in master.cf.
struct SmtpdListener {
    std::string address = "127.0.0.1";
    std::uint16_t port = 0;  // 0: a free port
    std::string cert_file;   // with key_file: STARTTLS offered (smtpd_tls_security_level = may)
    std::string key_file;
};

// Outbound delivery of a sending instance: MX hosts from DNS (the resolver
// of /etc/resolv.conf), TLS as the policy map says with `may` as fallback,
// a fresh handshake per message and deferred mail left deferred.
struct SmtpClient {
    std::string tls_policy_maps;  // smtp_tls_policy_maps, e.g. socketmap:unix:PATH:NAME
    std::string ca_file;          // smtp_tls_CAfile
};

struct PostfixOptions {
    std::string myhostname = "mx.test.example";     // the milter's j macro; a sender and its receiver differ
    std::string inet_interfaces = "loopback-only";
    std::vector<SmtpdListener> smtpd{SmtpdListener{}};  // empty: no smtpd (a sender that only submits)
    std::string mailbox_domains = "test.example";   // virtual_mailbox_domains, delivered into box/
    bool milter = true;                             // smtpd_milters = unix:milter_socket()
    std::optional<SmtpClient> client;
    std::vector<std::string> main_cf;                // more main.cf lines, last
};

class Postfix {
public:
    explicit Postfix(const PostfixOptions& options = {});
    ~Postfix();
    Postfix(const Postfix&) = delete;
    Postfix& operator=(const Postfix&) = delete;

    std::uint16_t port() const { return port_; }  // the first smtpd listener's
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
    void reload();              // postfix reload: fresh smtp(8) processes; throws on failure
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
