// mtaguard-policyd's HTTPS fetch helper processes (policyd/helper_fetcher.h,
// policyd/fetch_helper_main.cpp): the real mtaguard-sts-fetch against a local
// HTTPS server with a test CA (a policy, a 404, an expired certificate, an
// invalid policy), helper reuse, idle exit and restart, concurrent fetches;
// and helpers that misbehave (missing, garbage, oversized reply, a lie about
// the policy, hanging, dying), each a fetch failure with its reason and no
// helper left behind. Also: the daemon itself does not load libcurl.
#include <sys/stat.h>
#include <unistd.h>

#include <cppunit/extensions/HelperMacros.h>

#include <fstream>
#include <thread>

#include "harness.h"
#include "helper_fetcher.h"
#include "https_server.h"
#include "sts/fetch.h"

namespace {

using sts::FetchFailure;
using namespace std::chrono_literals;

const std::string kPath = "/.well-known/mta-sts.txt";
const std::string kPolicy = "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\nmx: *.example.net\r\nmax_age: 604800\r\n";

std::string helper_path() { return harness::builddir() + "/policyd/mtaguard-sts-fetch"; }

// The live children of this process running `comm` (helpers: "mtaguard-sts-fe").
std::vector<pid_t> children(const std::string& comm = "mtaguard-sts-fe") {
    return harness::children_of(::getpid(), comm);
}

std::string script(const harness::TempDir& dir, const std::string& name, const std::string& body) {
    std::string path = dir.file(name, "#!/bin/sh\n" + body + "\n");
    ::chmod(path.c_str(), 0755);
    return path;
}

}  // namespace

class PolicydFetchHelperTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(PolicydFetchHelperTest);
    CPPUNIT_TEST(options_from_config);
    CPPUNIT_TEST(fetches_and_reuses_one_helper);
    CPPUNIT_TEST(failures_pass_through);
    CPPUNIT_TEST(idle_helper_exits_and_is_replaced);
    CPPUNIT_TEST(concurrent_fetches);
    CPPUNIT_TEST(reload_replaces_helpers);
    CPPUNIT_TEST(missing_helper);
    CPPUNIT_TEST(garbage_reply);
    CPPUNIT_TEST(oversized_reply);
    CPPUNIT_TEST(helper_claiming_an_invalid_policy_valid);
    CPPUNIT_TEST(hanging_helper_is_killed);
    CPPUNIT_TEST(cancel_ends_fetch_in_flight);
    CPPUNIT_TEST(dying_helper);
    CPPUNIT_TEST(helper_program_arguments);
    CPPUNIT_TEST(daemon_does_not_load_libcurl);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override {
        tls_ = std::make_unique<harness::PkiDir>();
    }
    void tearDown() override {
        tls_.reset();
    }

    // The options mtaguard-policyd would use with this configuration.
    policyd::HelperOptions options(std::uint16_t port) const {
        config::Loader loader;
        for (const std::string& o :
             {"sts_fetch_helper=" + helper_path(), "sts_ca_file=" + tls_->pki.ca_file(),
              "sts_fetch_port=" + std::to_string(port), std::string("sts_fetch_resolve=mta-sts.example.com:127.0.0.1"),
              std::string("sts_fetch_timeout=5s"), std::string("sts_connect_timeout=3s")})
            loader.override_value(o);
        auto config = loader.finish();
        CPPUNIT_ASSERT(config);
        return policyd::HelperOptions::from_config(*config);
    }

    std::unique_ptr<harness::HttpsServer> server(harness::HttpsResponse response,
                                                 harness::CertKind kind = harness::CertKind::Valid) {
        auto s = std::make_unique<harness::HttpsServer>(tls_->pki.issue("mta-sts.example.com", kind));
        s->route(kPath, std::move(response));
        return s;
    }

    static policyd::HelperOptions with_program(const std::string& program,
                                               std::chrono::milliseconds timeout = 10s) {
        policyd::HelperOptions o;
        o.program = program;
        o.reply_timeout = timeout;
        return o;
    }

    void options_from_config() {
        auto o = options(8443);
        CPPUNIT_ASSERT_EQUAL(helper_path(), o.program);
        CPPUNIT_ASSERT_EQUAL(std::chrono::milliseconds(5000) + policyd::kStartMargin, o.reply_timeout);
        std::vector<std::string> want = {"-o", "sts_ca_file=" + tls_->pki.ca_file(),
                                         "-o", "sts_connect_timeout=3s",
                                         "-o", "sts_fetch_timeout=5s",
                                         "-o", "sts_fetch_port=8443",
                                         "-o", "sts_fetch_resolve=mta-sts.example.com:127.0.0.1",
                                         "-i", std::to_string(policyd::kIdleSeconds)};
        CPPUNIT_ASSERT(want == o.arguments);
        config::Config defaults;
        CPPUNIT_ASSERT_EQUAL(std::string(MTAGUARD_PKGLIBEXECDIR "/mtaguard-sts-fetch"),
                             policyd::helper_program(defaults));
    }

    void fetches_and_reuses_one_helper() {
        auto s = server(harness::text_plain(kPolicy));
        policyd::HelperFetcher fetcher(options(s->port()));
        CPPUNIT_ASSERT(children().empty());
        auto r = fetcher.fetch("example.com");
        CPPUNIT_ASSERT_MESSAGE(r.error, r.ok());
        CPPUNIT_ASSERT(r.policy.mode == sts::Mode::Enforce);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), r.policy.mx.size());
        CPPUNIT_ASSERT_EQUAL(std::string("mx1.example.com"), r.policy.mx[0]);
        CPPUNIT_ASSERT_EQUAL(std::string("*.example.net"), r.policy.mx[1]);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(604800), static_cast<std::int64_t>(r.policy.max_age));
        CPPUNIT_ASSERT_EQUAL(kPolicy, r.text);
        auto first = children();
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), first.size());
        auto again = fetcher.fetch("Example.COM.");
        CPPUNIT_ASSERT_MESSAGE(again.error, again.ok());
        CPPUNIT_ASSERT(first == children());  // the same helper served both
    }

    void failures_pass_through() {
        auto missing = server(harness::text_plain("no", 404));
        auto r = policyd::HelperFetcher(options(missing->port())).fetch("example.com");
        CPPUNIT_ASSERT(r.failure == FetchFailure::FetchError);
        CPPUNIT_ASSERT_EQUAL(std::string("http-status-404"), r.failure_reason);

        auto expired = server(harness::text_plain(kPolicy), harness::CertKind::Expired);
        r = policyd::HelperFetcher(options(expired->port())).fetch("example.com");
        CPPUNIT_ASSERT(r.failure == FetchFailure::WebPkiInvalid);  // RFC 8460 §4.3.2.2
        CPPUNIT_ASSERT_EQUAL(std::string("certificate-expired"), r.failure_reason);

        auto invalid = server(harness::text_plain("version: STSv1\nmode: enforce\n"));
        r = policyd::HelperFetcher(options(invalid->port())).fetch("example.com");
        CPPUNIT_ASSERT(r.failure == FetchFailure::PolicyInvalid);
        CPPUNIT_ASSERT_EQUAL(std::string("policy-invalid"), r.failure_reason);
        CPPUNIT_ASSERT_EQUAL(std::string("version: STSv1\nmode: enforce\n"), r.text);
        CPPUNIT_ASSERT(children().empty());  // each fetcher ended its helper
    }

    void idle_helper_exits_and_is_replaced() {
        auto s = server(harness::text_plain(kPolicy));
        auto o = options(s->port());
        o.arguments.back() = "1";  // -i 1: exit after one idle second
        policyd::HelperFetcher fetcher(o);
        CPPUNIT_ASSERT_MESSAGE("first fetch", fetcher.fetch("example.com").ok());
        auto first = children();
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), first.size());
        CPPUNIT_ASSERT(harness::wait_until([] { return children().empty(); }, 10s));
        auto r = fetcher.fetch("example.com");
        CPPUNIT_ASSERT_MESSAGE(r.error, r.ok());
        auto second = children();
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), second.size());
        CPPUNIT_ASSERT(first != second);
    }

    void concurrent_fetches() {
        auto s = server(harness::text_plain(kPolicy));
        policyd::HelperFetcher fetcher(options(s->port()));
        constexpr int kThreads = 4;
        std::vector<sts::FetchResult> results(kThreads);
        std::vector<std::thread> threads;
        for (int i = 0; i < kThreads; ++i)
            threads.emplace_back([&, i] {
                for (int n = 0; n < 3; ++n) results[i] = fetcher.fetch("example.com");
            });
        for (auto& t : threads) t.join();
        for (const auto& r : results) {
            CPPUNIT_ASSERT_MESSAGE(r.error, r.ok());
            CPPUNIT_ASSERT_EQUAL(kPolicy, r.text);
        }
        auto running = children();
        CPPUNIT_ASSERT_MESSAGE(std::to_string(running.size()) + " helpers", !running.empty() && running.size() <= kThreads);
    }

    void reload_replaces_helpers() {
        auto first = server(harness::text_plain(kPolicy));
        const std::string testing = "version: STSv1\nmode: testing\nmx: mx.example.com\nmax_age: 3600\n";
        auto second = server(harness::text_plain(testing));
        policyd::HelperFetcher fetcher(options(first->port()));
        CPPUNIT_ASSERT(fetcher.fetch("example.com").policy.mode == sts::Mode::Enforce);
        auto before = children();
        fetcher.configure(options(first->port()));  // unchanged: the helper stays
        CPPUNIT_ASSERT(before == children());
        fetcher.configure(options(second->port()));  // sts_fetch_port changed
        CPPUNIT_ASSERT(children().empty());
        auto r = fetcher.fetch("example.com");
        CPPUNIT_ASSERT_MESSAGE(r.error, r.ok());
        CPPUNIT_ASSERT(r.policy.mode == sts::Mode::Testing);
        CPPUNIT_ASSERT_EQUAL(testing, r.text);
    }

    void missing_helper() {
        policyd::HelperFetcher fetcher(with_program(tls_->dir.path() + "/no-such-helper"));
        auto r = fetcher.fetch("example.com");
        CPPUNIT_ASSERT(r.failure == FetchFailure::FetchError);
        CPPUNIT_ASSERT_EQUAL(std::string("fetch-failed"), r.failure_reason);
        CPPUNIT_ASSERT_MESSAGE(r.error, r.error.find("no-such-helper: cannot start: No such file") != std::string::npos);
    }

    void garbage_reply() {
        policyd::HelperFetcher fetcher(with_program(script(tls_->dir, "garbage", "printf '5:hello,'; exec sleep 30")));
        auto r = fetcher.fetch("example.com");
        CPPUNIT_ASSERT(r.failure == FetchFailure::FetchError);
        CPPUNIT_ASSERT_EQUAL(std::string("fetch-failed"), r.failure_reason);
        CPPUNIT_ASSERT_MESSAGE(r.error, r.error.find("malformed reply") != std::string::npos);
        CPPUNIT_ASSERT(children("sleep").empty());  // killed, not left running
    }

    void oversized_reply() {
        policyd::HelperFetcher fetcher(
            with_program(script(tls_->dir, "oversized", "head -c 1000000 /dev/zero | tr '\\000' 9 2>/dev/null; exec sleep 30")));
        auto r = fetcher.fetch("example.com");
        CPPUNIT_ASSERT(r.failure == FetchFailure::FetchError);
        CPPUNIT_ASSERT_MESSAGE(r.error, r.error.find("malformed reply") != std::string::npos);
        CPPUNIT_ASSERT(children("sleep").empty());
    }

    void helper_claiming_an_invalid_policy_valid() {
        // A well-formed reply, failure None, with a text that is no policy:
        // the daemon parses it itself (RFC 8461 §3.2).
        policyd::HelperFetcher fetcher(with_program(
            script(tls_->dir, "liar", "printf '14:\\001\\000\\000\\000\\000\\000\\000\\000\\000\\004junk,'; exec sleep 30")));
        auto r = fetcher.fetch("example.com");
        CPPUNIT_ASSERT(r.failure == FetchFailure::PolicyInvalid);
        CPPUNIT_ASSERT_EQUAL(std::string("policy-invalid"), r.failure_reason);
        CPPUNIT_ASSERT_EQUAL(std::string("junk"), r.text);
    }

    void hanging_helper_is_killed() {
        policyd::HelperFetcher fetcher(with_program(script(tls_->dir, "hang", "exec sleep 30"), 300ms));
        auto r = fetcher.fetch("example.com");
        CPPUNIT_ASSERT(r.failure == FetchFailure::FetchError);
        CPPUNIT_ASSERT_EQUAL(std::string("timeout"), r.failure_reason);
        CPPUNIT_ASSERT_MESSAGE(r.error, r.error.find("no reply within 300ms") != std::string::npos);
        CPPUNIT_ASSERT(children("sleep").empty());
    }

    // SIGTERM: cancel() from another thread ends a fetch waiting on a helper
    // that would take 30 s (its reply timeout is a minute), kills the helper,
    // and no fetch starts one afterwards.
    void cancel_ends_fetch_in_flight() {
        policyd::HelperFetcher fetcher(with_program(script(tls_->dir, "slow", "exec sleep 30"), 60s));
        sts::FetchResult r;
        std::thread fetching([&] { r = fetcher.fetch("example.com"); });
        bool started = harness::wait_until([] { return !children("sleep").empty(); }, 10s);
        fetcher.cancel();
        fetching.join();
        CPPUNIT_ASSERT(started);
        CPPUNIT_ASSERT(r.failure == FetchFailure::FetchError);
        CPPUNIT_ASSERT_EQUAL(std::string("cancelled"), r.failure_reason);
        CPPUNIT_ASSERT_MESSAGE(r.error, r.error.find("cancelled: the daemon is stopping") != std::string::npos);
        CPPUNIT_ASSERT(children("sleep").empty());
        auto after = fetcher.fetch("example.com");
        CPPUNIT_ASSERT_EQUAL(std::string("cancelled"), after.failure_reason);
        CPPUNIT_ASSERT_MESSAGE(after.error, after.error.find("not started") != std::string::npos);
        CPPUNIT_ASSERT(children("sleep").empty());
    }

    void dying_helper() {
        policyd::HelperFetcher fetcher(with_program(script(tls_->dir, "die", "head -c 3 > /dev/null; exit 3")));
        auto r = fetcher.fetch("example.com");
        CPPUNIT_ASSERT(r.failure == FetchFailure::FetchError);
        CPPUNIT_ASSERT_EQUAL(std::string("fetch-failed"), r.failure_reason);
        CPPUNIT_ASSERT_MESSAGE(r.error, r.error.find("exited before replying") != std::string::npos);
    }

    void helper_program_arguments() {
        auto bad = harness::run({helper_path(), "-x"});
        CPPUNIT_ASSERT_EQUAL(2, bad.status);
        CPPUNIT_ASSERT_MESSAGE(bad.err, bad.err.find("unknown option or missing argument: -x") != std::string::npos);
        auto param = harness::run({helper_path(), "-o", "sts_fetch_port=0"});
        CPPUNIT_ASSERT_EQUAL(2, param.status);
        CPPUNIT_ASSERT_MESSAGE(param.err, param.err.find("sts_fetch_port") != std::string::npos);
        auto idle = harness::run({helper_path(), "-i", "0"});
        CPPUNIT_ASSERT_EQUAL(2, idle.status);
        auto eof = harness::run({helper_path()});  // end of input: nothing to do
        CPPUNIT_ASSERT_EQUAL_MESSAGE(eof.err, 0, eof.status);
        CPPUNIT_ASSERT_EQUAL(std::string(), eof.out);
        auto broken = harness::run({helper_path()}, "x:");
        CPPUNIT_ASSERT_EQUAL(1, broken.status);
        CPPUNIT_ASSERT_MESSAGE(broken.err, broken.err.find("malformed request") != std::string::npos);
    }

    void daemon_does_not_load_libcurl() {
        auto daemon = harness::run({"readelf", "-d", harness::builddir() + "/policyd/mtaguard-policyd"});
        CPPUNIT_ASSERT_EQUAL(0, daemon.status);
        CPPUNIT_ASSERT_MESSAGE(daemon.out, daemon.out.find("libldns") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(daemon.out, daemon.out.find("libcurl") == std::string::npos);
        auto helper = harness::run({"readelf", "-d", helper_path()});
        CPPUNIT_ASSERT_MESSAGE(helper.out, helper.out.find("libcurl") != std::string::npos);
    }

private:
    std::unique_ptr<harness::PkiDir> tls_;
};

CPPUNIT_TEST_SUITE_REGISTRATION(PolicydFetchHelperTest);
