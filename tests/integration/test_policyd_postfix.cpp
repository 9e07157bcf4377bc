// End to end through a real Postfix (TESTING.md, "TLS policy (MTA-STS) end to
// end"): a sending Postfix (postfix.h, SmtpClient) with smtp_tls_policy_maps
// = socketmap:unix:... pointing at mtaguard-policyd, DNS (MX, A, _mta-sts
// TXT) from ldns-testns on 127.0.0.1:53, the policy from a local HTTPS server with a test CA, and a
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

#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <stdexcept>

#include "dns.h"
#include "harness.h"
#include "https_server.h"
#include "postfix.h"

namespace {

constexpr auto kGuard = std::chrono::seconds(60);

void require(bool condition, const std::string& message) {
    if (!condition) throw std::runtime_error(message);
}

void sh(const std::string& command) {
    auto r = harness::run({"/bin/sh", "-c", command});
    require(r.status == 0, command + ": " + r.out + r.err);
}

// Polls `done` until it holds (bounded by kGuard only against a hang).
void wait_until(const std::function<bool()>& done, const std::string& what) {
    require(harness::wait_until(done, kGuard), "gave up waiting for " + what);
}

std::string zone() {
    std::string z;
    for (const auto& [domain, mx, address] : {std::tuple{"good.test", "mx1.good.test", "127.0.0.11"},
                                              std::tuple{"rogue.test", "mx.rogue.test", "127.0.0.12"},
                                              std::tuple{"testing.test", "mx.testing.test", "127.0.0.12"}}) {
        std::string d = domain, m = mx;
        z += harness::dns_entry(d + ".", "MX", "NOERROR", d + ". 300 IN MX 10 " + m + ".\n");
        z += harness::dns_entry(m + ".", "A", "NOERROR", m + ". 300 IN A " + std::string(address) + "\n");
        z += harness::dns_txt("_mta-sts." + d + ".", "v=STSv1; id=1");
    }
    return z;
}

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
        auto smtpd = [](const std::string& address, const harness::CertFiles& cert) {
            return harness::SmtpdListener{address, 25, cert.cert_file, cert.key_file};
        };
        harness::PostfixOptions receiver;
        receiver.myhostname = "receiver.test";
        receiver.inet_interfaces = "127.0.0.11, 127.0.0.12";
        receiver.smtpd = {smtpd("127.0.0.11", good), smtpd("127.0.0.12", evil)};
        receiver.mailbox_domains = "good.test rogue.test testing.test";
        receiver.milter = false;
        receiver.main_cf = {"smtpd_peername_lookup = no"};
        receiver_ = std::make_unique<harness::Postfix>(receiver);

        // mtaguard-policyd runs as postfix: its socket and cache live in policyd/.
        std::filesystem::create_directory(dir_.path() + "/policyd");
        harness::chown_to(dir_.path() + "/policyd", "postfix");
        socket_ = dir_.path() + "/policyd/policyd.sock";
        harness::PostfixOptions sender;
        sender.myhostname = "sender.test";
        sender.inet_interfaces = "127.0.0.1";
        sender.smtpd = {};
        sender.mailbox_domains = "";
        sender.milter = false;
        sender.client = harness::SmtpClient{"socketmap:unix:" + socket_ + ":mta-sts", pki_.ca_file()};
        sender_ = std::make_unique<harness::Postfix>(sender);
    }

    // Serves `policy` for mta-sts.<domain> and (re)starts mtaguard-policyd
    // fetching from that server.
    void serve_policy(const std::string& domain, const std::string& policy) {
        policyd_.reset();
        https_ = std::make_unique<harness::HttpsServer>(pki_.issue("mta-sts." + domain));
        https_->route("/.well-known/mta-sts.txt", harness::text_plain(policy));
        std::string conf = dir_.file(
            "mtaguard.conf", "policyd_socket = unix:" + socket_ + "\npolicyd_pid_file =\ncache_dir = " + dir_.path() +
                                 "/policyd/cache\nuser = postfix\ndns_nameservers = 127.0.0.1:53\n"
                                 "sts_ca_file = " + pki_.ca_file() + "\nsts_fetch_port = " +
                                 std::to_string(https_->port()) + "\nsts_fetch_resolve = mta-sts." + domain +
                                 ":127.0.0.1\nsts_fetch_helper = " +
                                 harness::builddir() + "/policyd/mtaguard-sts-fetch\n");
        std::string log = dir_.path() + "/policyd-" + domain + ".log";
        policyd_ = std::make_unique<harness::Process>(
            std::vector<std::string>{harness::builddir() + "/policyd/mtaguard-policyd", "-f", "-c", conf}, log);
        wait_until([&] { return harness::read_file(log).find("started") != std::string::npos; }, "mtaguard-policyd: " + harness::read_file(log));
        sender_->reload();  // fresh smtp(8) processes, fresh socketmap connections
    }

    // Injects a message to rcpt@domain; returns the delivery log line.
    std::string send(const std::string& domain) {
        std::string rcpt = "rcpt@" + domain;
        auto r = harness::run({"sendmail", "-C", sender_->config_dir(), "-f", "sender@sender.test", rcpt},
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
        return harness::read_file(dir_.path() + "/policyd-" + domain + ".log");
    }

private:
    harness::TempDir dir_;
    harness::TestPki pki_;
    std::unique_ptr<harness::Process> dns_;
    std::unique_ptr<harness::Postfix> receiver_;
    std::unique_ptr<harness::Postfix> sender_;
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
        std::string message = harness::read_file(result);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(message, std::string("ok"), message);
        CPPUNIT_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(PolicydPostfixTest);
