// https_server: see https_server.h.
#include "https_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fcntl.h>

#include <csignal>
#include <cstdio>
#include <stdexcept>

namespace harness {
namespace {

constexpr std::size_t kMaxRequest = 16 * 1024;
constexpr long kDay = 24 * 60 * 60;
constexpr int kIoTimeoutSeconds = 10;

struct PkeyDeleter {
    void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct X509Deleter {
    void operator()(X509* x) const { X509_free(x); }
};
struct CtxDeleter {
    void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
struct SslDeleter {
    void operator()(SSL* s) const { SSL_free(s); }
};
struct FileCloser {
    void operator()(FILE* f) const { std::fclose(f); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyDeleter>;
using Cert = std::unique_ptr<X509, X509Deleter>;
using Ssl = std::unique_ptr<SSL, SslDeleter>;

[[noreturn]] void fail(const std::string& what) {
    throw std::runtime_error("test PKI / HTTPS server: " + what);
}

Pkey new_key() {
    Pkey key(EVP_EC_gen("P-256"));
    if (!key) fail("EC key generation failed");
    return key;
}

void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    if (!ext) fail(std::string("extension ") + value);
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
}

struct CertSpec {
    std::string common_name;
    std::string san;  // "DNS:host" or ""
    bool ca = false;
    long not_before = -kDay;  // seconds from now
    long not_after = 30 * kDay;
    int serial = 1;
};

// Signs with issuer_key; issuer == nullptr makes the certificate self-signed.
Cert make_cert(const CertSpec& spec, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key) {
    Cert cert(X509_new());
    if (!cert) fail("X509_new");
    X509_set_version(cert.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), spec.serial);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), spec.not_before);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), spec.not_after);
    X509_set_pubkey(cert.get(), key);
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(spec.common_name.c_str()), -1,
                               -1, 0);
    X509* signer = issuer ? issuer : cert.get();
    X509_set_issuer_name(cert.get(), X509_get_subject_name(signer));
    if (spec.ca) {
        add_extension(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE");
        add_extension(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
        add_extension(cert.get(), signer, NID_subject_key_identifier, "hash");
    } else {
        add_extension(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE");
        add_extension(cert.get(), signer, NID_ext_key_usage, "serverAuth");
    }
    if (!spec.san.empty())
        add_extension(cert.get(), signer, NID_subject_alt_name, spec.san.c_str());
    if (X509_sign(cert.get(), issuer ? issuer_key : key, EVP_sha256()) == 0) fail("X509_sign");
    return cert;
}

std::unique_ptr<FILE, FileCloser> open_file(const std::string& path, const char* mode) {
    std::unique_ptr<FILE, FileCloser> f(std::fopen(path.c_str(), mode));
    if (!f) fail("cannot open " + path);
    return f;
}

void write_pem(const std::string& path, X509* cert) {
    auto f = open_file(path, "w");
    if (!PEM_write_X509(f.get(), cert)) fail("PEM_write_X509 " + path);
}

void write_pem(const std::string& path, EVP_PKEY* key) {
    auto f = open_file(path, "w");
    if (!PEM_write_PrivateKey(f.get(), key, nullptr, nullptr, 0, nullptr, nullptr))
        fail("PEM key " + path);
}

Cert read_cert(const std::string& path) {
    auto f = open_file(path, "r");
    Cert c(PEM_read_X509(f.get(), nullptr, nullptr, nullptr));
    if (!c) fail("PEM_read_X509 " + path);
    return c;
}

Pkey read_key(const std::string& path) {
    auto f = open_file(path, "r");
    Pkey k(PEM_read_PrivateKey(f.get(), nullptr, nullptr, nullptr));
    if (!k) fail("PEM_read_PrivateKey " + path);
    return k;
}

const char* reason_phrase(int status) {
    switch (status) {
        case 200:
            return "OK";
        case 301:
            return "Moved Permanently";
        case 302:
            return "Found";
        case 404:
            return "Not Found";
        case 500:
            return "Internal Server Error";
        default:
            return "Status";
    }
}

bool write_all(SSL* ssl, const std::string& data) {
    std::size_t done = 0;
    while (done < data.size()) {
        int n = SSL_write(ssl, data.data() + done, static_cast<int>(data.size() - done));
        if (n <= 0) return false;
        done += static_cast<std::size_t>(n);
    }
    return true;
}

}  // namespace

// --- TestPki ---

TestPki::TestPki(const std::string& dir) : dir_(dir) {
    Pkey key = new_key();
    CertSpec spec;
    spec.common_name = "mtaguard test CA";
    spec.ca = true;
    spec.not_after = 365 * kDay;
    Cert ca = make_cert(spec, key.get(), nullptr, nullptr);
    ca_file_ = dir_ + "/ca.pem";
    ca_key_file_ = dir_ + "/ca.key";
    write_pem(ca_file_, ca.get());
    write_pem(ca_key_file_, key.get());
}

CertFiles TestPki::issue(const std::string& host, CertKind kind) {
    Pkey key = new_key();
    CertSpec spec;
    spec.common_name = host;
    spec.san = "DNS:" + host;
    spec.serial = ++serial_;
    if (kind == CertKind::Expired) {
        spec.not_before = -10 * kDay;
        spec.not_after = -kDay;
    } else if (kind == CertKind::NotYetValid) {
        spec.not_before = kDay;
        spec.not_after = 10 * kDay;
    }
    Cert cert;
    if (kind == CertKind::SelfSigned) {
        cert = make_cert(spec, key.get(), nullptr, nullptr);
    } else {
        Cert ca = read_cert(ca_file_);
        Pkey ca_key = read_key(ca_key_file_);
        cert = make_cert(spec, key.get(), ca.get(), ca_key.get());
    }
    std::string base = dir_ + "/leaf" + std::to_string(spec.serial);
    CertFiles files{base + ".pem", base + ".key"};
    write_pem(files.cert_file, cert.get());
    write_pem(files.key_file, key.get());
    return files;
}

// --- HttpsServer ---

struct HttpsServer::Impl {
    std::unique_ptr<SSL_CTX, CtxDeleter> ctx;
};

HttpsServer::HttpsServer(const CertFiles& cert) : impl_(std::make_unique<Impl>()) {
    std::signal(SIGPIPE, SIG_IGN);
    impl_->ctx.reset(SSL_CTX_new(TLS_server_method()));
    if (!impl_->ctx) fail("SSL_CTX_new");
    if (SSL_CTX_use_certificate_file(impl_->ctx.get(), cert.cert_file.c_str(), SSL_FILETYPE_PEM) !=
            1 ||
        SSL_CTX_use_PrivateKey_file(impl_->ctx.get(), cert.key_file.c_str(), SSL_FILETYPE_PEM) != 1)
        fail("cannot load " + cert.cert_file);
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (listen_fd_ < 0 || bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        listen(listen_fd_, 16) != 0 ||
        getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0 ||
        pipe2(wake_, O_CLOEXEC) != 0)
        fail("cannot listen on 127.0.0.1");
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { run(); });
}

