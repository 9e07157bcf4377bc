// The MTA-STS fetcher and `mtaguard sts lookup` against real peers on
// loopback: a local HTTPS server with a test CA made here (valid policy, 404,
// redirect, wrong content type, oversized body, slow server, self-signed,
// expired and wrong-host certificates, invalid policy) and ldns-testns for
// discovery. Each failure asserts the RFC 8460 §4.3 type and reason.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cppunit/extensions/HelperMacros.h>

#include "dns.h"
#include "harness.h"
#include "https_server.h"
#include "json.h"
#include "sts/fetch.h"

namespace {

using harness::text_plain;

using sts::FetchFailure;

const std::string kHost = "mta-sts.example.com";
const std::string kPath = "/.well-known/mta-sts.txt";
const std::string kPolicy =
    "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\nmx: *.example.net\r\nmax_age: "
    "604800\r\n";

std::string zone() {
    return harness::dns_entry("_mta-sts.example.com.", "TXT", "NOERROR",
                              "_mta-sts.example.com. 300 IN TXT \"v=spf1 -all\"\n"
                              "_mta-sts.example.com. 300 IN TXT \"v=STSv1; \" \"id=20260101T000000;\"\n") +
           harness::dns_entry("_mta-sts.alias.example.", "TXT", "NOERROR",
                              "_mta-sts.alias.example. 300 IN CNAME _mta-sts.example.com.\n"
                              "_mta-sts.example.com. 300 IN TXT \"v=STSv1; id=viacname\"\n") +
           harness::dns_entry("_mta-sts.two.example.", "TXT", "NOERROR",
                              "_mta-sts.two.example. 300 IN TXT \"v=STSv1; id=a\"\n"
                              "_mta-sts.two.example. 300 IN TXT \"v=STSv1; id=b\"\n") +
           harness::dns_entry("_mta-sts.broken.example.", "TXT", "SERVFAIL", "") +
           harness::dns_entry("_mta-sts.nx.example.", "TXT", "NXDOMAIN", "");
}

// A TCP port on 127.0.0.1 that refuses connections (bound, never listening).
class ClosedPort {
public:
    ClosedPort() {
        fd_ = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof addr;
        bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
        getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
        port_ = ntohs(addr.sin_port);
    }
    ~ClosedPort() { close(fd_); }
    std::uint16_t port() const { return port_; }

private:
    int fd_ = -1;
    std::uint16_t port_ = 0;
};

}  // namespace

class StsFetchTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(StsFetchTest);
    CPPUNIT_TEST(valid_policy);
    CPPUNIT_TEST(not_found);
    CPPUNIT_TEST(redirect_refused);
    CPPUNIT_TEST(wrong_content_type);
    CPPUNIT_TEST(body_too_large);
    CPPUNIT_TEST(slow_server);
    CPPUNIT_TEST(connection_refused);
    CPPUNIT_TEST(invalid_policy);
    CPPUNIT_TEST(self_signed);
    CPPUNIT_TEST(expired);
    CPPUNIT_TEST(not_yet_valid);
    CPPUNIT_TEST(wrong_host);
    CPPUNIT_TEST(system_store_does_not_trust_test_ca);
    CPPUNIT_TEST(discovery_with_ldns_testns);
    CPPUNIT_TEST(cli_lookup_found);
    CPPUNIT_TEST(cli_lookup_failures);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override {
        tls_ = std::make_unique<harness::PkiDir>();
    }
    void tearDown() override {
        tls_.reset();
    }

    sts::FetchOptions options(std::uint16_t port) const {
        sts::FetchOptions o;
        o.ca_file = tls_->pki.ca_file();
        o.connect_timeout = std::chrono::milliseconds(3000);
        o.total_timeout = std::chrono::milliseconds(5000);
        o.port = port;
        o.resolve = {kHost + ":127.0.0.1"};
        return o;
    }

    sts::FetchResult fetch(harness::HttpsServer& server) {
        return sts::make_https_fetcher(options(server.port()))->fetch("example.com");
    }

    static void assert_failure(const sts::FetchResult& r, FetchFailure type,
                               const std::string& reason) {
        std::string msg =
            std::string(sts::failure_name(r.failure)) + " " + r.failure_reason + ": " + r.error;
        CPPUNIT_ASSERT_MESSAGE(msg, r.failure == type);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(msg, reason, r.failure_reason);
        CPPUNIT_ASSERT_MESSAGE(msg, !r.error.empty());
        CPPUNIT_ASSERT_MESSAGE(msg, !r.ok());
    }

    void valid_policy() {
        harness::HttpsServer server(tls_->pki.issue(kHost));
        server.route(kPath, {200, {{"Content-Type", "Text/Plain; charset=utf-8"}}, kPolicy});
        auto r = sts::make_https_fetcher(options(server.port()))->fetch("Example.COM.");
        CPPUNIT_ASSERT_MESSAGE(r.error, r.ok());
        CPPUNIT_ASSERT_EQUAL(std::string(""), r.failure_reason);
        CPPUNIT_ASSERT_EQUAL(kPolicy, r.text);
        CPPUNIT_ASSERT(r.policy.mode == sts::Mode::Enforce);
        CPPUNIT_ASSERT_EQUAL(std::uint32_t(604800), r.policy.max_age);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), r.policy.mx.size());
        CPPUNIT_ASSERT_EQUAL(std::string("mx1.example.com"), r.policy.mx[0]);
        CPPUNIT_ASSERT_EQUAL(std::string("*.example.net"), r.policy.mx[1]);
        CPPUNIT_ASSERT_EQUAL(1, server.requests());
        CPPUNIT_ASSERT_EQUAL(kHost, server.last_sni());  // SNI sent
    }

    void not_found() {
        harness::HttpsServer server(tls_->pki.issue(kHost));
        assert_failure(fetch(server), FetchFailure::FetchError, "http-status-404");
        server.route(kPath, text_plain(kPolicy, 500));
        assert_failure(fetch(server), FetchFailure::FetchError, "http-status-500");
    }

    void redirect_refused() {
        harness::HttpsServer server(tls_->pki.issue(kHost));
        std::string target =
            "https://" + kHost + ":" + std::to_string(server.port()) + "/elsewhere";
        server.route(kPath, {302, {{"Location", target}, {"Content-Type", "text/plain"}}, ""});
        server.route("/elsewhere", text_plain(kPolicy));
        assert_failure(fetch(server), FetchFailure::FetchError, "http-redirect");
        CPPUNIT_ASSERT_EQUAL(1, server.requests());  // the Location was not followed
    }

    void wrong_content_type() {
        harness::HttpsServer server(tls_->pki.issue(kHost));
        for (const char* type : {"text/plain", "TEXT/PLAIN", "text/plain;charset=utf-8",
                                 "text/plain ; charset=UTF-8"}) {
            server.route(kPath, {200, {{"Content-Type", type}}, kPolicy});
            auto r = fetch(server);
            CPPUNIT_ASSERT_MESSAGE(std::string(type) + ": " + r.error, r.ok());
        }
        for (const char* type : {"text/html", "application/octet-stream", "text/plainx",
                                 "application/json+text/plain", "text/plain+"}) {
            server.route(kPath, {200, {{"Content-Type", type}}, kPolicy});
            assert_failure(fetch(server), FetchFailure::FetchError, "content-type");
        }
        server.route(kPath, {200, {}, kPolicy});  // no Content-Type at all
        assert_failure(fetch(server), FetchFailure::FetchError, "content-type");
    }

    void body_too_large() {
        harness::HttpsServer server(tls_->pki.issue(kHost));
        std::string big = kPolicy + "x: " + std::string(65 * 1024, 'y') + "\n";
        server.route(kPath, text_plain(big));  // Content-Length announces it
        assert_failure(fetch(server), FetchFailure::FetchError, "policy-too-large");
        harness::HttpsResponse unannounced = text_plain(big);
        unannounced.content_length = false;  // the write callback must stop it
        server.route(kPath, unannounced);
        assert_failure(fetch(server), FetchFailure::FetchError, "policy-too-large");
        // Exactly at the cap is still a policy (parsed, then judged on content).
        std::string at_cap = kPolicy + "x: ";
        at_cap += std::string(sts::kMaxPolicySize - at_cap.size() - 1, 'y') + "\n";
        server.route(kPath, text_plain(at_cap));
        auto r = fetch(server);
        CPPUNIT_ASSERT_MESSAGE(r.error, r.ok());
        CPPUNIT_ASSERT_EQUAL(sts::kMaxPolicySize, r.text.size());
    }

    void slow_server() {
        harness::HttpsServer server(tls_->pki.issue(kHost));
        harness::HttpsResponse slow = text_plain(kPolicy);
        slow.delay = std::chrono::seconds(30);  // cut short when the server goes away
        server.route(kPath, slow);
        auto o = options(server.port());
        o.total_timeout = std::chrono::milliseconds(300);
        assert_failure(sts::make_https_fetcher(o)->fetch("example.com"), FetchFailure::FetchError,
                       "timeout");
    }

    void connection_refused() {
        ClosedPort closed;
        auto r = sts::make_https_fetcher(options(closed.port()))->fetch("example.com");
        assert_failure(r, FetchFailure::FetchError, "connect-failed");
    }

    void invalid_policy() {
        harness::HttpsServer server(tls_->pki.issue(kHost));
        std::string bad = "version: STSv1\nmode: enforce\nmax_age: 86400\n";  // no mx
        server.route(kPath, text_plain(bad));
        auto r = fetch(server);
        assert_failure(r, FetchFailure::PolicyInvalid, "policy-invalid");
        CPPUNIT_ASSERT_EQUAL(std::string("missing mx"), r.error);
        CPPUNIT_ASSERT_EQUAL(bad, r.text);
    }

    void self_signed() {
        harness::HttpsServer server(tls_->pki.issue(kHost, harness::CertKind::SelfSigned));
        server.route(kPath, text_plain(kPolicy));
        assert_failure(fetch(server), FetchFailure::WebPkiInvalid, "certificate-not-trusted");
        CPPUNIT_ASSERT_EQUAL(0, server.requests());
    }

    void expired() {
        harness::HttpsServer server(tls_->pki.issue(kHost, harness::CertKind::Expired));
        server.route(kPath, text_plain(kPolicy));
        assert_failure(fetch(server), FetchFailure::WebPkiInvalid, "certificate-expired");
        CPPUNIT_ASSERT_EQUAL(0, server.requests());
    }

    void not_yet_valid() {
        harness::HttpsServer server(tls_->pki.issue(kHost, harness::CertKind::NotYetValid));
        server.route(kPath, text_plain(kPolicy));
        auto r = fetch(server);
        assert_failure(r, FetchFailure::WebPkiInvalid, "validation-failure");
        CPPUNIT_ASSERT_MESSAGE(r.error, r.error.find("X509 verify result 9") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(0, server.requests());
    }

    void wrong_host() {
        harness::HttpsServer server(tls_->pki.issue("mta-sts.other.example"));
        server.route(kPath, text_plain(kPolicy));
        assert_failure(fetch(server), FetchFailure::WebPkiInvalid, "certificate-host-mismatch");
        CPPUNIT_ASSERT_EQUAL(0, server.requests());
        // The policy host is mta-sts.<domain>, not <domain> itself.
        harness::HttpsServer bare(tls_->pki.issue("example.com"));
        bare.route(kPath, text_plain(kPolicy));
        assert_failure(fetch(bare), FetchFailure::WebPkiInvalid, "certificate-host-mismatch");
    }

    void system_store_does_not_trust_test_ca() {
        harness::HttpsServer server(tls_->pki.issue(kHost));
        server.route(kPath, text_plain(kPolicy));
        auto o = options(server.port());
        o.ca_file.clear();
        assert_failure(sts::make_https_fetcher(o)->fetch("example.com"),
                       FetchFailure::WebPkiInvalid, "certificate-not-trusted");
    }

    void discovery_with_ldns_testns() {
        harness::TestDns dns(zone());
        dns::LdnsResolver resolver({dns.nameserver()}, std::chrono::milliseconds(2000));
        auto found = sts::discover("example.com", resolver);
        CPPUNIT_ASSERT(found.status == sts::DiscoveryStatus::Found);
        CPPUNIT_ASSERT_EQUAL(std::string("20260101T000000"), found.record.id);
        CPPUNIT_ASSERT_EQUAL(std::string("v=STSv1; id=20260101T000000;"), found.txt);
        auto alias = sts::discover("alias.example", resolver);
        CPPUNIT_ASSERT(alias.status == sts::DiscoveryStatus::Found);
        CPPUNIT_ASSERT_EQUAL(std::string("viacname"), alias.record.id);
        auto two = sts::discover("two.example", resolver);
        CPPUNIT_ASSERT(two.status == sts::DiscoveryStatus::None);
        CPPUNIT_ASSERT(two.error.find("2 STS records") != std::string::npos);
        CPPUNIT_ASSERT(sts::discover("nx.example", resolver).status == sts::DiscoveryStatus::None);
        CPPUNIT_ASSERT(sts::discover("broken.example", resolver).status ==
                       sts::DiscoveryStatus::TempError);
    }

    std::vector<std::string> lookup_args(const harness::TestDns& dns, std::uint16_t port,
                                         const std::string& domain) {
        return {"-o",     "dns_nameservers=" + dns.nameserver(),
                "-o",     "dns_timeout=2s",
                "-o",     "sts_ca_file=" + tls_->pki.ca_file(),
                "-o",     "sts_fetch_port=" + std::to_string(port),
                "-o",     "sts_fetch_resolve=" + kHost + ":127.0.0.1",
                "-o",     "sts_fetch_timeout=5s",
                "sts",    "lookup",
                "--json", domain};
    }

    void cli_lookup_found() {
        harness::TestDns dns(zone());
        harness::HttpsServer server(tls_->pki.issue(kHost));
        server.route(kPath, text_plain(kPolicy));
        auto r = harness::run_tool(lookup_args(dns, server.port(), "example.com"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.err, 0, r.status);
        json::Value j = harness::tool_json(r);
        CPPUNIT_ASSERT_EQUAL(std::string("found"), j["status"].as_string());
        CPPUNIT_ASSERT_EQUAL(std::string("example.com"), j["domain"].as_string());
        CPPUNIT_ASSERT_EQUAL(std::string("20260101T000000"), j["record_id"].as_string());
        CPPUNIT_ASSERT_EQUAL(sts::policy_url("example.com", server.port()),
                             j["url"].as_string());
        const auto& p = j["policy"];
        CPPUNIT_ASSERT_EQUAL(std::string("STSv1"), p["version"].as_string());
        CPPUNIT_ASSERT_EQUAL(std::string("enforce"), p["mode"].as_string());
        CPPUNIT_ASSERT_EQUAL(std::int64_t(604800), p["max_age"].as_int());
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), p["mx"].size());
        CPPUNIT_ASSERT_EQUAL(std::string("*.example.net"), p["mx"][1].as_string());
        CPPUNIT_ASSERT_EQUAL(kPolicy, j["policy_text"].as_string());
        CPPUNIT_ASSERT(j["failure"].is_null());
        CPPUNIT_ASSERT(j["error"].is_null());
        CPPUNIT_ASSERT_EQUAL(1, server.requests());

        auto args = lookup_args(dns, server.port(), "example.com");
        args.erase(args.end() - 2);  // without --json: for people
        auto text = harness::run_tool(args);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(text.err, 0, text.status);
        for (const char* line :
             {"status: found\n", "record: v=STSv1; id=20260101T000000;\n", "  mode: enforce\n",
              "  max_age: 604800\n", "  mx: *.example.net\n"})
            CPPUNIT_ASSERT_MESSAGE(text.out, text.out.find(line) != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(2, server.requests());
    }

    void cli_lookup_failures() {
        harness::TestDns dns(zone());
        harness::HttpsServer server(tls_->pki.issue(kHost, harness::CertKind::Expired));
        server.route(kPath, text_plain(kPolicy));
        auto r = harness::run_tool(lookup_args(dns, server.port(), "example.com"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.out + r.err, 1, r.status);
        json::Value j = harness::tool_json(r);
        CPPUNIT_ASSERT_EQUAL(std::string("failed"), j["status"].as_string());
        CPPUNIT_ASSERT_EQUAL(std::string("sts-webpki-invalid"), j["failure"].as_string());
        CPPUNIT_ASSERT_EQUAL(std::string("certificate-expired"),
                             j["failure_reason"].as_string());
        CPPUNIT_ASSERT(j["policy"].is_null());

        auto none = harness::run_tool(lookup_args(dns, server.port(), "nx.example"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(none.out + none.err, 1, none.status);
        json::Value jn = harness::tool_json(none);
        CPPUNIT_ASSERT_EQUAL(std::string("none"), jn["status"].as_string());
        CPPUNIT_ASSERT(jn["record_id"].is_null());
        CPPUNIT_ASSERT(jn["url"].is_null());

        auto temp = harness::run_tool(lookup_args(dns, server.port(), "broken.example"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(temp.out + temp.err, 75, temp.status);
        CPPUNIT_ASSERT_EQUAL(std::string("temperror"),
                             harness::tool_json(temp)["status"].as_string());

        auto usage = harness::run_tool({"sts", "lookup", "--json"});
        CPPUNIT_ASSERT_EQUAL(2, usage.status);
        CPPUNIT_ASSERT_EQUAL(0, server.requests());  // the expired certificate stopped every fetch
    }

private:
    std::unique_ptr<harness::PkiDir> tls_;
};

CPPUNIT_TEST_SUITE_REGISTRATION(StsFetchTest);
