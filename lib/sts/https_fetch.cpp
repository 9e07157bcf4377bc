// https_fetch: the MTA-STS policy fetch over HTTPS (RFC 8461 §3.3) with
// libcurl (OpenSSL backend), failures classified for TLSRPT (RFC 8460 §4.3).
//
// GET https://mta-sts.<domain>/.well-known/mta-sts.txt; the certificate is
// verified against the system trust store (or sts_ca_file) and the name
// mta-sts.<domain> (SNI sent); redirects are refused; only status 200 with
// Content-Type text/plain is accepted; the body is capped at kMaxPolicySize
// (64 KiB); connect and total timeouts; no proxy from the environment; https
// only. Failures:
//   sts-webpki-invalid      certificate-not-trusted, certificate-expired,
//                           certificate-host-mismatch, validation-failure
//   sts-policy-fetch-error  dns-failure, connect-failed, timeout, tls-failure,
//                           http-redirect, http-status-NNN, content-type,
//                           policy-too-large, fetch-failed
//   sts-policy-invalid      policy-invalid (the parser's error in `error`)
#include "build_config.h"

#include <curl/curl.h>
#include <openssl/x509_vfy.h>

#include <memory>
#include <mutex>

#include "domain.h"
#include "sts/fetch.h"

namespace sts {
namespace {

constexpr std::string_view kWellKnownPath = "/.well-known/mta-sts.txt";  // RFC 8461 §3.3
constexpr long kHttpOk = 200;

struct CurlDeleter {
    void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
    void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using CurlHandle = std::unique_ptr<CURL, CurlDeleter>;
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

struct Body {
    std::string text;
    bool too_large = false;
};

// Returning less than asked aborts the transfer (CURLE_WRITE_ERROR).
std::size_t write_body(char* data, std::size_t size, std::size_t count, void* user) {
    auto* body = static_cast<Body*>(user);
    std::size_t n = size * count;
    if (body->text.size() + n > kMaxPolicySize) {
        body->too_large = true;
        return 0;
    }
    body->text.append(data, n);
    return n;
}

FetchResult failure(FetchFailure type, std::string reason, std::string error) {
    FetchResult r;
    r.failure = type;
    r.failure_reason = std::move(reason);
    r.error = std::move(error);
    return r;
}

// RFC 8460 §4.3.1 result types name the certificate failures. The chain
// verdict is OpenSSL's verify result; the host name check is libcurl's own,
// run after a good chain, and it reports only through its message.
std::string certificate_reason(long verify_result, std::string_view detail) {
    constexpr std::string_view kCurlHostCheck = "target host name";
    switch (verify_result) {
        case X509_V_ERR_CERT_HAS_EXPIRED:
            return "certificate-expired";
        case X509_V_ERR_HOSTNAME_MISMATCH:
            return "certificate-host-mismatch";
        case X509_V_OK:
        case X509_V_ERR_UNSPECIFIED:
            return detail.find(kCurlHostCheck) != std::string_view::npos
                       ? "certificate-host-mismatch"
                       : "validation-failure";
        case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
        case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
        case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
        case X509_V_ERR_CERT_UNTRUSTED:
        case X509_V_ERR_CERT_REJECTED:
            return "certificate-not-trusted";
        default:
            return "validation-failure";
    }
}

FetchResult classify_curl_error(CURLcode code, CURL* curl, const Body& body, const char* detail) {
    std::string error =
        std::string(curl_easy_strerror(code)) + (detail[0] ? std::string(": ") + detail : "");
    switch (code) {
        case CURLE_PEER_FAILED_VERIFICATION: {
            long verify = X509_V_OK;
            curl_easy_getinfo(curl, CURLINFO_SSL_VERIFYRESULT, &verify);
            // RFC 8460 §4.3.2.2: the policy host's certificate failed PKIX validation.
            return failure(FetchFailure::WebPkiInvalid, certificate_reason(verify, detail),
                           error + " (X509 verify result " + std::to_string(verify) + ")");
        }
        case CURLE_COULDNT_RESOLVE_HOST:
            return failure(FetchFailure::FetchError, "dns-failure", error);
        case CURLE_COULDNT_CONNECT:
            return failure(FetchFailure::FetchError, "connect-failed", error);
        case CURLE_OPERATION_TIMEDOUT:
            return failure(FetchFailure::FetchError, "timeout", error);
        case CURLE_WRITE_ERROR:
        case CURLE_FILESIZE_EXCEEDED:
            if (body.too_large || code == CURLE_FILESIZE_EXCEEDED)
                return failure(FetchFailure::FetchError, "policy-too-large",
                               "policy larger than " + std::to_string(kMaxPolicySize) + " octets");
            return failure(FetchFailure::FetchError, "fetch-failed", error);
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_SSL_CIPHER:
            return failure(FetchFailure::FetchError, "tls-failure", error);
        default:
            return failure(FetchFailure::FetchError, "fetch-failed", error);
    }
}

// RFC 8461 §3.3: the media type must be text/plain; parameters such as
// charset may follow.
bool is_text_plain(const char* content_type) {
    if (!content_type) return false;
    std::string_view type(content_type);
    type = type.substr(0, type.find(';'));
    while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
    while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) type.remove_prefix(1);
    return domain::lower(type) == "text/plain";
}

class HttpsFetcher : public Fetcher {
public:
    explicit HttpsFetcher(FetchOptions options) : options_(std::move(options)) {
        static std::once_flag once;
        std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    }

