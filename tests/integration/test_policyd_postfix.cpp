// End to end through a real Postfix (TESTING.md, "TLS policy (MTA-STS) end to
// end"): a sending Postfix with smtp_tls_policy_maps = socketmap:unix:...
// pointing at mtaguard-policyd, DNS (MX, A, _mta-sts TXT) from ldns-testns on
// 127.0.0.1:53, the policy from a local HTTPS server with a test CA, and a
// receiving Postfix with TLS on 127.0.0.11 (certificate for mx1.good.test)
// and 127.0.0.12 (certificate naming only evil.example). Postfix reads
// /etc/resolv.conf, so the scenario runs in a child process in its own
// network and mount namespace with a resolv.conf bind-mounted over the real
// one. mtaguard-policyd drops to user postfix, which also owns its socket.
//   good.test     enforce, MX cert matches      -> delivered, "Verified TLS"
//   rogue.test    enforce, MX cert does not     -> deferred, still queued
//   testing.test  testing, MX cert does not     -> delivered
// No assertion depends on timing; waits are bounded only against a hang.
#include <cppunit/extensions/HelperMacros.h>

#include <fcntl.h>
#include <pwd.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "dns.h"
#include "harness.h"
#include "https_server.h"

namespace {

constexpr auto kGuard = std::chrono::seconds(60);

std::string slurp(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

void require(bool condition, const std::string& message) {
    if (!condition) throw std::runtime_error(message);
}

void sh(const std::string& command) {
    auto r = harness::run({"/bin/sh", "-c", command});
    require(r.status == 0, command + ": " + r.out + r.err);
}

// Polls `done` until it holds (bounded by kGuard only against a hang).
void wait_until(const std::function<bool()>& done, const std::string& what) {
    auto end = std::chrono::steady_clock::now() + kGuard;
    while (!done()) {
        require(std::chrono::steady_clock::now() < end, "gave up waiting for " + what);
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

std::string rr(const std::string& qname, const std::string& qtype, const std::string& answer) {
    return "ENTRY_BEGIN\nMATCH opcode qtype qname\nADJUST copy_id\nREPLY QR RD RA NOERROR\nSECTION QUESTION\n" +
           qname + " IN " + qtype + "\nSECTION ANSWER\n" + answer + "\nENTRY_END\n";
}

std::string zone() {
    std::string z;
    for (const auto& [domain, mx, address] : {std::tuple{"good.test", "mx1.good.test", "127.0.0.11"},
                                              std::tuple{"rogue.test", "mx.rogue.test", "127.0.0.12"},
                                              std::tuple{"testing.test", "mx.testing.test", "127.0.0.12"}}) {
        std::string d = domain, m = mx;
        z += rr(d + ".", "MX", d + ". 300 IN MX 10 " + m + ".");
        z += rr(m + ".", "A", m + ". 300 IN A " + address);
        z += rr("_mta-sts." + d + ".", "TXT", "_mta-sts." + d + ". 300 IN TXT \"v=STSv1; id=1\"");
    }
    return z;
}

const char* kMasterCf =
    "pickup    unix  n       -       n       60      1       pickup\n"
    "cleanup   unix  n       -       n       -       0       cleanup\n"
    "qmgr      unix  n       -       n       300     1       qmgr\n"
    "tlsmgr    unix  -       -       n       1000?   1       tlsmgr\n"
    "rewrite   unix  -       -       n       -       -       trivial-rewrite\n"
    "bounce    unix  -       -       n       -       0       bounce\n"
    "defer     unix  -       -       n       -       0       bounce\n"
    "trace     unix  -       -       n       -       0       bounce\n"
    "verify    unix  -       -       n       -       1       verify\n"
    "flush     unix  n       -       n       1000?   0       flush\n"
    "proxymap  unix  -       -       n       -       -       proxymap\n"
    "smtp      unix  -       -       n       -       -       smtp\n"
    "relay     unix  -       -       n       -       -       smtp\n"
    "showq     unix  n       -       n       -       -       showq\n"
    "error     unix  -       -       n       -       -       error\n"
    "retry     unix  -       -       n       -       -       error\n"
    "discard   unix  -       -       n       -       -       discard\n"
    "local     unix  -       n       n       -       -       local\n"
    "virtual   unix  -       n       n       -       -       virtual\n"
    "lmtp      unix  -       -       n       -       -       lmtp\n"
    "anvil     unix  -       -       n       -       1       anvil\n"
    "scache    unix  -       -       n       -       1       scache\n"
    "postlog   unix-dgram n  -       n       -       1       postlogd\n";

// A private Postfix instance under `dir` (config/, queue/, data/, maillog).
class Instance {
public:
    Instance(const std::string& dir, const std::string& main_cf, const std::string& extra_master)
        : dir_(dir) {
        for (const char* sub : {"", "/config", "/queue", "/data"}) ::mkdir((dir + sub).c_str(), 0755);
        const passwd* pw = ::getpwnam("postfix");
        require(pw != nullptr, "no postfix user");
        require(::chown((dir + "/data").c_str(), pw->pw_uid, pw->pw_gid) == 0, "chown data");
        std::ofstream(dir + "/config/main.cf")
            << "compatibility_level = 3.6\nqueue_directory = " << dir << "/queue\ndata_directory = " << dir
            << "/data\nmaillog_file = " << dir << "/maillog\nmaillog_file_prefixes = " << dir
            << "\nmydestination =\nlocal_recipient_maps =\nalias_maps =\nalias_database =\n"
               "inet_protocols = ipv4\nsmtp_dns_support_level = enabled\nsmtp_host_lookup = dns\n"
               "smtpd_tls_loglevel = 1\nsmtp_tls_loglevel = 1\n"
            << main_cf;
        std::ofstream(dir + "/config/master.cf") << extra_master << kMasterCf;
        sh("postfix -c " + config() + " start");
        running_ = true;
    }
    ~Instance() {
        if (running_) harness::run({"postfix", "-c", config(), "stop"});
    }
    std::string config() const { return dir_ + "/config"; }
    std::string log() const { return slurp(dir_ + "/maillog"); }
    std::string queue() const { return harness::run({"postqueue", "-c", config(), "-p"}).out; }
    void reload() { sh("postfix -c " + config() + " reload"); }

private:
    std::string dir_;
    bool running_ = false;
};

// Everything in one namespace: DNS on :53, receiver, sender, policyd.
class Scenario {
public:
    Scenario() : pki_(dir_.path()) {
        ::chmod(dir_.path().c_str(), 0755);
        ::chmod(pki_.ca_file().c_str(), 0644);
        std::string resolv = dir_.file("resolv.conf", "nameserver 127.0.0.1\n");
        require(::mount(resolv.c_str(), "/etc/resolv.conf", nullptr, MS_BIND, nullptr) == 0, "bind resolv.conf");
        std::string data = dir_.file("zone.data", zone());
        dns_ = std::make_unique<harness::Process>(std::vector<std::string>{"ldns-testns", "-p", "53", data},
                                                  dir_.path() + "/dns.log");
        dns::LdnsResolver resolver({"127.0.0.1:53"}, std::chrono::milliseconds(500));
        wait_until([&] { return resolver.query("good.test", dns::RrType::MX).ok(); }, "ldns-testns on :53");

        auto good = pki_.issue("mx1.good.test");
        auto evil = pki_.issue("evil.example");
        for (const auto& f : {good.key_file, evil.key_file, good.cert_file, evil.cert_file})
            ::chmod(f.c_str(), 0644);
        auto service = [](const std::string& address, const harness::CertFiles& cert) {
            return address + ":25 inet n - n - - smtpd -o smtpd_tls_security_level=may -o smtpd_tls_cert_file=" +
                   cert.cert_file + " -o smtpd_tls_key_file=" + cert.key_file + "\n";
        };
        receiver_ = std::make_unique<Instance>(
            dir_.path() + "/receiver",
            "myhostname = receiver.test\ninet_interfaces = 127.0.0.11, 127.0.0.12\nsmtpd_peername_lookup = no\n"
            "virtual_mailbox_domains = good.test rogue.test testing.test\nvirtual_mailbox_base = " +
                dir_.path() + "/receiver\nvirtual_mailbox_maps = static:box/\n"
                              "virtual_uid_maps = static:65534\nvirtual_gid_maps = static:65534\n",
            service("127.0.0.11", good) + service("127.0.0.12", evil));
        ::chmod((dir_.path() + "/receiver").c_str(), 0777);

        ::mkdir((dir_.path() + "/policyd").c_str(), 0755);
        const passwd* pw = ::getpwnam("postfix");
        ::chown((dir_.path() + "/policyd").c_str(), pw->pw_uid, pw->pw_gid);
        socket_ = dir_.path() + "/policyd/policyd.sock";
        sender_ = std::make_unique<Instance>(
            dir_.path() + "/sender",
            "myhostname = sender.test\ninet_interfaces = 127.0.0.1\nvirtual_mailbox_domains =\n"
            "smtp_tls_security_level = may\nsmtp_tls_CAfile = " +
                pki_.ca_file() + "\nsmtp_tls_policy_maps = socketmap:unix:" + socket_ +
                ":mta-sts\nsmtp_tls_session_cache_database =\nsmtp_connection_cache_on_demand = no\n"
                "minimal_backoff_time = 1h\nmaximal_backoff_time = 2h\nqueue_run_delay = 1h\n",
            "");
    }

    // Serves `policy` for mta-sts.<domain> and (re)starts mtaguard-policyd
    // fetching from that server.
    void serve_policy(const std::string& domain, const std::string& policy) {
        policyd_.reset();
        https_ = std::make_unique<harness::HttpsServer>(pki_.issue("mta-sts." + domain));
        https_->route("/.well-known/mta-sts.txt", {200, {{"Content-Type", "text/plain"}}, policy});
        std::string conf = dir_.file(
            "mtaguard.conf", "policyd_socket = unix:" + socket_ + "\npolicyd_pid_file =\ncache_dir = " + dir_.path() +
                                 "/policyd/cache\nuser = postfix\ndns_nameservers = 127.0.0.1:53\n"
                                 "sts_ca_file = " + pki_.ca_file() + "\nsts_fetch_port = " +
                                 std::to_string(https_->port()) + "\nsts_fetch_resolve = mta-sts." + domain +
                                 ":127.0.0.1\n");
        std::string log = dir_.path() + "/policyd-" + domain + ".log";
        policyd_ = std::make_unique<harness::Process>(
            std::vector<std::string>{harness::builddir() + "/policyd/mtaguard-policyd", "-f", "-c", conf}, log);
        wait_until([&] { return slurp(log).find("started") != std::string::npos; }, "mtaguard-policyd: " + slurp(log));
        sender_->reload();  // fresh smtp(8) processes, fresh socketmap connections
    }

    // Injects a message to rcpt@domain; returns the delivery log line.
    std::string send(const std::string& domain) {
        std::string rcpt = "rcpt@" + domain;
        auto r = harness::run({"sendmail", "-C", sender_->config(), "-f", "sender@sender.test", rcpt},
                              "Subject: MTA-STS " + domain + "\n\nhello\n");
        require(r.status == 0, "sendmail: " + r.err);
        std::string line;
        wait_until(
            [&] {
                std::istringstream log(sender_->log());
                for (std::string l; std::getline(log, l);)
                    if (l.find("to=<" + rcpt + ">") != std::string::npos &&
                        (l.find("status=sent") != std::string::npos || l.find("status=deferred") != std::string::npos)) {
                        line = l;
                        return true;
                    }
                return false;
            },
            "delivery to " + rcpt + "\n" + sender_->log());
        return line;
    }

    std::string sender_log() const { return sender_->log(); }
    std::string sender_queue() const { return sender_->queue(); }
    std::string policyd_log(const std::string& domain) const {
        return slurp(dir_.path() + "/policyd-" + domain + ".log");
    }

private:
    harness::TempDir dir_;
    harness::TestPki pki_;
    std::unique_ptr<harness::Process> dns_;
    std::unique_ptr<Instance> receiver_;
    std::unique_ptr<Instance> sender_;
    std::unique_ptr<harness::HttpsServer> https_;
    std::unique_ptr<harness::Process> policyd_;
    std::string socket_;
};

void run_scenario() {
    Scenario s;
    s.serve_policy("good.test", "version: STSv1\nmode: enforce\nmx: mx1.good.test\nmax_age: 86400\n");
    std::string good = s.send("good.test");
    require(good.find("status=sent") != std::string::npos, "good.test not delivered: " + good);
    require(s.sender_log().find("Verified TLS connection established to mx1.good.test") != std::string::npos,
            "no verified TLS to mx1.good.test:\n" + s.sender_log());
    require(s.policyd_log("good.test").find("lookup domain=good.test answer=secure") != std::string::npos,
            "policyd did not answer secure:\n" + s.policyd_log("good.test"));

    s.serve_policy("rogue.test", "version: STSv1\nmode: enforce\nmx: mx.rogue.test\nmax_age: 86400\n");
    std::string rogue = s.send("rogue.test");
    require(rogue.find("status=deferred") != std::string::npos, "rogue.test not deferred: " + rogue);
    require(rogue.find("certificate not verified") != std::string::npos ||
                rogue.find("Server certificate not verified") != std::string::npos,
            "rogue.test deferred for another reason: " + rogue);
    require(s.sender_queue().find("rcpt@rogue.test") != std::string::npos, "rogue.test not in the queue");

    s.serve_policy("testing.test", "version: STSv1\nmode: testing\nmx: mx.testing.test\nmax_age: 86400\n");
    std::string testing = s.send("testing.test");
    require(testing.find("status=sent") != std::string::npos, "testing.test not delivered: " + testing);
    // The daemon ran as postfix on a cache it created as root: no errors.
    for (const char* d : {"good.test", "rogue.test", "testing.test"})
        require(s.policyd_log(d).find(": error:") == std::string::npos, "policyd errors:\n" + s.policyd_log(d));
}

// In the child: a private network and mount namespace, then the scenario.
int child(const std::string& result_file) {
    std::string message = "ok";
    int status = 0;
    try {
        require(::unshare(CLONE_NEWNET | CLONE_NEWNS) == 0, std::string("unshare: ") + std::strerror(errno));
        require(::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0, "mount --make-rprivate /");
        sh("ip link set lo up && ip addr add 127.0.0.11/32 dev lo && ip addr add 127.0.0.12/32 dev lo");
        run_scenario();
    } catch (const std::exception& e) {
        message = e.what();
        status = 1;
    }
    std::ofstream(result_file) << message;
    return status;
}

}  // namespace

class PolicydPostfixTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(PolicydPostfixTest);
    CPPUNIT_TEST(enforce_and_testing_through_postfix);
    CPPUNIT_TEST_SUITE_END();

public:
    void enforce_and_testing_through_postfix() {
        harness::TempDir dir;
        std::string result = dir.path() + "/result";
        pid_t pid = ::fork();
        CPPUNIT_ASSERT(pid >= 0);
        if (pid == 0) ::_exit(child(result));
        int status = 0;
        ::waitpid(pid, &status, 0);
        std::string message = slurp(result);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(message, std::string("ok"), message);
        CPPUNIT_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(PolicydPostfixTest);
