// mtaguard-milter through a real Postfix (postfix.h) with DNS answers from
// ldns-testns: every case is asserted on the SMTP reply swaks saw, the
// delivered message, the queue or the milter's log line.
#include <cppunit/extensions/HelperMacros.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "harness.h"
#include "postfix.h"

namespace {

// Any other TXT question: NXDOMAIN (no DMARC record).
std::string zone() {
    using harness::dns_txt;
    return dns_txt("_dmarc.pass.example.", "v=DMARC1; p=reject") +
           dns_txt("_dmarc.reject.example.", "v=DMARC1; p=reject") +
           dns_txt("_dmarc.none.example.", "v=DMARC1; p=none") +
           dns_txt("_dmarc.quarantine.example.", "v=DMARC1; p=quarantine") +
           harness::dns_entry("_dmarc.servfail.example.", "TXT", "SERVFAIL", "") + harness::dns_nxdomain_rest();
}

constexpr const char* kOurId = "mx.test.example";
constexpr const char* kTrustedId = "upstream.example";
constexpr const char* kRemote = "192.0.2.10";

using harness::read_file;

// The milter, configured by `conf` lines, listening in the Postfix run dir.
class Milter {
public:
    Milter(const harness::Postfix& postfix, const std::string& nameserver, const std::string& extra,
           const std::string& dns_timeout = "1s") :
        socket_(postfix.milter_socket()), pid_file_(postfix.run_dir() + "/milter.pid") {
        chmod(dir_.path().c_str(), 0755);  // the milter rereads its file as `user` on SIGHUP
        conf_ = dir_.file("mtaguard.conf", base(nameserver, dns_timeout) + extra);
        log_ = dir_.path() + "/milter.log";
        process_ = std::make_unique<harness::Process>(
            std::vector<std::string>{harness::builddir() + "/milter/mtaguard-milter", "-f", "-c", conf_}, log_);
        bool listening = harness::wait_until(
            [&] {
                if (std::filesystem::exists(socket_)) return true;
                if (!process_->running()) throw std::runtime_error("mtaguard-milter exited: " + log());
                return false;
            },
            std::chrono::seconds(5));
        if (!listening) throw std::runtime_error("no milter socket: " + log());
    }
    std::string base(const std::string& nameserver, const std::string& dns_timeout = "1s") const {
        return "user = postfix\nmilter_socket = unix:" + socket_ + "\nmilter_pid_file = " + pid_file_ +
               "\nauthserv_id = " + kOurId + "\ntrusted_authserv_ids = " + kTrustedId +
               "\ndns_nameservers = " + nameserver + "\ndns_timeout = " + dns_timeout + "\n";
    }
    std::string log() const { return read_file(log_); }
    const std::string& conf() const { return conf_; }
    const std::string& socket() const { return socket_; }
    const std::string& pid_file() const { return pid_file_; }
    harness::Process& process() { return *process_; }
    // Waits until the log holds `text` `count` times.
    bool wait_log(const std::string& text, int count = 1) const {
        return harness::wait_until(
            [&] {
                std::string l = log();
                int n = 0;
                for (auto p = l.find(text); p != std::string::npos; p = l.find(text, p + 1)) ++n;
                return n >= count;
            },
            std::chrono::seconds(10));
    }

private:
    harness::TempDir dir_;
    std::string socket_, pid_file_, conf_, log_;
    std::unique_ptr<harness::Process> process_;
};

// A message from `from` (a full From line, "" for none) with extra headers.
std::string message(const std::vector<std::string>& from_lines, const std::vector<std::string>& headers,
                    const std::string& subject) {
    std::string m;
    for (const auto& h : headers) m += h + "\n";
    for (const auto& f : from_lines) m += "From: " + f + "\n";
    m += "To: rcpt@test.example\nSubject: " + subject + "\nMessage-ID: <" + subject + "@example.com>\n"
         "Date: Sun, 22 Nov 2026 22:00:00 +0000\n\nbody of " + subject + "\n";
    return m;
}

std::string trusted_dkim_pass(const std::string& domain) {
    return std::string("Authentication-Results: ") + kTrustedId + "; dkim=pass header.d=" + domain +
           " header.s=s1";
}

// The delivered message whose Subject is `subject`, or "".
std::string delivered_with_subject(const harness::Postfix& pf, const std::string& subject, std::size_t expect) {
    for (const auto& m : pf.wait_for_delivered(expect))
        if (m.find("Subject: " + subject + "\n") != std::string::npos) return m;
    return "";
}

// Our header in a delivered message: the Authentication-Results line(s) with our id.
std::vector<std::string> our_headers(const std::string& msg) {
    std::vector<std::string> out;
    std::istringstream in(msg.substr(0, msg.find("\n\n")));
    std::string line;
    while (std::getline(in, line))
        if (line.rfind(std::string("Authentication-Results: ") + kOurId, 0) == 0) out.push_back(line);
    return out;
}

}  // namespace

class MilterPostfixTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(MilterPostfixTest);
    CPPUNIT_TEST(dmarc_cases);
    CPPUNIT_TEST(malformed_from_tagged_when_not_rejecting);
    CPPUNIT_TEST(forged_results_with_space_before_colon_deleted);
    CPPUNIT_TEST(skipped_submissions);
    CPPUNIT_TEST(sighup_reload_applies_to_new_connections);
    CPPUNIT_TEST(sigterm_finishes_message_in_flight);
    CPPUNIT_TEST(check_mode_reports_file_and_line);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override {
        dns_ = std::make_unique<harness::TestDns>(zone());
        postfix_ = std::make_unique<harness::Postfix>();
    }
    void tearDown() override {
        milter_.reset();
        postfix_.reset();
        dns_.reset();
    }

    void start_milter(const std::string& extra) { milter_ = std::make_unique<Milter>(*postfix_, dns_->nameserver(), extra); }

    harness::SmtpResult send(const std::string& msg, const std::string& client = kRemote, const std::string& login = "") {
        harness::Mail m;
        m.client_addr = client;
        m.client_login = login;
        m.message = msg;
        return postfix_->send(m);
    }

    void dmarc_cases() {
        start_milter("dmarc_reject_failures = yes\ndmarc_quarantine_action = quarantine\n");
        std::size_t expected = 0;

        // A DMARC pass from a trusted upstream result: delivered, header added.
        auto r = send(message({"Alice <alice@pass.example>"}, {trusted_dkim_pass("pass.example")}, "pass"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.transcript, 0, r.status);
        std::string m = delivered_with_subject(*postfix_, "pass", ++expected);
        CPPUNIT_ASSERT_MESSAGE(postfix_->log() + milter_->log(), !m.empty());
        auto ours = our_headers(m);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(m, std::size_t(1), ours.size());
        CPPUNIT_ASSERT_MESSAGE(ours[0], ours[0].find("dmarc=pass") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(ours[0], ours[0].find("header.from=pass.example") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(ours[0], ours[0].find("(p=reject") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(milter_->log(), milter_->wait_log("dkim=pass:pass.example"));

        // p=none failure: delivered, tagged only.
        r = send(message({"bob@none.example"}, {}, "none-fail"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.transcript, 0, r.status);
        m = delivered_with_subject(*postfix_, "none-fail", ++expected);
        ours = our_headers(m);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(m, std::size_t(1), ours.size());
        CPPUNIT_ASSERT_MESSAGE(ours[0], ours[0].find("dmarc=fail") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(ours[0], ours[0].find("p=none") != std::string::npos);

        // p=reject failure with dmarc_reject_failures = yes: 550 5.7.1 naming the domain.
        r = send(message({"carol@reject.example"}, {}, "reject-fail"));
        CPPUNIT_ASSERT_MESSAGE(r.transcript, r.status != 0);
        CPPUNIT_ASSERT_MESSAGE(r.transcript, r.transcript.find("550 5.7.1") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(r.transcript, r.transcript.find("reject.example") != std::string::npos);

        // A forged pass carrying our own authserv-id does not make it pass.
        r = send(message({"carol@reject.example"},
                         {std::string("Authentication-Results: ") + kOurId +
                          "; dmarc=pass header.from=reject.example; dkim=pass header.d=reject.example"},
                         "forged-reject"));
        CPPUNIT_ASSERT_MESSAGE(r.transcript, r.transcript.find("550 5.7.1") != std::string::npos);

        // ... and is deleted from a message that is delivered.
        r = send(message({"dave@none.example"},
                         {std::string("Authentication-Results: ") + kOurId +
                              "; dkim=pass header.d=none.example; dmarc=pass header.from=none.example",
                          "Authentication-Results: other.example; none",
                          std::string("Authentication-Results: ") + kOurId +
                              "/NOTTHEQUEUEID; dkim=pass header.d=none.example"},
                         "forged-none"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.transcript, 0, r.status);
        m = delivered_with_subject(*postfix_, "forged-none", ++expected);
        ours = our_headers(m);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(m, std::size_t(1), ours.size());
        CPPUNIT_ASSERT_MESSAGE(ours[0], ours[0].find("dmarc=fail") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(m, m.find("dmarc=pass") == std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(m, m.find("dkim=pass") == std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(m, m.find("Authentication-Results: other.example; none") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(milter_->log(), milter_->log().find("forged_authres_deleted=2") != std::string::npos);

        // A genuine pass: the trusted upstream's result for reject.example.
        r = send(message({"carol@reject.example"}, {trusted_dkim_pass("reject.example")}, "genuine"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.transcript, 0, r.status);
        m = delivered_with_subject(*postfix_, "genuine", ++expected);
        ours = our_headers(m);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(m, std::size_t(1), ours.size());
        CPPUNIT_ASSERT_MESSAGE(ours[0], ours[0].find("dmarc=pass") != std::string::npos);

        // p=quarantine with dmarc_quarantine_action = quarantine: held.
        r = send(message({"erin@quarantine.example"}, {}, "quarantine"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.transcript, 0, r.status);
        std::string queue;
        harness::wait_until(
            [&] {
                queue = postfix_->queue();
                return queue.find('!') != std::string::npos;
            },
            std::chrono::seconds(5));
        CPPUNIT_ASSERT_MESSAGE(queue, queue.find("!") != std::string::npos);  // held: "QUEUEID!"
        CPPUNIT_ASSERT_MESSAGE(queue, queue.find("sender@example.com") != std::string::npos);

        // DNS SERVFAIL: temperror, never rejected (dmarc_temperror_action = accept).
        r = send(message({"frank@servfail.example"}, {}, "servfail"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.transcript, 0, r.status);
        m = delivered_with_subject(*postfix_, "servfail", ++expected);
        ours = our_headers(m);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(m, std::size_t(1), ours.size());
        CPPUNIT_ASSERT_MESSAGE(ours[0], ours[0].find("dmarc=temperror") != std::string::npos);

        // Two From headers, one of them passing: the strictest result counts.
        r = send(message({"alice@pass.example", "carol@reject.example"}, {trusted_dkim_pass("pass.example")},
                         "two-from"));
        CPPUNIT_ASSERT_MESSAGE(r.transcript, r.transcript.find("550 5.7.1") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(r.transcript, r.transcript.find("reject.example") != std::string::npos);

        // No From at all: never a pass; rejected (dmarc_reject_malformed_from = yes by default).
        r = send(message({}, {trusted_dkim_pass("pass.example")}, "no-from"));
        CPPUNIT_ASSERT_MESSAGE(r.transcript, r.transcript.find("550 5.7.1") != std::string::npos);

        // Neither reached the mailbox.
        CPPUNIT_ASSERT(delivered_with_subject(*postfix_, "two-from", expected).empty());
        CPPUNIT_ASSERT(delivered_with_subject(*postfix_, "no-from", expected).empty());
    }

    // RFC 5322 §4.5.3 obs-optional: white space may precede the colon, and
    // Postfix hands such a field's name to the milter with that space. A
    // forged "Authentication-Results :" claiming our id is deleted like any
    // other, and counts among the Authentication-Results fields so that the
    // deletion of a later one hits the right field.
    void forged_results_with_space_before_colon_deleted() {
        start_milter("");
        std::string forged = std::string(kOurId) + "; dkim=pass header.d=none.example";
        auto r = send(message({"dave@none.example"},
                              {"Authentication-Results : " + forged + "; dmarc=pass",
                               "Authentication-Results: other.example; none",
                               "Authentication-Results: " + forged},
                              "obs-forged"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.transcript, 0, r.status);
        std::string m = delivered_with_subject(*postfix_, "obs-forged", 1);
        CPPUNIT_ASSERT_MESSAGE(postfix_->log() + milter_->log(), !m.empty());
        CPPUNIT_ASSERT_MESSAGE(m, m.find("dkim=pass") == std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(m, m.find("dmarc=pass") == std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(m, m.find("Authentication-Results: other.example; none") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(milter_->log(), milter_->wait_log("forged_authres_deleted=2"));
    }

    void malformed_from_tagged_when_not_rejecting() {
        start_milter("dmarc_reject_failures = yes\ndmarc_reject_malformed_from = no\n");
        auto r = send(message({}, {trusted_dkim_pass("pass.example")}, "no-from-tagged"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.transcript, 0, r.status);
        std::string m = delivered_with_subject(*postfix_, "no-from-tagged", 1);
        auto ours = our_headers(m);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(m, std::size_t(1), ours.size());
        CPPUNIT_ASSERT_MESSAGE(ours[0], ours[0].find("dmarc=permerror") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(milter_->log(), milter_->wait_log("status=permerror"));
    }

    void skipped_submissions() {
        start_milter("dmarc_reject_failures = yes\nmilter_skip_networks = 198.51.100.0/24, 2001:db8::/32\n");
        // Not evaluated, but what claims our authserv-id is still deleted
        // (RFC 8601 §5): neither a user nor a skipped relay can hand a
        // forged pass to the recipients' mail readers.
        std::string forged = std::string("Authentication-Results: ") + kOurId +
                             "; dmarc=pass header.from=reject.example; dkim=pass header.d=reject.example";
        // Authenticated (XCLIENT LOGIN): not evaluated although it fails p=reject.
        auto r = send(message({"carol@reject.example"}, {forged}, "authenticated"), kRemote, "alice");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.transcript, 0, r.status);
        std::string m = delivered_with_subject(*postfix_, "authenticated", 1);
        CPPUNIT_ASSERT_MESSAGE(postfix_->log(), !m.empty());
        CPPUNIT_ASSERT_MESSAGE(m, our_headers(m).empty());
        CPPUNIT_ASSERT_MESSAGE(m, m.find("dkim=pass") == std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(milter_->log(), milter_->wait_log("skipped=\"authenticated submission\""));
        CPPUNIT_ASSERT_MESSAGE(milter_->log(), milter_->log().find("user=alice") != std::string::npos);

        // A client in milter_skip_networks.
        r = send(message({"carol@reject.example"}, {forged}, "skipnet"), "198.51.100.7");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.transcript, 0, r.status);
        m = delivered_with_subject(*postfix_, "skipnet", 2);
        CPPUNIT_ASSERT_MESSAGE(postfix_->log(), !m.empty());
        CPPUNIT_ASSERT_MESSAGE(m, our_headers(m).empty());
        CPPUNIT_ASSERT_MESSAGE(m, m.find("dkim=pass") == std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(milter_->log(), milter_->wait_log("skipped=\"client in milter_skip_networks\""));

        // The same failure from elsewhere is rejected: the skip is what let it in.
        r = send(message({"carol@reject.example"}, {}, "not-skipped"), "203.0.113.5");
        CPPUNIT_ASSERT_MESSAGE(r.transcript, r.transcript.find("550 5.7.1") != std::string::npos);
    }

    void sighup_reload_applies_to_new_connections() {
        start_milter("dmarc_reject_failures = yes\n");
        auto r = send(message({"carol@reject.example"}, {}, "before-reload"));
        CPPUNIT_ASSERT_MESSAGE(r.transcript, r.transcript.find("550 5.7.1") != std::string::npos);

        std::ofstream(milter_->conf(), std::ios::app) << "# reloaded\n";
        std::string conf = read_file(milter_->conf());
        conf.replace(conf.find("dmarc_reject_failures = yes"), 27, "dmarc_reject_failures = no");
        std::ofstream(milter_->conf(), std::ios::trunc) << conf;
        pid_t pid = std::stoi(read_file(milter_->pid_file()));
        CPPUNIT_ASSERT_EQUAL(milter_->process().pid(), pid);
        kill(pid, SIGHUP);
        CPPUNIT_ASSERT_MESSAGE(milter_->log(), milter_->wait_log("configuration reloaded"));
        CPPUNIT_ASSERT(milter_->process().running());

        r = send(message({"carol@reject.example"}, {}, "after-reload"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.transcript, 0, r.status);
        std::string m = delivered_with_subject(*postfix_, "after-reload", 1);
        CPPUNIT_ASSERT_MESSAGE(m, our_headers(m).size() == 1 && m.find("dmarc=fail") != std::string::npos);

        // A broken file on reload: logged, the running configuration stays.
        std::ofstream(milter_->conf(), std::ios::app) << "dmarc_reject_failures = maybe\n";
        kill(pid, SIGHUP);
        CPPUNIT_ASSERT_MESSAGE(milter_->log(), milter_->wait_log("configuration not reloaded"));
        CPPUNIT_ASSERT(milter_->process().running());

        // SIGTERM: clean stop, socket and pid file removed. libmilter notices
        // the stop at its next poll timeout, within seconds.
        kill(pid, SIGTERM);
        harness::wait_until([&] { return !milter_->process().running(); }, std::chrono::seconds(15));
        CPPUNIT_ASSERT(!milter_->process().running());
        CPPUNIT_ASSERT_MESSAGE(milter_->log(), milter_->log().find("stopped") != std::string::npos);
        CPPUNIT_ASSERT(!std::filesystem::exists(milter_->socket()));
        CPPUNIT_ASSERT(!std::filesystem::exists(milter_->pid_file()));
    }

    // SIGTERM while a message waits for DNS: the worker lets it finish (its
    // verdict applied, its history row written) before it exits, instead of
    // cutting the connection (Postfix: milter_default_action, 451 here).
    // The DNS server is a UDP socket that never answers; the test waits
    // until the milter's query reaches it, so the message is in flight.
    void sigterm_finishes_message_in_flight() {
        int udp = socket(AF_INET, SOCK_DGRAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof addr;
        CPPUNIT_ASSERT_EQUAL(0, bind(udp, reinterpret_cast<sockaddr*>(&addr), sizeof addr));
        CPPUNIT_ASSERT_EQUAL(0, getsockname(udp, reinterpret_cast<sockaddr*>(&addr), &len));
        std::string nameserver = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
        milter_ = std::make_unique<Milter>(*postfix_, nameserver, "", "3s");
        harness::SmtpResult r;
        std::thread client([&] { r = send(message({"frank@slow.example"}, {}, "in-flight")); });
        char buf[512];
        bool asked = harness::wait_until([&] { return recv(udp, buf, sizeof buf, MSG_DONTWAIT) > 0; },
                                         std::chrono::seconds(10));
        if (asked) kill(milter_->process().pid(), SIGTERM);
        client.join();
        close(udp);
        CPPUNIT_ASSERT_MESSAGE(milter_->log(), asked);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.transcript + milter_->log(), 0, r.status);
        std::string m = delivered_with_subject(*postfix_, "in-flight", 1);
        auto ours = our_headers(m);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(m, std::size_t(1), ours.size());
        CPPUNIT_ASSERT_MESSAGE(ours[0], ours[0].find("dmarc=temperror") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(milter_->log(), harness::wait_until([&] { return !milter_->process().running(); },
                                                                  std::chrono::seconds(20)));
    }

    void check_mode_reports_file_and_line() {
        harness::TempDir dir;
        std::string bad = dir.file("bad.conf", "user = postfix\n# two\nmilter_skip_networks = 10.0.0.0/8 10.0.0.1/8\n");
        auto r = harness::run({harness::builddir() + "/milter/mtaguard-milter", "-n", "-c", bad});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.err, 2, r.status);
        CPPUNIT_ASSERT_MESSAGE(r.err, r.err.find(bad + ":3: milter_skip_networks: ") != std::string::npos);
        std::string bad2 = dir.file("bad2.conf", "dmarc_reject_failures = perhaps\n");
        r = harness::run({harness::builddir() + "/milter/mtaguard-milter", "-n", "-c", bad2});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.err, 2, r.status);
        CPPUNIT_ASSERT_MESSAGE(r.err, r.err.find(bad2 + ":1: dmarc_reject_failures") != std::string::npos);
        std::string bad3 = dir.file("bad3.conf", "# one\ndns_nameservers = [bad\n");
        r = harness::run({harness::builddir() + "/milter/mtaguard-milter", "-n", "-c", bad3});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.err, 2, r.status);
        CPPUNIT_ASSERT_MESSAGE(r.err, r.err.find(bad3 + ":2: dns_nameservers: malformed server \"[bad\"") !=
                                          std::string::npos);
        std::string good = dir.file("good.conf", "milter_skip_networks = 10.0.0.0/8\n");
        r = harness::run({harness::builddir() + "/milter/mtaguard-milter", "-n", "-c", good});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.err, 0, r.status);
        r = harness::run({harness::builddir() + "/milter/mtaguard-milter", "-x"});
        CPPUNIT_ASSERT_EQUAL(2, r.status);
    }

private:
    std::unique_ptr<harness::TestDns> dns_;
    std::unique_ptr<harness::Postfix> postfix_;
    std::unique_ptr<Milter> milter_;
};

CPPUNIT_TEST_SUITE_REGISTRATION(MilterPostfixTest);
