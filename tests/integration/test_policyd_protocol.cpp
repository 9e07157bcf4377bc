// The socketmap server over real unix sockets, with a fake policy source
// (no DNS, no HTTPS): pipelined, split and coalesced requests, oversize and
// malformed input, unknown map name, probes, next hops, IP literals, IDN keys,
// 1,000 concurrent connections, a slow client beside a normal one, single
// flight, policyd_miss_wait, idle timeout, max connections, revalidation and
// the drain on stop. No assertion depends on timing.
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cppunit/extensions/HelperMacros.h>

#include <memory>
#include <thread>
#include <vector>

#include "common/captured_log.h"
#include "fake_policy_source.h"
#include "harness.h"
#include "listener.h"
#include "policyd_client.h"
#include "server.h"
#include "sts/reply.h"

namespace {

const std::string kSecure = "OK secure match=mx1.example.com:.example.net servername=hostname";

sts::Lookup fresh(std::vector<std::string> mx, bool revalidate_due = false) {
    sts::Lookup l;
    l.state = sts::CacheState::Fresh;
    l.policy = testing::FakePolicySource::policy(sts::Mode::Enforce, std::move(mx));
    l.age = std::chrono::seconds(60);
    l.revalidate_due = revalidate_due;
    return l;
}

sts::GetResult fetched(sts::Mode mode, std::vector<std::string> mx) {
    sts::GetResult r;
    r.policy = testing::FakePolicySource::policy(mode, std::move(mx));
    r.cache_state = sts::CacheState::Miss;
    return r;
}

// A server on a unix socket in a temporary directory, run on its own thread.
class RunningServer {
public:
    RunningServer(testing::FakePolicySource& source, const std::vector<std::string>& overrides) {
        path_ = dir_.path() + "/policyd.sock";
        config::Loader loader;
        for (const auto& o : overrides) loader.override_value(o);
        holder_ = std::make_unique<policyd::ConfigHolder>(loader.finish());
        auto listener = policyd::open_listener(*policyd::parse_socket_spec("unix:" + path_), std::nullopt);
        CPPUNIT_ASSERT_EQUAL(std::string(), listener.error);
        server_ = std::make_unique<policyd::Server>(std::move(listener.fd), source, *holder_);
        thread_ = std::thread([this] { server_->run(); });
    }
    ~RunningServer() { stop(); }
    void stop() {
        if (!thread_.joinable()) return;
        server_->request_stop();
        thread_.join();
    }
    const std::string& path() const { return path_; }
    std::unique_ptr<harness::SocketmapClient> client() const {
        auto c = std::make_unique<harness::SocketmapClient>(path_);
        CPPUNIT_ASSERT(c->connected());
        return c;
    }

private:
    harness::TempDir dir_;
    std::string path_;
    std::unique_ptr<policyd::ConfigHolder> holder_;
    std::unique_ptr<policyd::Server> server_;
    std::thread thread_;
};

struct Exchange {
    const char* label;
    std::string request;
    std::string reply;
};

}  // namespace

class PolicydProtocolTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(PolicydProtocolTest);
    CPPUNIT_TEST(pipelined_table);
    CPPUNIT_TEST(split_and_coalesced);
    CPPUNIT_TEST(bad_input_closes_only_that_connection);
    CPPUNIT_TEST(no_lookup_for_probes_and_literals);
    CPPUNIT_TEST(idn_and_case_keys);
    CPPUNIT_TEST(thousand_connections);
    CPPUNIT_TEST(slow_client_beside_normal_one);
    CPPUNIT_TEST(single_flight);
    CPPUNIT_TEST(miss_wait_then_cache);
    CPPUNIT_TEST(miss_wait_zero);
    CPPUNIT_TEST(reply_order_behind_a_miss);
    CPPUNIT_TEST(fetch_failure_answers_notfound);
    CPPUNIT_TEST(revalidation_in_background);
    CPPUNIT_TEST(failed_revalidation_held_back);
    CPPUNIT_TEST(failed_miss_held_back);
    CPPUNIT_TEST(unstored_policy_held);
    CPPUNIT_TEST(policy_failure_on);
    CPPUNIT_TEST(idle_connection_closed);
    CPPUNIT_TEST(max_connections);
    CPPUNIT_TEST(out_of_descriptors_at_accept);
    CPPUNIT_TEST(socket_of_a_running_daemon_kept);
    CPPUNIT_TEST(backlog_beyond_pipeline_limit);
    CPPUNIT_TEST(large_replies_to_pipelined_requests);
    CPPUNIT_TEST(stop_drains_waiting_requests);
    CPPUNIT_TEST(tlsrpt_attributes_on);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override {
        source_ = std::make_unique<testing::FakePolicySource>();
        source_->set_cached("example.com", fresh({"mx1.example.com", "*.example.net"}));
        sts::Lookup testing_mode;
        testing_mode.state = sts::CacheState::Fresh;
        testing_mode.policy = testing::FakePolicySource::policy(sts::Mode::Testing, {"mx.testing.example"});
        source_->set_cached("testing.example", testing_mode);
        sts::Lookup backoff;
        backoff.state = sts::CacheState::Backoff;
        backoff.policy_failure = sts::FetchFailure::FetchError;
        source_->set_cached("backoff.example", backoff);
    }

    void pipelined_table() {
        RunningServer server(*source_, {});
        const Exchange exchanges[] = {
            {"enforce", "mta-sts example.com", kSecure},
            {"testing", "mta-sts testing.example", "NOTFOUND "},
            {"backoff", "mta-sts backoff.example", "NOTFOUND "},
            {"unknown map", "other example.com", "PERM unknown map name"},
            {"parent probe", "mta-sts .example.com", "NOTFOUND "},
            {"ipv4", "mta-sts 192.0.2.1", "NOTFOUND "},
            {"bracketed ipv6", "mta-sts [IPv6:2001:db8::1]", "NOTFOUND "},
            {"next hop", "mta-sts [mx.example.com]:587", "NOTFOUND "},
            {"not a domain", "mta-sts exa_mple..com", "NOTFOUND "},
            {"enforce again", "mta-sts EXAMPLE.COM.", kSecure},
        };
        std::string all;
        for (int round = 0; round < 10; ++round)
            for (const auto& e : exchanges) all += netstring::encode(e.request);
        auto client = server.client();
        client->send_raw(all);  // 100 requests in one write
        for (int round = 0; round < 10; ++round)
            for (const auto& e : exchanges) CPPUNIT_ASSERT_EQUAL_MESSAGE(e.label, e.reply, client->read_reply());
        CPPUNIT_ASSERT_EQUAL(kSecure, client->ask("mta-sts example.com"));  // the connection persists
    }

    void split_and_coalesced() {
        RunningServer server(*source_, {});
        auto client = server.client();
        std::string one = netstring::encode("mta-sts example.com");
        for (char c : one) client->send_raw(std::string(1, c));
        CPPUNIT_ASSERT_EQUAL(kSecure, client->read_reply());
        // Two and a half requests, then the rest.
        std::string three = one + netstring::encode("mta-sts .x.example") + one;
        client->send_raw(three.substr(0, one.size() * 2 + 5));
        CPPUNIT_ASSERT_EQUAL(kSecure, client->read_reply());
        client->send_raw(three.substr(one.size() * 2 + 5));
        CPPUNIT_ASSERT_EQUAL(std::string("NOTFOUND "), client->read_reply());
        CPPUNIT_ASSERT_EQUAL(kSecure, client->read_reply());
    }

    void bad_input_closes_only_that_connection() {
        RunningServer server(*source_, {});
        auto bystander = server.client();
        CPPUNIT_ASSERT_EQUAL(kSecure, bystander->ask("mta-sts example.com"));
        const Exchange bad[] = {
            {"oversize length", "1025:", ""},
            {"huge length", "99999999999999999999:", ""},
            {"leading zero", "012:mta-sts a.de,", ""},
            {"not a netstring", "mta-sts example.com\n", ""},
            {"missing comma", "19:mta-sts example.com;", ""},
            {"no space", netstring::encode("mta-sts"), ""},
            {"empty name", netstring::encode(" example.com"), ""},
            {"empty key", netstring::encode("mta-sts "), ""},
        };
        for (const auto& b : bad) {
            auto client = server.client();
            client->send_raw(b.request);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(b.label, std::string("<closed>"), client->read_reply());
        }
        // A good request before the bad one is answered, then the connection closes.
        auto mixed = server.client();
        mixed->send_raw(netstring::encode("mta-sts example.com") + "x:");
        CPPUNIT_ASSERT_EQUAL(kSecure, mixed->read_reply());
        CPPUNIT_ASSERT_EQUAL(std::string("<closed>"), mixed->read_reply());
        // A request of exactly the size bound is accepted.
        std::string at_limit = "mta-sts " + std::string(policyd::kMaxRequestSize - 8, 'a');
        auto big = server.client();
        CPPUNIT_ASSERT_EQUAL(std::string("NOTFOUND "), big->ask(at_limit));
        CPPUNIT_ASSERT_EQUAL(kSecure, bystander->ask("mta-sts example.com"));
    }

    void no_lookup_for_probes_and_literals() {
        RunningServer server(*source_, {});
        auto client = server.client();
        for (const char* key : {".example.com", "192.0.2.1", "[192.0.2.1]", "::1", "[mx.example.com]",
                                "[mx.example.com]:25", "example.com:25", "bad..name"})
            CPPUNIT_ASSERT_EQUAL_MESSAGE(key, std::string("NOTFOUND "), client->ask(std::string("mta-sts ") + key));
        CPPUNIT_ASSERT_EQUAL(std::string("PERM unknown map name"), client->ask("MTA-STS example.com"));
        CPPUNIT_ASSERT_EQUAL(0, source_->total_lookups());
    }

    void idn_and_case_keys() {
        source_->set_cached("xn--bcher-kva.example", fresh({"mx.xn--bcher-kva.example"}));
        RunningServer server(*source_, {});
        auto client = server.client();
        const std::string expected = "OK secure match=mx.xn--bcher-kva.example servername=hostname";
        CPPUNIT_ASSERT_EQUAL(expected, client->ask("mta-sts bücher.example"));
        CPPUNIT_ASSERT_EQUAL(expected, client->ask("mta-sts BÜCHER.EXAMPLE."));
        CPPUNIT_ASSERT_EQUAL(expected, client->ask("mta-sts XN--BCHER-KVA.example"));
        CPPUNIT_ASSERT_EQUAL(3, source_->lookups("xn--bcher-kva.example"));
    }

    void thousand_connections() {
        RunningServer server(*source_, {});
        std::vector<std::unique_ptr<harness::SocketmapClient>> clients;
        for (int i = 0; i < 1000; ++i) clients.push_back(server.client());
        for (auto& c : clients) c->send("mta-sts example.com");
        for (auto& c : clients) CPPUNIT_ASSERT_EQUAL(kSecure, c->read_reply());
        // Every connection stays usable.
        for (auto& c : clients) c->send("mta-sts .example.com");
        for (auto& c : clients) CPPUNIT_ASSERT_EQUAL(std::string("NOTFOUND "), c->read_reply());
    }

    void slow_client_beside_normal_one() {
        RunningServer server(*source_, {});
        auto slow = server.client();
        std::string request = netstring::encode("mta-sts example.com");
        slow->send_raw(request.substr(0, 7));  // stalls mid-request
        auto normal = server.client();
        for (int i = 0; i < 20; ++i) CPPUNIT_ASSERT_EQUAL(kSecure, normal->ask("mta-sts example.com"));
        // The slow client was open all along: it finishes and is answered.
        slow->send_raw(request.substr(7));
        CPPUNIT_ASSERT_EQUAL(kSecure, slow->read_reply());
    }

    void single_flight() {
        source_->set_fetch("new.example", fetched(sts::Mode::Enforce, {"mx.new.example"}));
        source_->close_gate();
        RunningServer server(*source_, {"policyd_miss_wait=90s"});
        std::vector<std::unique_ptr<harness::SocketmapClient>> clients;
        for (int i = 0; i < 20; ++i) {
            clients.push_back(server.client());
            clients.back()->send("mta-sts new.example");
        }
        source_->wait_lookups("new.example", 20);  // all 20 are waiting on the fetch
        source_->open_gate();
        for (auto& c : clients)
            CPPUNIT_ASSERT_EQUAL(std::string("OK secure match=mx.new.example servername=hostname"), c->read_reply());
        CPPUNIT_ASSERT_EQUAL(1, source_->gets("new.example"));
    }

    void miss_wait_then_cache() {
        source_->set_fetch("slow.example", fetched(sts::Mode::Enforce, {"mx.slow.example"}));
        source_->close_gate();
        RunningServer server(*source_, {"policyd_miss_wait=1s"});
        auto client = server.client();
        // The fetch is held: the request is answered NOTFOUND when the wait ends.
        CPPUNIT_ASSERT_EQUAL(std::string("NOTFOUND "), client->ask("mta-sts slow.example"));
        CPPUNIT_ASSERT_EQUAL(0, source_->gets("slow.example") - 1);  // started, still running
        source_->open_gate();
        source_->wait_gets_done("slow.example", 1);
        // The fetch went on and filled the cache: now a hit.
        CPPUNIT_ASSERT_EQUAL(std::string("OK secure match=mx.slow.example servername=hostname"),
                             client->ask("mta-sts slow.example"));
        CPPUNIT_ASSERT_EQUAL(1, source_->gets("slow.example"));
    }

    void miss_wait_zero() {
        source_->set_fetch("now.example", fetched(sts::Mode::Enforce, {"mx.now.example"}));
        source_->close_gate();
        RunningServer server(*source_, {"policyd_miss_wait=0"});
        auto client = server.client();
        CPPUNIT_ASSERT_EQUAL(std::string("NOTFOUND "), client->ask("mta-sts now.example"));
        source_->wait_gets_started("now.example", 1);
        source_->open_gate();
        source_->wait_gets_done("now.example", 1);
        CPPUNIT_ASSERT_EQUAL(std::string("OK secure match=mx.now.example servername=hostname"),
                             client->ask("mta-sts now.example"));
    }

    void reply_order_behind_a_miss() {
        source_->set_fetch("later.example", fetched(sts::Mode::Enforce, {"mx.later.example"}));
        source_->close_gate();
        RunningServer server(*source_, {"policyd_miss_wait=90s"});
        auto client = server.client();
        client->send_raw(netstring::encode("mta-sts later.example") + netstring::encode("mta-sts .probe.example") +
                         netstring::encode("mta-sts example.com"));
        source_->wait_lookups("example.com", 1);  // the hit behind the miss was handled
        source_->open_gate();
        CPPUNIT_ASSERT_EQUAL(std::string("OK secure match=mx.later.example servername=hostname"), client->read_reply());
        CPPUNIT_ASSERT_EQUAL(std::string("NOTFOUND "), client->read_reply());
        CPPUNIT_ASSERT_EQUAL(kSecure, client->read_reply());
    }

    void fetch_failure_answers_notfound() {
        sts::GetResult failed;
        failed.failure = sts::FetchFailure::WebPkiInvalid;
        failed.failure_reason = "certificate-expired";
        source_->set_fetch("broken.example", failed);
        source_->set_fetch("test.example", fetched(sts::Mode::Testing, {"mx.test.example"}));
        RunningServer server(*source_, {"policyd_miss_wait=90s", "sts_tlsrpt_attributes=yes"});
        auto client = server.client();
        CPPUNIT_ASSERT_EQUAL(std::string("NOTFOUND "), client->ask("mta-sts broken.example"));
        CPPUNIT_ASSERT_EQUAL(std::string("NOTFOUND "), client->ask("mta-sts test.example"));
    }

    void revalidation_in_background() {
        source_->set_cached("old.example", fresh({"mx.old.example"}, true));
        source_->set_fetch("old.example", fetched(sts::Mode::Enforce, {"mx2.old.example"}));
        source_->close_gate();
        RunningServer server(*source_, {});
        auto client = server.client();
        // Answered from the cache at once although the revalidation is held.
        for (int i = 0; i < 5; ++i)
            CPPUNIT_ASSERT_EQUAL(std::string("OK secure match=mx.old.example servername=hostname"),
                                 client->ask("mta-sts old.example"));
        source_->wait_gets_started("old.example", 1);
        source_->open_gate();
        source_->wait_gets_done("old.example", 1);
        // The new policy is served once the server has taken the finished
        // revalidation (which forgets the remembered answer) off its queue.
        std::string reply;
        do reply = client->ask("mta-sts old.example");
        while (reply == "OK secure match=mx.old.example servername=hostname");
        CPPUNIT_ASSERT_EQUAL(std::string("OK secure match=mx2.old.example servername=hostname"), reply);
        CPPUNIT_ASSERT_EQUAL(1, source_->gets("old.example"));  // one revalidation, not five
    }

    // DNS down during a due revalidation: the engine keeps the cached policy
    // and the row stays due (lib/sts/get.cpp revalidate()). The finished
    // revalidation forgets the remembered answer, so the next requests read
    // the row again and find it due; no second revalidation may start
    // before kRevalidateRetry, or every request would start one.
    // A revalidation that kept the cached policy (DNS or HTTPS trouble) or
    // fetched a new one it could not store (disk full) leaves the row due:
    // without a hold every request would start the next one.
    void failed_revalidation_held_back() {
        const std::string kOld = "OK secure match=mx.old.example servername=hostname";
        sts::GetResult kept = fetched(sts::Mode::Enforce, {"mx.old.example"});
        kept.cache_state = sts::CacheState::Fresh;
        kept.fallback = true;
        kept.failure = sts::FetchFailure::FetchError;
        kept.failure_reason = "dns-failure";
        sts::GetResult unstored = fetched(sts::Mode::Enforce, {"mx.new.example"});
        unstored.cache_state = sts::CacheState::Fresh;
        unstored.stored = false;
        RunningServer server(*source_, {});
        auto client = server.client();
        for (const auto& [domain, result] : {std::pair{"kept.example", kept}, std::pair{"unstored.example", unstored}}) {
            source_->set_cached(domain, fresh({"mx.old.example"}, true));
            source_->set_fetch(domain, result);
            const std::string ask = std::string("mta-sts ") + domain;
            CPPUNIT_ASSERT_EQUAL_MESSAGE(domain, kOld, client->ask(ask));
            source_->wait_gets_done(domain, 1);
            int lookups = source_->lookups(domain);
            for (int i = 0; i < 40; ++i) {
                CPPUNIT_ASSERT_EQUAL_MESSAGE(domain, kOld, client->ask(ask));
                std::this_thread::sleep_for(std::chrono::milliseconds(5));
            }
            CPPUNIT_ASSERT_MESSAGE(domain, source_->lookups(domain) > lookups);  // the due row was read again
            CPPUNIT_ASSERT_EQUAL_MESSAGE(domain, 1, source_->gets(domain));
        }
        // Another domain's revalidation is not held back by them.
        source_->set_cached("other.example", fresh({"mx.other.example"}, true));
        source_->set_fetch("other.example", fetched(sts::Mode::Enforce, {"mx.other.example"}));
        CPPUNIT_ASSERT_EQUAL(std::string("OK secure match=mx.other.example servername=hostname"),
                             client->ask("mta-sts other.example"));
        source_->wait_gets_done("other.example", 1);
        CPPUNIT_ASSERT_EQUAL(1, source_->gets("other.example"));
    }

    // A miss whose policy was fetched but could not be stored (disk full,
    // database error) is still a miss for the next request. Its requests get
    // the fetched reply for kMissRetry instead of one fetch each.
    void unstored_policy_held() {
        sts::GetResult unstored = fetched(sts::Mode::Enforce, {"mx.full.example"});
        unstored.stored = false;
        source_->set_fetch("full.example", unstored);
        RunningServer server(*source_, {"policyd_miss_wait=90s"});
        auto client = server.client();
        for (int i = 0; i < 20; ++i)
            CPPUNIT_ASSERT_EQUAL(std::string("OK secure match=mx.full.example servername=hostname"),
                                 client->ask("mta-sts full.example"));
        CPPUNIT_ASSERT_EQUAL(1, source_->gets("full.example"));
        CPPUNIT_ASSERT_EQUAL(20, source_->lookups("full.example"));  // still no row
    }

    // sts_policy_failure = yes: a domain that publishes an _mta-sts record
    // but whose policy could not be fetched gets policy_failure= (Postfix
    // TLSRPT_README) instead of NOTFOUND, from a backoff row, from a failed
    // miss (to its waiters and, held, to the requests after it); a miss that
    // failed on DNS (no record seen) still gets NOTFOUND.
    void policy_failure_on() {
        sts::GetResult webpki;
        webpki.failure = sts::FetchFailure::WebPkiInvalid;
        webpki.policy_failure = sts::FetchFailure::WebPkiInvalid;
        webpki.failure_reason = "certificate-expired";
        source_->set_fetch("badcert.example", webpki);
        sts::GetResult down;
        down.failure = sts::FetchFailure::FetchError;
        down.failure_reason = "dns-temporary-failure";
        source_->set_fetch("down.example", down);
        RunningServer server(*source_, {"policyd_miss_wait=90s", "sts_policy_failure=yes"});
        auto client = server.client();
        CPPUNIT_ASSERT_EQUAL(std::string("OK secure policy_type=sts policy_domain=backoff.example"
                                         " policy_failure=sts-policy-fetch-error"),
                             client->ask("mta-sts backoff.example"));
        const std::string kBadCert =
            "OK secure policy_type=sts policy_domain=badcert.example policy_failure=sts-webpki-invalid";
        CPPUNIT_ASSERT_EQUAL(kBadCert, client->ask("mta-sts badcert.example"));
        CPPUNIT_ASSERT_EQUAL(kBadCert, client->ask("mta-sts badcert.example"));
        CPPUNIT_ASSERT_EQUAL(1, source_->gets("badcert.example"));
        CPPUNIT_ASSERT_EQUAL(std::string("NOTFOUND "), client->ask("mta-sts down.example"));
        CPPUNIT_ASSERT_EQUAL(std::string("NOTFOUND "), client->ask("mta-sts testing.example"));
        CPPUNIT_ASSERT_EQUAL(kSecure, client->ask("mta-sts example.com"));
    }

    // DNS down on a miss: the engine stores nothing (lib/sts/get.cpp miss(),
    // no backoff row for a temporary DNS failure), so the domain is still a
    // miss for the next request. No second fetch may start before
    // kMissRetry, or every request would start one (a DNS query, a wait of
    // up to policyd_miss_wait and a log line each, for as long as DNS is down).
    void failed_miss_held_back() {
        sts::GetResult down;
        down.cache_state = sts::CacheState::Miss;
        down.failure = sts::FetchFailure::FetchError;
        down.failure_reason = "dns-temporary-failure";
        source_->set_fetch("down.example", down);
        source_->set_fetch("up.example", fetched(sts::Mode::Enforce, {"mx.up.example"}));
        RunningServer server(*source_, {"policyd_miss_wait=90s"});
        auto client = server.client();
        for (int i = 0; i < 20; ++i)
            CPPUNIT_ASSERT_EQUAL(std::string("NOTFOUND "), client->ask("mta-sts down.example"));
        CPPUNIT_ASSERT_EQUAL(1, source_->gets("down.example"));
        CPPUNIT_ASSERT_EQUAL(20, source_->lookups("down.example"));  // the cache is still read first
        // Another domain's fetch is not held back by it.
        CPPUNIT_ASSERT_EQUAL(std::string("OK secure match=mx.up.example servername=hostname"),
                             client->ask("mta-sts up.example"));
        CPPUNIT_ASSERT_EQUAL(1, source_->gets("up.example"));
    }

    void idle_connection_closed() {
        RunningServer server(*source_, {"policyd_idle_timeout=1s"});
        auto idle = server.client();
        CPPUNIT_ASSERT_EQUAL(std::string("<closed>"), idle->read_reply());
        auto fresh_client = server.client();
        CPPUNIT_ASSERT_EQUAL(kSecure, fresh_client->ask("mta-sts example.com"));
    }

    void max_connections() {
        RunningServer server(*source_, {"policyd_max_connections=2"});
        auto a = server.client();
        auto b = server.client();
        CPPUNIT_ASSERT_EQUAL(kSecure, a->ask("mta-sts example.com"));
        CPPUNIT_ASSERT_EQUAL(kSecure, b->ask("mta-sts example.com"));
        auto c = server.client();
        CPPUNIT_ASSERT_EQUAL(std::string("<closed>"), c->ask("mta-sts example.com"));
        a.reset();
        // A slot is free again once a connection is gone.
        std::string reply;
        do {
            auto d = server.client();
            reply = d->ask("mta-sts example.com");
        } while (reply == "<closed>");
        CPPUNIT_ASSERT_EQUAL(kSecure, reply);
    }

    // accept() failing with EMFILE leaves the connection queued and the
    // listener readable; polled again at once, the event loop spun and logged
    // "accept: Too many open files" on every turn for as long as the process
    // had no descriptor free. Now the listener pauses until a connection
    // closes (or the next housekeeping tick), with one warning; connections
    // already open are served meanwhile, the queued one once a descriptor is free.
    void out_of_descriptors_at_accept() {
        RunningServer server(*source_, {});
        auto open = server.client();
        CPPUNIT_ASSERT_EQUAL(kSecure, open->ask("mta-sts example.com"));
        auto other = server.client();
        int queued_fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        CPPUNIT_ASSERT(queued_fd >= 0);
        std::vector<std::string> lines;
        {
            testing::CapturedLog log;
            // No descriptor can be made from here on: the lowest free one is the limit.
            int lowest_free = ::dup(STDIN_FILENO);
            ::close(lowest_free);
            rlimit saved{};
            ::getrlimit(RLIMIT_NOFILE, &saved);
            rlimit low = saved;
            low.rlim_cur = static_cast<rlim_t>(lowest_free);
            CPPUNIT_ASSERT_EQUAL(0, ::setrlimit(RLIMIT_NOFILE, &low));
            harness::SocketmapClient queued(server.path(), queued_fd);
            CPPUNIT_ASSERT(queued.connected());
            queued.send("mta-sts example.com");
            // The event loop goes round a few times while it cannot accept.
            for (int i = 0; i < 20; ++i) {
                CPPUNIT_ASSERT_EQUAL(kSecure, open->ask("mta-sts example.com"));
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
            }
            CPPUNIT_ASSERT_EQUAL(0, ::setrlimit(RLIMIT_NOFILE, &saved));
            other.reset();  // a connection closes: accepting again
            CPPUNIT_ASSERT_EQUAL(kSecure, queued.read_reply());
            lines = log.lines();
        }
        int accept_lines = 0;
        for (const auto& line : lines) accept_lines += line.find("accept") != std::string::npos;
        CPPUNIT_ASSERT_EQUAL(1, accept_lines);
    }

    // A second daemon on the same policyd_socket (started by hand beside the
    // service, or a second unit) used to unlink the running daemon's socket
    // and bind its own: the first daemon lost its clients, and whichever
    // stopped first removed the socket of the other. A socket someone
    // listens on is now refused; a stale one (nobody listening: a daemon
    // killed with -9) is still replaced.
    void socket_of_a_running_daemon_kept() {
        RunningServer server(*source_, {});
        auto spec = *policyd::parse_socket_spec("unix:" + server.path());
        auto second = policyd::open_listener(spec, std::nullopt);
        CPPUNIT_ASSERT_MESSAGE("second listener opened", !second.fd);
        CPPUNIT_ASSERT_MESSAGE(second.error, second.error.find("in use") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(kSecure, server.client()->ask("mta-sts example.com"));

        harness::TempDir dir;
        auto stale = *policyd::parse_socket_spec("unix:" + dir.path() + "/stale.sock");
        policyd::open_listener(stale, std::nullopt);  // opened and closed: the file stays
        auto replaced = policyd::open_listener(stale, std::nullopt);
        CPPUNIT_ASSERT_EQUAL(std::string(), replaced.error);
        CPPUNIT_ASSERT(replaced.fd);
    }

    void backlog_beyond_pipeline_limit() {
        source_->set_fetch("held.example", fetched(sts::Mode::Enforce, {"mx.held.example"}));
        source_->close_gate();
        RunningServer server(*source_, {"policyd_miss_wait=90s"});
        auto client = server.client();
        // A miss at the front holds every reply behind it; more requests than
        // kMaxPipelined wait parsed or unparsed, none is lost or reordered.
        std::string all = netstring::encode("mta-sts held.example");
        const int n = static_cast<int>(policyd::kMaxPipelined) * 3;
        for (int i = 0; i < n; ++i) all += netstring::encode(i % 2 ? "mta-sts example.com" : "mta-sts .p.example");
        client->send_raw(all);
        source_->wait_gets_started("held.example", 1);
        source_->open_gate();
        CPPUNIT_ASSERT_EQUAL(std::string("OK secure match=mx.held.example servername=hostname"), client->read_reply());
        for (int i = 0; i < n; ++i)
            CPPUNIT_ASSERT_EQUAL(i % 2 ? kSecure : std::string("NOTFOUND "), client->read_reply());
    }

    // A reply may be 100 kB (sts::kMaxReplySize: a large policy with TLSRPT
    // attributes) for a request of 20 bytes. Replies to pipelined requests
    // are built only while less than kMaxOutput waits for the client (in the
    // output buffer or behind a miss); the rest of the input waits unparsed.
    // Before, one read of pipelined requests built every reply at once
    // (megabytes per connection), and the connection was then closed as a
    // client that does not read its replies, though it was reading them.
    void large_replies_to_pipelined_requests() {
        sts::Lookup big = fresh({"mx.big.example"});
        big.policy_text = "version: STSv1\nmode: enforce\nmx: mx.big.example\nmax_age: 86400\n";
        for (int i = 0; i < 1000; ++i) big.policy_text += "x" + std::to_string(i) + ": 0123456789abcdef\n";
        source_->set_cached("big.example", big);
        sts::ReplyOptions tlsrpt;
        tlsrpt.tlsrpt_attributes = true;
        const std::string expected = sts::policy_reply(big.policy, big.policy_text, "big.example", tlsrpt);
        CPPUNIT_ASSERT(expected.size() > 40000);
        source_->set_fetch("held.example", fetched(sts::Mode::Testing, {"mx.held.example"}));
        source_->close_gate();
        RunningServer server(*source_, {"policyd_miss_wait=90s", "sts_tlsrpt_attributes=yes"});
        const int n = 400;  // 16 MB of replies
        std::string requests;
        for (int i = 0; i < n; ++i) requests += netstring::encode("mta-sts big.example");
        struct Case {
            const char* label;
            bool miss_first;  // replies wait behind a fetch, then go out at once
        };
        for (const Case& c : {Case{"straight out", false}, Case{"behind a miss", true}}) {
            auto client = server.client();
            client->send_raw((c.miss_first ? netstring::encode("mta-sts held.example") : "") + requests);
            if (c.miss_first) {
                source_->wait_gets_started("held.example", 1);
                source_->open_gate();
                CPPUNIT_ASSERT_EQUAL_MESSAGE(c.label, std::string("NOTFOUND "), client->read_reply());
            }
            for (int i = 0; i < n; ++i) CPPUNIT_ASSERT_EQUAL_MESSAGE(c.label, expected, client->read_reply());
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.label, std::string("NOTFOUND "), client->ask("mta-sts .still.open"));
        }
    }

    void stop_drains_waiting_requests() {
        source_->set_fetch("never.example", fetched(sts::Mode::Enforce, {"mx.never.example"}));
        source_->close_gate();
        auto server = std::make_unique<RunningServer>(*source_, std::vector<std::string>{"policyd_miss_wait=90s"});
        auto client = server->client();
        client->send("mta-sts never.example");
        source_->wait_gets_started("never.example", 1);
        std::thread stopper([&] { server->stop(); });
        CPPUNIT_ASSERT_EQUAL(std::string("NOTFOUND "), client->read_reply());
        CPPUNIT_ASSERT_EQUAL(std::string("<closed>"), client->read_reply());
        // The fetch held at the gate was cancelled, not waited for.
        bool cancelled = harness::wait_until([&] { return source_->cancelled(); }, std::chrono::seconds(10));
        source_->open_gate();  // (if not, the server could never join its workers)
        stopper.join();
        CPPUNIT_ASSERT(cancelled);
    }

    void tlsrpt_attributes_on() {
        RunningServer server(*source_, {"sts_tlsrpt_attributes=yes"});
        auto client = server.client();
        CPPUNIT_ASSERT_EQUAL(
            kSecure + " policy_type=sts policy_domain=example.com mx_host_pattern=mx1.example.com"
                      " mx_host_pattern=*.example.net { policy_string = version: STSv1 }"
                      " { policy_string = mode: enforce } { policy_string = mx: mx1.example.com }"
                      " { policy_string = mx: *.example.net } { policy_string = max_age: 86400 }",
            client->ask("mta-sts example.com"));
        // Attributes alone do not make a failure a policy (sts_policy_failure = no).
        CPPUNIT_ASSERT_EQUAL(std::string("NOTFOUND "), client->ask("mta-sts backoff.example"));
    }

private:
    std::unique_ptr<testing::FakePolicySource> source_;
};

CPPUNIT_TEST_SUITE_REGISTRATION(PolicydProtocolTest);
