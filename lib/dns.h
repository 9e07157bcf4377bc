// dns: the Resolver interface every DNS consumer in mtaguard uses, and its
// ldns implementation.
//
// Answers are values, never exceptions: a Status (ok, nxdomain, nodata,
// servfail, timeout), the records, the TTL (smallest of the answer RRset) and
// `authentic`: the AD bit of a response to a query sent with the DO bit set
// (RFC 4035 §3.2.3, RFC 6840 §5.7), i.e. the upstream validating resolver
// vouches for the data. Negative answers carry the SOA minimum (RFC 2308 §5)
// as negative_ttl when the server sent one.
//
// LdnsResolver: nameservers from `dns_nameservers` (ip, ip:port, [ipv6]:port)
// or /etc/resolv.conf; `dns_timeout` per attempt; a query that times out or
// gets SERVFAIL is retried once. Recursion desired; CNAME chains in the answer
// section are followed to the queried type. TXT strings of one record are
// joined without separator (RFC 7208 §3.3, RFC 7489 §6.1, RFC 8461 §3.1).
// Thread-safe: every query uses its own ldns resolver object.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config.h"

namespace dns {

enum class Status { Ok, NxDomain, NoData, ServFail, Timeout };
enum class RrType { A, AAAA, MX, TXT, TLSA, CNAME };

std::string_view status_name(Status status);
std::string_view type_name(RrType type);

struct MxRecord {
    std::uint16_t preference = 0;
    std::string host;  // lowercase, no trailing dot
};

struct TlsaRecord {
    std::uint8_t usage = 0;
    std::uint8_t selector = 0;
    std::uint8_t matching_type = 0;
    std::vector<std::uint8_t> data;
};

struct Answer {
    Status status = Status::ServFail;
    std::uint32_t ttl = 0;           // Ok: smallest TTL of the records
    std::uint32_t negative_ttl = 0;  // NxDomain/NoData: SOA minimum, 0 if none
    bool authentic = false;          // AD bit set (DO was requested)
    std::vector<std::string> texts;  // TXT (joined), A/AAAA (address text), CNAME (target)
    std::vector<MxRecord> mx;
    std::vector<TlsaRecord> tlsa;
    std::string error;  // detail for ServFail/Timeout, for logs

    bool ok() const { return status == Status::Ok; }
    // NXDOMAIN and NODATA both mean "no such record": a definite negative.
    bool negative() const { return status == Status::NxDomain || status == Status::NoData; }
    bool temporary() const { return status == Status::ServFail || status == Status::Timeout; }
};

class Resolver {
public:
    virtual ~Resolver() = default;
    virtual Answer query(std::string_view name, RrType type) = 0;
};

struct Nameserver {
    std::string address;  // numeric IPv4 or IPv6
    std::uint16_t port = 53;
};

// "127.0.0.1", "127.0.0.1:5353", "::1", "[::1]:5353"; nullopt when malformed.
std::optional<Nameserver> parse_nameserver(std::string_view spec);

class LdnsResolver : public Resolver {
public:
    // Empty list: nameservers of /etc/resolv.conf (read once, here).
    // Throws std::runtime_error when a server spec is malformed or resolv.conf
    // has no usable server: configuration errors, checked at start-up.
    LdnsResolver(const std::vector<std::string>& nameservers, std::chrono::milliseconds timeout);
    Answer query(std::string_view name, RrType type) override;

private:
    Answer query_once(std::string_view name, RrType type);
    std::vector<Nameserver> servers_;
    std::chrono::milliseconds timeout_;
};

// The resolver the configuration asks for (dns_nameservers, dns_timeout): the
// one place the daemons and the tool build it. On a configuration error it
// returns nullptr and sets `error` to a message naming the parameter.
std::unique_ptr<LdnsResolver> resolver_from_config(const config::Config& config, std::string& error);

}  // namespace dns