    FetchResult fetch(std::string_view domain_in) override {
        auto name = domain::parse(domain_in);
        if (!name)
            return failure(FetchFailure::FetchError, "fetch-failed",
                           "invalid domain: " + name.error);
        CurlHandle curl(curl_easy_init());
        if (!curl)
            return failure(FetchFailure::FetchError, "fetch-failed", "curl_easy_init failed");
        Slist resolve = resolve_list("mta-sts." + name.name->ascii);
        Body body;
        char detail[CURL_ERROR_SIZE] = "";
        std::string url = policy_url(name.name->ascii, options_.port);
        configure(curl.get(), url, resolve.get(), body, detail);
        CURLcode code = curl_easy_perform(curl.get());
        if (code != CURLE_OK) return classify_curl_error(code, curl.get(), body, detail);
        return check_response(curl.get(), std::move(body.text));
    }

private:
    // sts_fetch_resolve entries for this host, as CURLOPT_RESOLVE wants them.
    Slist resolve_list(const std::string& host) const {
        Slist list;
        for (const auto& entry : options_.resolve) {
            auto colon = entry.find(':');
            if (colon == std::string::npos || domain::lower(entry.substr(0, colon)) != host)
                continue;
            std::string line =
                host + ":" + std::to_string(options_.port) + ":" + entry.substr(colon + 1);
            curl_slist* grown = curl_slist_append(list.get(), line.c_str());
            if (grown) {
                (void)list.release();
                list.reset(grown);
            }
        }
        return list;
    }

    void configure(CURL* c, const std::string& url, curl_slist* resolve, Body& body,
                   char* detail) const {
        curl_easy_setopt(c, CURLOPT_URL, url.c_str());
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
        curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION,
                         0L);  // RFC 8461 §3.3: redirects are not followed
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_PROXY, "");  // never a proxy from the environment
        curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER,
                         1L);  // RFC 8461 §3.3: valid for mta-sts.<domain>
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
        if (!options_.ca_file.empty()) {
            curl_easy_setopt(c, CURLOPT_CAINFO, options_.ca_file.c_str());
            curl_easy_setopt(c, CURLOPT_CAPATH, nullptr);  // only the named bundle
        }
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                         static_cast<long>(options_.connect_timeout.count()));
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.total_timeout.count()));
        curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(kMaxPolicySize));
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_body);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
        curl_easy_setopt(c, CURLOPT_ERRORBUFFER, detail);
        curl_easy_setopt(c, CURLOPT_USERAGENT, "mtaguard/" PACKAGE_VERSION);
        if (resolve) curl_easy_setopt(c, CURLOPT_RESOLVE, resolve);
    }

    static FetchResult check_response(CURL* c, std::string text) {
        long status = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        if (status >= 300 && status < 400)  // RFC 8461 §3.3: "MUST NOT follow" redirects
            return failure(FetchFailure::FetchError, "http-redirect",
                           "HTTP status " + std::to_string(status) + " (redirects are refused)");
        if (status != kHttpOk)  // RFC 8461 §3.3: only 200 is a policy
            return failure(FetchFailure::FetchError, "http-status-" + std::to_string(status),
                           "HTTP status " + std::to_string(status));
        const char* content_type = nullptr;
        curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &content_type);
        if (!is_text_plain(content_type))
            return failure(FetchFailure::FetchError, "content-type",
                           "Content-Type " + std::string(content_type ? content_type : "(none)") +
                               ", not text/plain");
        PolicyParse parsed = parse_policy(text);
        if (!parsed.policy) {
            FetchResult r = failure(FetchFailure::PolicyInvalid, "policy-invalid", parsed.error);
            r.text = std::move(text);
            return r;
        }
        FetchResult r;
        r.policy = std::move(*parsed.policy);
        r.text = std::move(text);
        return r;
    }

    FetchOptions options_;
};

}  // namespace

std::string policy_url(std::string_view ascii_domain, std::uint16_t port) {
    std::string url = "https://mta-sts." + std::string(ascii_domain);
    if (port != 443) url += ":" + std::to_string(port);
    return url + std::string(kWellKnownPath);
}

FetchOptions FetchOptions::from_config(const config::Config& config) {
    FetchOptions o;
    o.ca_file = config.str("sts_ca_file");
    o.connect_timeout = config.duration("sts_connect_timeout");
    o.total_timeout = config.duration("sts_fetch_timeout");
    o.port = static_cast<std::uint16_t>(config.integer("sts_fetch_port"));
    o.resolve = config.list("sts_fetch_resolve");
    return o;
}

std::unique_ptr<Fetcher> make_https_fetcher(const config::Config& config) {
    return make_https_fetcher(FetchOptions::from_config(config));
}

std::unique_ptr<Fetcher> make_https_fetcher(FetchOptions options) {
    return std::make_unique<HttpsFetcher>(std::move(options));
}

}  // namespace sts
