// fetch: MTA-STS discovery (TXT record) and the HTTPS policy fetch
// (RFC 8461 §3.3), with failures classified for TLSRPT (RFC 8460 §4.3).
//
// CONTRACT (written before the implementation; keep these names).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config.h"
#include "dns.h"
#include "sts/policy.h"

namespace sts {

enum class DiscoveryStatus { Found, None, TempError };

struct Discovery {
    DiscoveryStatus status = DiscoveryStatus::None;
    Record record;     // when Found
    std::string txt;   // the record text when Found
    std::string error; // why None (no record, several records, invalid) or TempError
};

// Exactly one STS record at _mta-sts.<domain> (CNAME followed by the resolver).
Discovery discover(std::string_view domain, dns::Resolver& resolver);

// RFC 8460 §4.3 result types for policy failures.
enum class FetchFailure { None, FetchError, PolicyInvalid, WebPkiInvalid };
std::string_view failure_name(FetchFailure f);  // "", "sts-policy-fetch-error", "sts-policy-invalid", "sts-webpki-invalid"

struct FetchResult {
    FetchFailure failure = FetchFailure::None;
    Policy policy;               // when failure == None
    std::string text;            // the policy text as fetched
    std::string failure_reason;  // e.g. "certificate-expired", "http-status-404" (for TLSRPT failure-reason-code)
    std::string error;           // detail for logs
    // failure_reason values (mtaguard(1), FETCH FAILURES): WebPkiInvalid:
    // certificate-not-trusted|certificate-expired|certificate-host-mismatch|
    // validation-failure; FetchError: dns-failure|connect-failed|timeout|
    // tls-failure|http-redirect|http-status-NNN|content-type|policy-too-large|
    // fetch-failed; PolicyInvalid: policy-invalid.
    bool ok() const { return failure == FetchFailure::None; }
};

class Fetcher {
public:
    virtual ~Fetcher() = default;
    virtual FetchResult fetch(std::string_view domain) = 0;  // https://mta-sts.<domain>/.well-known/mta-sts.txt
};

// What the HTTPS fetcher needs; from_config reads sts_ca_file,
// sts_connect_timeout, sts_fetch_timeout, sts_fetch_port, sts_fetch_resolve.
struct FetchOptions {
    std::string ca_file;  // empty: the system trust store
    std::chrono::milliseconds connect_timeout{10000};
    std::chrono::milliseconds total_timeout{30000};
    std::uint16_t port = 443;          // RFC 8461 §3.3; other ports are for tests
    std::vector<std::string> resolve;  // "HOST:ADDRESS" used instead of DNS (tests)
    static FetchOptions from_config(const config::Config& config);
};

// libcurl + OpenSSL; sts_ca_file, sts_connect_timeout, sts_fetch_timeout.
// Thread-safe: every fetch uses its own curl handle.
std::unique_ptr<Fetcher> make_https_fetcher(const config::Config& config);
std::unique_ptr<Fetcher> make_https_fetcher(FetchOptions options);

// The URL of a domain's policy (RFC 8461 §3.3), with the port when not 443.
std::string policy_url(std::string_view ascii_domain, std::uint16_t port = 443);

}  // namespace sts