HttpsServer::~HttpsServer() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    stop_cv_.notify_all();
    if (wake_[1] >= 0) (void)!write(wake_[1], "x", 1);
    if (thread_.joinable()) thread_.join();
    for (int fd : {listen_fd_, wake_[0], wake_[1]})
        if (fd >= 0) close(fd);
}

void HttpsServer::route(const std::string& path, HttpsResponse response) {
    std::lock_guard<std::mutex> lock(mutex_);
    routes_[path] = std::move(response);
}

std::string HttpsServer::last_sni() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return last_sni_;
}

void HttpsServer::run() {
    while (!stopping_) {
        pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
        if (poll(fds, 2, -1) < 0) continue;
        if (fds[1].revents) break;
        int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) continue;
        timeval tv{kIoTimeoutSeconds, 0};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        serve(fd);
        close(fd);
    }
}

bool HttpsServer::wait_delay(std::chrono::milliseconds delay) {
    std::unique_lock<std::mutex> lock(mutex_);
    return !stop_cv_.wait_for(lock, delay, [this] { return stopping_.load(); });
}

void HttpsServer::serve(int fd) {
    Ssl ssl(SSL_new(impl_->ctx.get()));
    if (!ssl) return;
    SSL_set_fd(ssl.get(), fd);
    if (SSL_accept(ssl.get()) != 1) {  // e.g. the client refused our certificate
        ERR_clear_error();
        return;
    }
    const char* sni = SSL_get_servername(ssl.get(), TLSEXT_NAMETYPE_host_name);
    std::string request;
    char buf[4096];
    while (request.find("\r\n\r\n") == std::string::npos && request.size() < kMaxRequest) {
        int n = SSL_read(ssl.get(), buf, sizeof buf);
        if (n <= 0) return;
        request.append(buf, static_cast<std::size_t>(n));
    }
    // "GET /path HTTP/1.1"
    auto sp1 = request.find(' ');
    auto sp2 = request.find(' ', sp1 + 1);
    std::string path = sp1 == std::string::npos || sp2 == std::string::npos
                           ? ""
                           : request.substr(sp1 + 1, sp2 - sp1 - 1);
    HttpsResponse response{404, {{"Content-Type", "text/plain"}}, "not found\n"};
    {
        std::lock_guard<std::mutex> lock(mutex_);
        last_sni_ = sni ? sni : "";
        if (auto it = routes_.find(path); it != routes_.end()) response = it->second;
    }
    ++requests_;
    if (response.delay.count() > 0 && !wait_delay(response.delay)) return;
    std::string head = "HTTP/1.1 " + std::to_string(response.status) + " " +
                       reason_phrase(response.status) + "\r\n";
    for (const auto& [name, value] : response.headers) head += name + ": " + value + "\r\n";
    if (response.content_length)
        head += "Content-Length: " + std::to_string(response.body.size()) + "\r\n";
    head += "Connection: close\r\n\r\n";
    if (write_all(ssl.get(), head) && write_all(ssl.get(), response.body)) SSL_shutdown(ssl.get());
    ERR_clear_error();
}

HttpsResponse text_plain(std::string body, int status) {
    return {status, {{"Content-Type", "text/plain"}}, std::move(body)};
}

}  // namespace harness
