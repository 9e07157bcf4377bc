// Unit tests of lib/sts/reply: request splitting, KEY classification (probes,
// next hops, IP literals, case, trailing dot, IDNA), the reply table and the
// TLSRPT attributes, including policy content that tries to inject attributes.
#include <cppunit/extensions/HelperMacros.h>

#include "sts/get.h"
#include "sts/reply.h"

namespace {

sts::Policy make_policy(sts::Mode mode, std::vector<std::string> mx) {
    sts::Policy p;
    p.mode = mode;
    p.max_age = 604800;
    p.mx = std::move(mx);
    return p;
}

const std::string kRfcPolicy =
    "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\n"
    "mx: backupmx.example.com\r\nmax_age: 604800\r\n";

struct KeyCase {
    const char* label;
    const char* key;
    sts::KeyKind kind;
    const char* domain;  // Domain: expected A-label
};

const KeyCase kKeys[] = {
    {"plain", "example.com", sts::KeyKind::Domain, "example.com"},
    {"uppercase", "ExAmPle.COM", sts::KeyKind::Domain, "example.com"},
    {"trailing dot", "example.com.", sts::KeyKind::Domain, "example.com"},
    {"u-label", "bücher.example", sts::KeyKind::Domain, "xn--bcher-kva.example"},
    {"a-label", "XN--BCHER-KVA.example", sts::KeyKind::Domain, "xn--bcher-kva.example"},
    {"parent probe", ".example.com", sts::KeyKind::ParentProbe, ""},
    {"parent probe of tld", ".com", sts::KeyKind::ParentProbe, ""},
    {"bracketed host", "[mx.example.com]", sts::KeyKind::NextHop, ""},
    {"bracketed host port", "[mx.example.com]:587", sts::KeyKind::NextHop, ""},
    {"host port", "example.com:2525", sts::KeyKind::NextHop, ""},
    {"bracketed ipv4", "[192.0.2.1]", sts::KeyKind::IpLiteral, ""},
    {"bracketed ipv4 port", "[192.0.2.1]:25", sts::KeyKind::NextHop, ""},
    {"ipv4", "192.0.2.1", sts::KeyKind::IpLiteral, ""},
    {"ipv6", "2001:db8::1", sts::KeyKind::IpLiteral, ""},
    {"ipv6 tagged", "[IPv6:2001:db8::1]", sts::KeyKind::IpLiteral, ""},
    {"space inside", "exa mple.com", sts::KeyKind::NotADomain, ""},
    {"unix path", "/var/run/lmtp", sts::KeyKind::NotADomain, ""},
    {"empty label", "a..example", sts::KeyKind::NotADomain, ""},
};

}  // namespace

class StsReplyTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(StsReplyTest);
    CPPUNIT_TEST(split);
    CPPUNIT_TEST(keys);
    CPPUNIT_TEST(reply_table);
    CPPUNIT_TEST(tlsrpt_attributes);
    CPPUNIT_TEST(tlsrpt_rebuilt_lines);
    CPPUNIT_TEST(policy_failure_replies);
    CPPUNIT_TEST(injection_refused);
    CPPUNIT_TEST(size_bound);
    CPPUNIT_TEST(cached);
    CPPUNIT_TEST_SUITE_END();

