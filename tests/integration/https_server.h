// https_server: a real HTTPS server on 127.0.0.1 for integration tests, and
// a test PKI made at test time with the OpenSSL API (nothing checked in).
//
//   harness::TempDir dir;
//   harness::TestPki pki(dir.path());                 // CA in pki.ca_file()
//   auto cert = pki.issue("mta-sts.example.com");     // valid, signed by the CA
//   // CertKind::Expired (CA-signed, expired yesterday), CertKind::NotYetValid
//   // (CA-signed, valid from tomorrow), CertKind::SelfSigned;
//   // a wrong-host certificate is a valid one issued for another name.
//   harness::HttpsServer server(cert);
//   server.route("/.well-known/mta-sts.txt",
//                {200, {{"Content-Type", "text/plain"}}, "version: STSv1\n..."});
//   fetch from https://mta-sts.example.com:<server.port()>/... resolved to 127.0.0.1
//
// Paths without a route answer 404. Each response is sent with
// Connection: close; connections are served one at a time on one thread.
// A route's delay holds the answer back (a slow server); the destructor cuts
// any delay short. The process ignores SIGPIPE while a server exists (a
// client that gives up must not kill the test).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "harness.h"

namespace harness {

enum class CertKind { Valid, Expired, NotYetValid, SelfSigned };

struct CertFiles {
    std::string cert_file;  // PEM
    std::string key_file;   // PEM
};

class TestPki {
public:
    explicit TestPki(const std::string& dir);  // writes ca.pem (+ key) into dir
    const std::string& ca_file() const { return ca_file_; }
    // A leaf certificate for `host` (subjectAltName DNS:host).
    CertFiles issue(const std::string& host, CertKind kind = CertKind::Valid);

private:
    std::string dir_;
    std::string ca_file_;
    std::string ca_key_file_;
    int serial_ = 1;
};

struct HttpsResponse {
    int status = 200;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::chrono::milliseconds delay{0};  // before the response is sent
    bool content_length = true;          // false: the body ends when the connection closes
};

// A temporary directory with a test CA in it, the state of an HTTPS test;
// fixtures make one in setUp() and drop it in tearDown().
struct PkiDir {
    TempDir dir;
    TestPki pki{dir.path()};
};

// A response with Content-Type text/plain (what RFC 8461 §3.3 requires).
HttpsResponse text_plain(std::string body, int status = 200);

class HttpsServer {
public:
    explicit HttpsServer(const CertFiles& cert);  // throws std::runtime_error on set-up failure
    ~HttpsServer();
    HttpsServer(const HttpsServer&) = delete;
    HttpsServer& operator=(const HttpsServer&) = delete;

    std::uint16_t port() const { return port_; }
    void route(const std::string& path, HttpsResponse response);
    int requests() const { return requests_; }  // complete requests read
    std::string last_sni() const;               // server name the last client sent

private:
    void run();
    void serve(int fd);
    bool wait_delay(std::chrono::milliseconds delay);  // false when stopping

    struct Impl;
    std::unique_ptr<Impl> impl_;  // the OpenSSL context
    int listen_fd_ = -1;
    int wake_[2] = {-1, -1};
    std::uint16_t port_ = 0;
    std::atomic<int> requests_{0};
    std::atomic<bool> stopping_{false};
    mutable std::mutex mutex_;
    std::condition_variable stop_cv_;
    std::map<std::string, HttpsResponse> routes_;
    std::string last_sni_;
    std::thread thread_;
};

}  // namespace harness
