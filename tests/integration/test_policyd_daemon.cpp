// mtaguard-policyd as installed: the real daemon with the real MTA-STS engine
// (ldns-testns for DNS, a local HTTPS server with a test CA for the policy,
// Berkeley DB in a temporary directory), queried over its unix socket, by
// Postfix's own client (postmap -q) and by `mtaguard sts answer`:
// enforce -> OK secure match=..., testing / none / probes -> NOTFOUND, a
// failed fetch -> NOTFOUND then a backoff row, TLSRPT attributes from the
// fetched text, SIGHUP reload, SIGTERM clean stop, kill -9 and restart with
// DNS and HTTPS gone (the cache still answers), -n.
#include <cppunit/extensions/HelperMacros.h>

#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <thread>

#include "harness.h"
#include "https_server.h"
#include "json.h"
#include "policyd_client.h"

namespace {

const std::string kEnforceText =
    "version: STSv1\nmode: enforce\nmx: mx1.enforce.test\nmx: *.mx.enforce.test\nmax_age: 86400\n";
const std::string kEnforceReply = "OK secure match=mx1.enforce.test:.mx.enforce.test servername=hostname";

using harness::read_file;

std::string zone() {
    return harness::dns_txt("_mta-sts.enforce.test.", "v=STSv1; id=1") +
           harness::dns_txt("_mta-sts.testing.test.", "v=STSv1; id=1") +
           harness::dns_txt("_mta-sts.broken.test.", "v=STSv1; id=1") +
           harness::dns_entry("_mta-sts.none.test.", "TXT", "NXDOMAIN", "");
}

std::string current_user() {
    const passwd* pw = ::getpwuid(::geteuid());
    return pw ? pw->pw_name : "root";
}

// One world: DNS, an HTTPS server for mta-sts.<served>, a daemon.
class World {
public:
    explicit World(const std::string& served, const std::string& policy_text,
                   const std::vector<std::string>& extra = {})
        : pki_(dir_.path()), dns_(std::make_unique<harness::TestDns>(zone())) {
        https_ = std::make_unique<harness::HttpsServer>(pki_.issue("mta-sts." + served));
        https_->route("/.well-known/mta-sts.txt", harness::text_plain(policy_text));
        socket_ = dir_.path() + "/policyd.sock";
        std::string conf = "policyd_socket = unix:" + socket_ + "\n" +
                           "policyd_pid_file = " + dir_.path() + "/policyd.pid\n" +
                           "cache_dir = " + dir_.path() + "/cache\n" +
                           "user = " + current_user() + "\n" +
                           "dns_nameservers = " + dns_->nameserver() + "\n" +
                           "dns_timeout = 2s\n" +
                           "sts_ca_file = " + pki_.ca_file() + "\n" +
                           "sts_fetch_port = " + std::to_string(https_->port()) + "\n" +
                           "sts_fetch_resolve = mta-sts.enforce.test:127.0.0.1, mta-sts.testing.test:127.0.0.1,"
                           " mta-sts.broken.test:127.0.0.1\n" +
                           "sts_fetch_timeout = 10s\n" +
                           "sts_fetch_helper = " + harness::builddir() + "/policyd/mtaguard-sts-fetch\n" +
                           "policyd_miss_wait = 60s\n";
        for (const auto& line : extra) conf += line + "\n";
        conf_ = dir_.file("mtaguard.conf", conf);
        start();
    }

