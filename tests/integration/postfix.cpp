// postfix: see postfix.h.
#include "postfix.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <stdexcept>

namespace harness {
namespace {

namespace fs = std::filesystem;

std::string main_cf(const std::string& d, const PostfixOptions& o, const std::string& milter) {
    std::string cf = "compatibility_level = 3.6\n"
                     "queue_directory = " + d + "/queue\n"
                     "data_directory = " + d + "/data\n"
                     "maillog_file = " + d + "/maillog\n"
                     "maillog_file_prefixes = " + d + "\n"
                     "myhostname = " + o.myhostname + "\n"
                     "mydomain = test.example\n"
                     "myorigin = test.example\n"
                     "inet_interfaces = " + o.inet_interfaces + "\n"
                     "inet_protocols = ipv4\n"
                     "mynetworks = 127.0.0.0/8\n"
                     "mydestination =\n"
                     "local_recipient_maps =\n"
                     "alias_maps =\n"
                     "alias_database =\n"
                     "relayhost =\n"
                     "virtual_mailbox_domains = " + o.mailbox_domains + "\n"
                     "virtual_mailbox_base = " + d + "/box\n"
                     "virtual_mailbox_maps = static:mailbox/\n"
                     "virtual_uid_maps = static:65534\n"
                     "virtual_gid_maps = static:65534\n"
                     "smtpd_authorized_xclient_hosts = 127.0.0.0/8\n"
                     "local_header_rewrite_clients =\n"
                     "smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination\n"
                     "smtpd_milters = " + milter + "\n"
                     "non_smtpd_milters =\n"
                     "milter_default_action = tempfail\n"
                     "milter_connect_timeout = 5s\n"
                     "milter_command_timeout = 10s\n"
                     "milter_content_timeout = 10s\n"
                     "biff = no\n"
                     "smtputf8_enable = no\n";
    if (o.client) {
        // TESTING.md, "DNS" and "TLS policy (MTA-STS) end to end".
        cf += "smtp_dns_support_level = enabled\n"
              "smtp_host_lookup = dns\n"
              "smtp_tls_security_level = may\n"
              "smtp_tls_CAfile = " + o.client->ca_file + "\n"
              "smtp_tls_policy_maps = " + o.client->tls_policy_maps + "\n"
              "smtp_tls_loglevel = 1\n"
              "smtp_tls_session_cache_database =\n"
              "smtp_connection_cache_on_demand = no\n"
              "minimal_backoff_time = 1h\n"
              "maximal_backoff_time = 2h\n"
              "queue_run_delay = 1h\n";
    }
    for (const auto& line : o.main_cf) cf += line + "\n";
    return cf;
}

std::string smtpd_service(const SmtpdListener& l, std::uint16_t port) {
    std::string line = l.address + ":" + std::to_string(port) + " inet n - n - - smtpd";
    if (!l.cert_file.empty())
        line += " -o smtpd_tls_security_level=may -o smtpd_tls_loglevel=1 -o smtpd_tls_cert_file=" + l.cert_file +
                " -o smtpd_tls_key_file=" + l.key_file;
    return line + "\n";
}

std::string master_cf(const std::string& smtpd) {
    // Column 5 (chroot) is n everywhere.
    return smtpd +
           "pickup    unix n - n 60 1 pickup\n"
           "cleanup   unix n - n - 0 cleanup\n"
           "qmgr      unix n - n 300 1 qmgr\n"
           "tlsmgr    unix - - n 1000? 1 tlsmgr\n"
           "rewrite   unix - - n - - trivial-rewrite\n"
           "bounce    unix - - n - 0 bounce\n"
           "defer     unix - - n - 0 bounce\n"
           "trace     unix - - n - 0 bounce\n"
           "verify    unix - - n - 1 verify\n"
           "flush     unix n - n 1000? 0 flush\n"
           "proxymap  unix - - n - - proxymap\n"
           "showq     unix n - n - - showq\n"
           "error     unix - - n - - error\n"
           "retry     unix - - n - - error\n"
           "discard   unix - - n - - discard\n"
           "smtp      unix - - n - - smtp\n"
           "relay     unix - - n - - smtp\n"
           "local     unix - n n - - local\n"
           "virtual   unix - n n - - virtual\n"
           "anvil     unix - - n - 1 anvil\n"
           "scache    unix - - n - 1 scache\n"
           "postlog   unix-dgram n - n - 1 postlogd\n";
}

}  // namespace

std::uint16_t free_tcp_port() {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) != 0) {
        if (fd >= 0) close(fd);
        throw std::runtime_error("cannot find a free TCP port");
    }
    close(fd);
    return ntohs(sa.sin_port);
}