public:
    void split() {
        auto r = sts::split_request("mta-sts example.com");
        CPPUNIT_ASSERT(r.has_value());
        CPPUNIT_ASSERT_EQUAL(std::string("mta-sts"), std::string(r->map_name));
        CPPUNIT_ASSERT_EQUAL(std::string("example.com"), std::string(r->key));
        auto two = sts::split_request("m a b");
        CPPUNIT_ASSERT_EQUAL(std::string("a b"), std::string(two->key));
        for (const char* bad : {"", "mta-sts", " example.com", "mta-sts ", " "})
            CPPUNIT_ASSERT_MESSAGE(bad, !sts::split_request(bad).has_value());
    }

    void keys() {
        for (const auto& c : kKeys) {
            auto k = sts::classify_key(c.key);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.label, std::string(sts::key_kind_name(c.kind)),
                                         std::string(sts::key_kind_name(k.kind)));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.label, std::string(c.domain), k.domain);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.label, k.kind == sts::KeyKind::NotADomain, !k.error.empty());
        }
    }

    void reply_table() {
        sts::ReplyOptions plain;
        auto enforce = make_policy(sts::Mode::Enforce, {"mail.example.com", "*.example.net"});
        CPPUNIT_ASSERT_EQUAL(std::string("OK secure match=mail.example.com:.example.net servername=hostname"),
                             sts::policy_reply(enforce, "", "example.com", plain));
        CPPUNIT_ASSERT_EQUAL(std::string("NOTFOUND "),
                             sts::policy_reply(make_policy(sts::Mode::Testing, {"mx.example.com"}), "",
                                               "example.com", plain));
        CPPUNIT_ASSERT_EQUAL(std::string("NOTFOUND "),
                             sts::policy_reply(make_policy(sts::Mode::None, {}), "", "example.com", plain));
        CPPUNIT_ASSERT_EQUAL(std::string("NOTFOUND "), sts::policy_reply(std::nullopt, "", "example.com", plain));
        CPPUNIT_ASSERT_EQUAL(std::string("PERM unknown map name"), std::string(sts::kReplyUnknownMap));
    }

    void tlsrpt_attributes() {
        sts::ReplyOptions opt;
        opt.tlsrpt_attributes = true;
        auto p = make_policy(sts::Mode::Enforce, {"mail.example.com", "*.example.net", "backupmx.example.com"});
        CPPUNIT_ASSERT_EQUAL(
            std::string("OK secure match=mail.example.com:.example.net:backupmx.example.com servername=hostname"
                        " policy_type=sts policy_domain=example.com mx_host_pattern=mail.example.com"
                        " mx_host_pattern=*.example.net mx_host_pattern=backupmx.example.com"
                        " { policy_string = version: STSv1 } { policy_string = mode: enforce }"
                        " { policy_string = mx: mail.example.com } { policy_string = mx: *.example.net }"
                        " { policy_string = mx: backupmx.example.com } { policy_string = max_age: 604800 }"),
            sts::policy_reply(p, kRfcPolicy, "example.com", opt));
        // Attributes never go on NOTFOUND (Postfix: an error for a non-STS policy).
        CPPUNIT_ASSERT_EQUAL(std::string("NOTFOUND "),
                             sts::policy_reply(make_policy(sts::Mode::Testing, {"mx.example.com"}), kRfcPolicy,
                                               "example.com", opt));
    }

    void tlsrpt_rebuilt_lines() {
        sts::ReplyOptions opt;
        opt.tlsrpt_attributes = true;
        opt.policy_failure = true;  // a policy is never a failure
        auto p = make_policy(sts::Mode::Enforce, {"mx.example.org"});
        p.extensions = {{"ext_a", "1"}};
        CPPUNIT_ASSERT_EQUAL(
            std::string("OK secure match=mx.example.org servername=hostname policy_type=sts"
                        " policy_domain=example.org mx_host_pattern=mx.example.org"
                        " { policy_string = version: STSv1 }"
                        " { policy_string = mode: enforce } { policy_string = mx: mx.example.org }"
                        " { policy_string = max_age: 604800 } { policy_string = ext_a: 1 }"),
            sts::policy_reply(p, "", "example.org", opt));
    }

    // sts_policy_failure: a domain with an _mta-sts record whose policy could
    // not be fetched (Postfix TLSRPT_README policy_failure); off: RFC 8461 §3.3.
    void policy_failure_replies() {
        sts::ReplyOptions off;
        sts::ReplyOptions on;
        on.policy_failure = true;
        const struct {
            sts::FetchFailure failure;
            const char* name;
        } failures[] = {{sts::FetchFailure::FetchError, "sts-policy-fetch-error"},
                        {sts::FetchFailure::PolicyInvalid, "sts-policy-invalid"},
                        {sts::FetchFailure::WebPkiInvalid, "sts-webpki-invalid"}};
        for (const auto& f : failures) {
            CPPUNIT_ASSERT_EQUAL(std::string("OK secure policy_type=sts policy_domain=example.org policy_failure=") +
                                     f.name,
                                 sts::no_policy_reply(f.failure, "example.org", on));
            CPPUNIT_ASSERT_EQUAL(std::string("NOTFOUND "), sts::no_policy_reply(f.failure, "example.org", off));
        }
        // No record (or DNS trouble): no policy, nothing failed.
        CPPUNIT_ASSERT_EQUAL(std::string("NOTFOUND "),
                             sts::no_policy_reply(sts::FetchFailure::None, "example.org", on));
        // A domain that cannot go into an attribute.
        CPPUNIT_ASSERT_EQUAL(std::string("NOTFOUND "),
                             sts::no_policy_reply(sts::FetchFailure::FetchError, "a b=c", on));

        // From the cache: a backoff row; a fresh policy stays a policy.
        sts::Lookup backoff;
        backoff.state = sts::CacheState::Backoff;
        backoff.policy_failure = sts::FetchFailure::WebPkiInvalid;
        CPPUNIT_ASSERT_EQUAL(std::string("OK secure policy_type=sts policy_domain=example.org"
                                         " policy_failure=sts-webpki-invalid"),
                             sts::cached_reply(backoff, "example.org", on));
        CPPUNIT_ASSERT_EQUAL(std::string("NOTFOUND "), sts::cached_reply(backoff, "example.org", off));
        sts::Lookup fresh;
        fresh.state = sts::CacheState::Fresh;
        fresh.policy = make_policy(sts::Mode::Enforce, {"mx.example.org"});
        CPPUNIT_ASSERT_EQUAL(std::string("OK secure match=mx.example.org servername=hostname"),
                             sts::cached_reply(fresh, "example.org", on));

        // From a fetch: failed; kept cached policy (fallback) applies as is.
        sts::GetResult failed;
        failed.failure = sts::FetchFailure::PolicyInvalid;
        failed.policy_failure = sts::FetchFailure::PolicyInvalid;
        CPPUNIT_ASSERT_EQUAL(std::string("OK secure policy_type=sts policy_domain=example.org"
                                         " policy_failure=sts-policy-invalid"),
                             sts::result_reply(failed, "example.org", on));
        sts::GetResult dns_down;
        dns_down.failure = sts::FetchFailure::FetchError;  // logged, but no record was seen
        CPPUNIT_ASSERT_EQUAL(std::string("NOTFOUND "), sts::result_reply(dns_down, "example.org", on));
        sts::GetResult kept;
        kept.policy = make_policy(sts::Mode::Enforce, {"mx.example.org"});
        kept.fallback = true;
        kept.failure = sts::FetchFailure::FetchError;
        CPPUNIT_ASSERT_EQUAL(std::string("OK secure match=mx.example.org servername=hostname"),
                             sts::result_reply(kept, "example.org", on));
    }

    void injection_refused() {
        sts::ReplyOptions opt;
        opt.tlsrpt_attributes = true;
        // Patterns the parser should never let through; the reply refuses them anyway.
        auto p = make_policy(sts::Mode::Enforce,
                             {"mx.example.com", "evil.example.com servername=x", "a:b.example", "{x}.example",
                              "x=y.example", "*.*.example", "UPPER.example", "mx\t.example"});
        std::string text =
            "version: STSv1\nmode: enforce\nmx: mx.example.com\nmax_age: 86400\n"
            "ext: } policy_failure=sts-webpki-invalid {\next2: a=b\next3: bad\x01"
            "\next4: {policy_string\n";
        std::string reply = sts::policy_reply(p, text, "example.com", opt);
        CPPUNIT_ASSERT_EQUAL(
            std::string("OK secure match=mx.example.com servername=hostname policy_type=sts"
                        " policy_domain=example.com mx_host_pattern=mx.example.com"
                        " { policy_string = version: STSv1 } { policy_string = mode: enforce }"
                        " { policy_string = mx: mx.example.com } { policy_string = max_age: 86400 }"),
            reply);
        // Every pattern unsafe: no usable policy.
        CPPUNIT_ASSERT_EQUAL(std::string("NOTFOUND "),
                             sts::policy_reply(make_policy(sts::Mode::Enforce, {"a b"}), "", "example.com", opt));
        // An unsafe domain never reaches the reply.
        std::string r3 = sts::policy_reply(make_policy(sts::Mode::Enforce, {"mx.example.com"}), "", "a=b", opt);
        CPPUNIT_ASSERT_EQUAL(std::string("OK secure match=mx.example.com servername=hostname"), r3);

        CPPUNIT_ASSERT(sts::safe_mx_pattern("*.example.net"));
        CPPUNIT_ASSERT(!sts::safe_mx_pattern("*."));
        CPPUNIT_ASSERT(!sts::safe_mx_pattern("a..b"));
        CPPUNIT_ASSERT(!sts::safe_mx_pattern(".a.b"));
        CPPUNIT_ASSERT(!sts::safe_mx_pattern("a.b."));
        CPPUNIT_ASSERT(sts::safe_policy_string("mode: enforce"));
        CPPUNIT_ASSERT(!sts::safe_policy_string(""));
        CPPUNIT_ASSERT(!sts::safe_policy_string("a\tb"));
    }

    void size_bound() {
        sts::ReplyOptions opt;
        opt.tlsrpt_attributes = true;
        std::vector<std::string> mx;
        for (int i = 0; i < 1500; ++i) mx.push_back("mx" + std::to_string(i) + ".example.com");
        auto p = make_policy(sts::Mode::Enforce, mx);
        std::string reply = sts::policy_reply(p, "", "example.com", opt);
        CPPUNIT_ASSERT(reply.size() <= sts::kMaxReplySize);
        CPPUNIT_ASSERT(reply.find("mx_host_pattern=mx1499.example.com") != std::string::npos);
        CPPUNIT_ASSERT(reply.find("policy_string") == std::string::npos);
    }

    void cached() {
        sts::ReplyOptions opt;
        sts::Lookup fresh;
        fresh.state = sts::CacheState::Fresh;
        fresh.policy = make_policy(sts::Mode::Enforce, {"mx.example.com"});
        CPPUNIT_ASSERT_EQUAL(std::string("OK secure match=mx.example.com servername=hostname"),
                             sts::cached_reply(fresh, "example.com", opt));
        sts::Lookup backoff = fresh;  // a stale policy in a backoff row is never applied
        backoff.state = sts::CacheState::Backoff;
        backoff.policy_failure = sts::FetchFailure::FetchError;
        CPPUNIT_ASSERT_EQUAL(std::string("NOTFOUND "), sts::cached_reply(backoff, "example.com", opt));
        opt.policy_failure = true;  // even then, never the stale policy
        CPPUNIT_ASSERT_EQUAL(std::string("OK secure policy_type=sts policy_domain=example.com"
                                         " policy_failure=sts-policy-fetch-error"),
                             sts::cached_reply(backoff, "example.com", opt));
        sts::Lookup miss;
        CPPUNIT_ASSERT_EQUAL(std::string("NOTFOUND "), sts::cached_reply(miss, "example.com", opt));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(StsReplyTest);