    void start() {
        log_ = dir_.path() + "/policyd.log." + std::to_string(++starts_);
        daemon_ = std::make_unique<harness::Process>(
            std::vector<std::string>{harness::builddir() + "/policyd/mtaguard-policyd", "-f", "-c", conf_}, log_);
        // Wait until the socket answers (bounded, only against a hung start).
        bool answering = harness::wait_until(
            [&] {
                harness::SocketmapClient probe(socket_);
                if (probe.connected()) return true;
                CPPUNIT_ASSERT_MESSAGE(read_file(log_), daemon_->running());
                return false;
            },
            std::chrono::seconds(10));
        CPPUNIT_ASSERT_MESSAGE("mtaguard-policyd did not start: " + read_file(log_), answering);
    }
    void kill9() {
        ::kill(daemon_->pid(), SIGKILL);
        while (daemon_->running()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    // The daemon's fetch helpers (mtaguard-sts-fetch, policyd/helper_fetcher.h).
    std::vector<pid_t> helpers() const { return harness::children_of(daemon_->pid(), "mtaguard-sts-fe"); }
    void stop_network() {
        https_.reset();
        dns_.reset();
    }

    std::unique_ptr<harness::SocketmapClient> client() {
        auto c = std::make_unique<harness::SocketmapClient>(socket_);
        CPPUNIT_ASSERT(c->connected());
        return c;
    }
    harness::ToolResult tool(std::vector<std::string> args) {
        args.insert(args.begin(), {"-c", conf_});
        return harness::run_tool(args);
    }

    harness::TempDir dir_;
    harness::TestPki pki_;
    std::unique_ptr<harness::TestDns> dns_;
    std::unique_ptr<harness::HttpsServer> https_;
    std::string socket_;
    std::string conf_;
    std::string log_;
    int starts_ = 0;
    std::unique_ptr<harness::Process> daemon_;
};

}  // namespace

class PolicydDaemonTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(PolicydDaemonTest);
    CPPUNIT_TEST(enforce_then_cached);
    CPPUNIT_TEST(postmap_reads_our_replies);
    CPPUNIT_TEST(testing_none_probes);
    CPPUNIT_TEST(fetch_failure_then_backoff);
    CPPUNIT_TEST(policy_failure_from_a_real_fetch);
    CPPUNIT_TEST(tlsrpt_attributes_from_fetched_text);
    CPPUNIT_TEST(kill9_restart_serves_cache);
    CPPUNIT_TEST(sighup_reload_and_sigterm);
    CPPUNIT_TEST(sigterm_cancels_fetch_in_flight);
    CPPUNIT_TEST(check_only);
    CPPUNIT_TEST(sts_answer_tool);
    CPPUNIT_TEST_SUITE_END();

public:
    void enforce_then_cached() {
        World w("enforce.test", kEnforceText);
        auto c = w.client();
        CPPUNIT_ASSERT_EQUAL(kEnforceReply, c->ask("mta-sts enforce.test"));
        CPPUNIT_ASSERT_EQUAL(kEnforceReply, c->ask("mta-sts ENFORCE.test."));
        CPPUNIT_ASSERT_EQUAL(1, w.https_->requests());  // the second answer came from the cache
        std::string log = read_file(w.log_);
        CPPUNIT_ASSERT_MESSAGE(log, log.find("lookup domain=enforce.test answer=secure cache=miss") != std::string::npos);
    }

    void postmap_reads_our_replies() {
        World w("enforce.test", kEnforceText);
        std::string pfdir = w.dir_.path() + "/postfix";
        ::mkdir(pfdir.c_str(), 0755);
        w.dir_.file("postfix/main.cf", "compatibility_level = 3.6\n");
        std::string map = "socketmap:unix:" + w.socket_ + ":mta-sts";
        auto r = harness::run({"postmap", "-c", pfdir, "-q", "enforce.test", map});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.err, 0, r.status);
        CPPUNIT_ASSERT_EQUAL(std::string("secure match=mx1.enforce.test:.mx.enforce.test servername=hostname\n"), r.out);
        auto none = harness::run({"postmap", "-c", pfdir, "-q", "none.test", map});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(none.err, 1, none.status);  // not found
        CPPUNIT_ASSERT_EQUAL(std::string(), none.out);
        auto perm = harness::run({"postmap", "-c", pfdir, "-q", "enforce.test", "socketmap:unix:" + w.socket_ + ":other"});
        CPPUNIT_ASSERT(perm.status != 0);
        CPPUNIT_ASSERT_MESSAGE(perm.err, perm.err.find("unknown map name") != std::string::npos);
    }

    void testing_none_probes() {
        World w("testing.test", "version: STSv1\nmode: testing\nmx: mx.testing.test\nmax_age: 86400\n");
        auto c = w.client();
        CPPUNIT_ASSERT_EQUAL(std::string("NOTFOUND "), c->ask("mta-sts testing.test"));
        CPPUNIT_ASSERT_EQUAL(1, w.https_->requests());  // it was fetched: testing means NOTFOUND
        CPPUNIT_ASSERT_EQUAL(std::string("NOTFOUND "), c->ask("mta-sts none.test"));
        CPPUNIT_ASSERT_EQUAL(std::string("NOTFOUND "), c->ask("mta-sts .testing.test"));
        CPPUNIT_ASSERT_EQUAL(std::string("NOTFOUND "), c->ask("mta-sts [192.0.2.1]:25"));
        CPPUNIT_ASSERT_EQUAL(std::string("PERM unknown map name"), c->ask("nope testing.test"));
        CPPUNIT_ASSERT_EQUAL(1, w.https_->requests());
    }