void chown_to(const std::string& path, const std::string& user) {
    passwd* pw = getpwnam(user.c_str());
    if (!pw || chown(path.c_str(), pw->pw_uid, pw->pw_gid) != 0)
        throw std::runtime_error("cannot chown " + path + " to " + user);
}

Postfix::Postfix(const PostfixOptions& options) {
    const std::string& d = dir_.path();
    chmod(d.c_str(), 0755);  // postfix and the virtual delivery user traverse it
    for (const char* sub : {"config", "queue", "data", "box", "run"}) fs::create_directory(d + "/" + sub);
    chown_to(d + "/data", "postfix");
    chown_to(d + "/run", "postfix");
    chown_to(d + "/box", "nobody");
    std::string smtpd;
    for (const auto& listener : options.smtpd) {
        std::uint16_t port = listener.port != 0 ? listener.port : free_tcp_port();
        if (port_ == 0) port_ = port;
        smtpd += smtpd_service(listener, port);
    }
    dir_.file("config/main.cf", main_cf(d, options, options.milter ? "unix:" + milter_socket() : ""));
    dir_.file("config/master.cf", master_cf(smtpd));
    auto r = run({"postfix", "-c", config_dir(), "start"});
    if (r.status != 0) {
        // postfix writes its reasons to stderr only on a terminal.
        auto check = run({"script", "-qec", "postfix -c " + config_dir() + " check", "/dev/null"});
        throw std::runtime_error("postfix start failed: " + r.out + r.err + check.out + log());
    }
    running_ = true;
}

Postfix::~Postfix() { stop(); }

void Postfix::reload() {
    auto r = run({"postfix", "-c", config_dir(), "reload"});
    if (r.status != 0) throw std::runtime_error("postfix reload failed: " + r.out + r.err);
}

void Postfix::stop() {
    if (!running_) return;
    running_ = false;
    run({"postfix", "-c", config_dir(), "stop"});
    // master exits shortly after "stop"; wait for its pid file to go.
    std::string pid = dir_.path() + "/queue/pid/master.pid";
    wait_until([&] { return !fs::exists(pid); }, std::chrono::seconds(5));
}

SmtpResult Postfix::send(const Mail& mail) const {
    TempDir tmp;
    std::string data = tmp.file("message", mail.message);
    std::vector<std::string> argv{"swaks", "--server", "127.0.0.1", "--port", std::to_string(port_),
                                  "--from", mail.from, "--to", mail.to, "--helo", mail.helo,
                                  "--data", data, "--timeout", "30"};
    if (!mail.client_addr.empty()) {
        argv.insert(argv.end(), {"--xclient-addr", mail.client_addr});
        if (!mail.client_login.empty()) argv.insert(argv.end(), {"--xclient-login", mail.client_login});
    }
    auto r = run(argv);
    return SmtpResult{r.status, r.out + r.err};
}

std::vector<std::string> Postfix::delivered() const {
    std::vector<std::string> out;
    std::string dir = dir_.path() + "/box/mailbox/new";
    std::error_code ec;
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(dir, ec)) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) out.push_back(read_file(f.string()));
    return out;
}

std::vector<std::string> Postfix::wait_for_delivered(std::size_t count, std::chrono::milliseconds timeout) const {
    std::vector<std::string> got;
    wait_until(
        [&] {
            got = delivered();
            return got.size() >= count;
        },
        timeout);
    return got;
}

std::string Postfix::queue() const { return run({"postqueue", "-c", config_dir(), "-p"}).out; }

std::string Postfix::log() const { return read_file(dir_.path() + "/maillog"); }

}  // namespace harness