    void fetch_failure_then_backoff() {
        // mta-sts.broken.test reaches a server whose certificate names another host.
        World w("enforce.test", kEnforceText);
        auto c = w.client();
        CPPUNIT_ASSERT_EQUAL(std::string("NOTFOUND "), c->ask("mta-sts broken.test"));
        auto a = w.tool({"sts", "answer", "--json", "broken.test"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(a.err, 1, a.status);
        json::Value j = harness::tool_json(a);
        CPPUNIT_ASSERT_EQUAL(std::string("backoff"), j["cache"].as_string());
        CPPUNIT_ASSERT_EQUAL(std::string("NOTFOUND "), j["reply"].as_string());
        CPPUNIT_ASSERT_EQUAL(false, j["fetched"].as_bool());
        CPPUNIT_ASSERT_EQUAL(std::string("NOTFOUND "), c->ask("mta-sts broken.test"));
        std::string log = read_file(w.log_);
        CPPUNIT_ASSERT_MESSAGE(log, log.find("lookup domain=broken.test answer=notfound cache=miss"
                                             " fetch_failure=sts-webpki-invalid") != std::string::npos);
    }

    // sts_policy_failure = yes: the same failed fetch (a real HTTPS server
    // whose certificate names another host) answered with policy_failure=,
    // at once to the waiting request, then from the backoff row, and by
    // `mtaguard sts answer`; a domain without a record still gets NOTFOUND.
    void policy_failure_from_a_real_fetch() {
        World w("enforce.test", kEnforceText, {"sts_policy_failure = yes"});
        const std::string kFailure =
            "OK secure policy_type=sts policy_domain=broken.test policy_failure=sts-webpki-invalid";
        auto c = w.client();
        CPPUNIT_ASSERT_EQUAL(kFailure, c->ask("mta-sts broken.test"));
        CPPUNIT_ASSERT_EQUAL(kFailure, c->ask("mta-sts broken.test"));
        CPPUNIT_ASSERT_EQUAL(std::string("NOTFOUND "), c->ask("mta-sts none.test"));
        CPPUNIT_ASSERT_EQUAL(kEnforceReply, c->ask("mta-sts enforce.test"));
        auto a = w.tool({"sts", "answer", "--json", "broken.test"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(a.err, 0, a.status);  // an OK reply: Postfix applies (fails) it
        json::Value j = harness::tool_json(a);
        CPPUNIT_ASSERT_EQUAL(std::string("backoff"), j["cache"].as_string());
        CPPUNIT_ASSERT_EQUAL(kFailure, j["reply"].as_string());
        std::string log = read_file(w.log_);
        CPPUNIT_ASSERT_MESSAGE(log, log.find("lookup domain=broken.test answer=secure cache=miss"
                                             " fetch_failure=sts-webpki-invalid") != std::string::npos);
    }

    void tlsrpt_attributes_from_fetched_text() {
        std::string text = "version: STSv1\r\nmode: enforce\r\nmx: mx1.enforce.test\r\nmx: *.mx.enforce.test\r\n"
                           "max_age: 86400\r\n";
        World w("enforce.test", text, {"sts_tlsrpt_attributes = yes"});
        auto c = w.client();
        CPPUNIT_ASSERT_EQUAL(kEnforceReply +
                                 " policy_type=sts policy_domain=enforce.test mx_host_pattern=mx1.enforce.test"
                                 " mx_host_pattern=*.mx.enforce.test { policy_string = version: STSv1 }"
                                 " { policy_string = mode: enforce } { policy_string = mx: mx1.enforce.test }"
                                 " { policy_string = mx: *.mx.enforce.test } { policy_string = max_age: 86400 }",
                             c->ask("mta-sts enforce.test"));
    }

    void kill9_restart_serves_cache() {
        World w("enforce.test", kEnforceText);
        {
            auto c = w.client();
            CPPUNIT_ASSERT_EQUAL(kEnforceReply, c->ask("mta-sts enforce.test"));
            // Under load: requests in flight when the daemon dies.
            std::string burst;
            for (int i = 0; i < 200; ++i) burst += netstring::encode("mta-sts enforce.test");
            c->send_raw(burst);
            auto helpers = w.helpers();  // the one that fetched enforce.test
            CPPUNIT_ASSERT_EQUAL(std::size_t(1), helpers.size());
            w.kill9();
            // A helper sees its daemon gone (end of input) and exits.
            CPPUNIT_ASSERT(harness::wait_until([&] { return !harness::alive(helpers[0]); }, std::chrono::seconds(10)));
        }
        w.stop_network();  // no DNS, no HTTPS: only the cache can answer now
        w.start();
        auto c = w.client();
        CPPUNIT_ASSERT_EQUAL(kEnforceReply, c->ask("mta-sts enforce.test"));
    }

    void sighup_reload_and_sigterm() {
        World w("enforce.test", kEnforceText);
        auto c = w.client();
        CPPUNIT_ASSERT_EQUAL(kEnforceReply, c->ask("mta-sts enforce.test"));
        std::string pid = read_file(w.dir_.path() + "/policyd.pid");
        CPPUNIT_ASSERT_EQUAL(std::to_string(w.daemon_->pid()) + "\n", pid);
        std::ofstream(w.conf_, std::ios::app) << "policyd_map_name = renamed\n";
        ::kill(w.daemon_->pid(), SIGHUP);
        std::string reply;
        do reply = c->ask("renamed enforce.test");  // the connection persists across the reload
        while (reply == "PERM unknown map name");
        CPPUNIT_ASSERT_EQUAL(kEnforceReply, reply);
        CPPUNIT_ASSERT_EQUAL(std::string("PERM unknown map name"), c->ask("mta-sts enforce.test"));
        // A broken file is refused; the running configuration stays.
        std::ofstream(w.conf_, std::ios::app) << "bogus = 1\n";
        ::kill(w.daemon_->pid(), SIGHUP);
        std::string log;
        do log = read_file(w.log_);
        while (log.find("configuration not reloaded") == std::string::npos);
        CPPUNIT_ASSERT_EQUAL(kEnforceReply, c->ask("renamed enforce.test"));

        auto helpers = w.helpers();
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), helpers.size());
        ::kill(w.daemon_->pid(), SIGTERM);
        CPPUNIT_ASSERT_EQUAL(std::string("<closed>"), c->read_reply());
        while (w.daemon_->running()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
        CPPUNIT_ASSERT(!harness::alive(helpers[0]));  // ended by the daemon before it exited
        log = read_file(w.log_);
        CPPUNIT_ASSERT_MESSAGE(log, log.find("stopped") != std::string::npos);
        struct stat st {};
        CPPUNIT_ASSERT(::stat(w.socket_.c_str(), &st) != 0);  // socket removed
    }

    // SIGTERM while a miss waits on a policy server that holds its answer
    // back for 40 s (sts_fetch_timeout 10 s): the daemon answers NOTFOUND,
    // cancels the fetch (its helper killed) and exits; the cancelled fetch
    // leaves no row (not the backoff row a fetch that timed out would: the
    // domain did not fail).
    void sigterm_cancels_fetch_in_flight() {
        World w("enforce.test", kEnforceText);
        harness::HttpsResponse slow = harness::text_plain(kEnforceText);
        slow.delay = std::chrono::seconds(40);
        w.https_->route("/.well-known/mta-sts.txt", slow);
        auto c = w.client();
        c->send("mta-sts enforce.test");
        bool asked = harness::wait_until([&] { return w.https_->requests() == 1; }, std::chrono::seconds(10));
        CPPUNIT_ASSERT(asked);
        auto helpers = w.helpers();
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), helpers.size());
        ::kill(w.daemon_->pid(), SIGTERM);
        CPPUNIT_ASSERT_EQUAL(std::string("NOTFOUND "), c->read_reply());
        CPPUNIT_ASSERT_EQUAL(std::string("<closed>"), c->read_reply());
        while (w.daemon_->running()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
        CPPUNIT_ASSERT(!harness::alive(helpers[0]));
        std::string log = read_file(w.log_);
        CPPUNIT_ASSERT_MESSAGE(log, log.find("(stopping: not stored)") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(log, log.find("stopped") != std::string::npos);
        w.stop_network();  // the held answer is never sent
        auto show = w.tool({"cache", "show", "enforce.test"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(show.out + show.err, 1, show.status);
        CPPUNIT_ASSERT_EQUAL(std::string("enforce.test: not cached\n"), show.out);
    }

    void check_only() {
        harness::TempDir dir;
        std::string helper = "sts_fetch_helper = " + harness::builddir() + "/policyd/mtaguard-sts-fetch\n";
        std::string good = dir.file("good.conf", "policyd_socket = inet:127.0.0.1:8461\nuser = " + current_user() + "\n" + helper);
        auto ok = harness::run({harness::builddir() + "/policyd/mtaguard-policyd", "-n", "-c", good});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(ok.err, 0, ok.status);
        // The fetch helper must be there and executable.
        auto h = harness::run({harness::builddir() + "/policyd/mtaguard-policyd", "-n", "-c", good, "-o",
                               "sts_fetch_helper=" + dir.path() + "/missing-helper"});
        CPPUNIT_ASSERT_EQUAL(2, h.status);
        CPPUNIT_ASSERT_MESSAGE(h.err, h.err.find("sts_fetch_helper: " + dir.path() + "/missing-helper: No such file") !=
                                          std::string::npos);
        std::string bad = dir.file("bad.conf", "policyd_miss_wait = forever\n");
        auto r = harness::run({harness::builddir() + "/policyd/mtaguard-policyd", "-n", "-c", bad});
        CPPUNIT_ASSERT_EQUAL(2, r.status);
        CPPUNIT_ASSERT_MESSAGE(r.err, r.err.find(bad + ":1: policyd_miss_wait") != std::string::npos);
        std::string sock = dir.file("sock.conf", "policyd_socket = tcp:8461\n");
        auto s = harness::run({harness::builddir() + "/policyd/mtaguard-policyd", "-n", "-c", sock});
        CPPUNIT_ASSERT_EQUAL(2, s.status);
        CPPUNIT_ASSERT_MESSAGE(s.err, s.err.find("policyd_socket") != std::string::npos);
        std::string dns = dir.file("dns.conf", "dns_nameservers = [bad\nuser = " + current_user() + "\n" + helper);
        auto d = harness::run({harness::builddir() + "/policyd/mtaguard-policyd", "-n", "-c", dns});
        CPPUNIT_ASSERT_EQUAL(2, d.status);
        CPPUNIT_ASSERT_MESSAGE(d.err, d.err.find("dns_nameservers: malformed server \"[bad\"") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(d.err, d.err.find("dns_nameservers: dns_nameservers") == std::string::npos);
        auto u = harness::run({harness::builddir() + "/policyd/mtaguard-policyd", "-x"});
        CPPUNIT_ASSERT_EQUAL(2, u.status);
    }

    void sts_answer_tool() {
        World w("enforce.test", kEnforceText);
        auto first = w.tool({"sts", "answer", "--json", "Enforce.Test."});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(first.err, 0, first.status);
        json::Value j = harness::tool_json(first);
        CPPUNIT_ASSERT_EQUAL(std::string("Enforce.Test."), j["key"].as_string());
        CPPUNIT_ASSERT_EQUAL(std::string("domain"), j["key_kind"].as_string());
        CPPUNIT_ASSERT_EQUAL(std::string("enforce.test"), j["domain"].as_string());
        CPPUNIT_ASSERT_EQUAL(kEnforceReply, j["reply"].as_string());
        CPPUNIT_ASSERT_EQUAL(std::string("miss"), j["cache"].as_string());
        CPPUNIT_ASSERT_EQUAL(true, j["fetched"].as_bool());
        // The daemon shares the cache the tool filled: no second fetch.
        auto c = w.client();
        CPPUNIT_ASSERT_EQUAL(kEnforceReply, c->ask("mta-sts enforce.test"));
        CPPUNIT_ASSERT_EQUAL(1, w.https_->requests());
        auto text = w.tool({"sts", "answer", "enforce.test"});
        CPPUNIT_ASSERT_EQUAL(0, text.status);
        CPPUNIT_ASSERT_EQUAL(kEnforceReply + "\n", text.out);
        auto probe = w.tool({"sts", "answer", "--json", ".enforce.test"});
        CPPUNIT_ASSERT_EQUAL(1, probe.status);
        json::Value jp = harness::tool_json(probe);
        CPPUNIT_ASSERT_EQUAL(std::string("parent-probe"), jp["key_kind"].as_string());
        CPPUNIT_ASSERT(jp["domain"].is_null());
        CPPUNIT_ASSERT(jp["cache"].is_null());
        CPPUNIT_ASSERT_EQUAL(std::string("NOTFOUND \n"), w.tool({"sts", "answer", "[192.0.2.1]"}).out);
        CPPUNIT_ASSERT_EQUAL(2, w.tool({"sts", "answer"}).status);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(PolicydDaemonTest);
