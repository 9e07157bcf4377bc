// cidr: IPv4 and IPv6 addresses and CIDR networks (RFC 4632 §3.1 prefix
// notation, RFC 4291 §2.3 for IPv6), for lists such as milter_skip_networks.
//
// An IPv4-mapped IPv6 address (::ffff:a.b.c.d, RFC 4291 §2.5.5.2) is the IPv4
// address it maps, so "10.0.0.0/8" matches a client that Postfix reports as
// ::ffff:10.1.2.3. A network whose address has bits set beyond the prefix
// ("10.0.0.1/8") is an error, as a likely typo (Postfix warns the same).
// A bare address is a host network (/32 or /128). Parsing never throws;
// failures come back as an error string. Limit: kMaxNetworks per list.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace net {

struct Address {
    bool v6 = false;                     // false: the first 4 bytes hold IPv4
    std::array<std::uint8_t, 16> bytes{};
    std::string to_string() const;
};

// Numeric IPv4 or IPv6 text, optionally in brackets or with Postfix's
// "IPv6:" prefix; nullopt when malformed.
std::optional<Address> parse_address(std::string_view text);

struct Network {
    Address address;
    int prefix = 0;  // 0..32 for IPv4, 0..128 for IPv6
    bool contains(const Address& a) const;
    std::string to_string() const;
};

struct NetworkParse {
    std::optional<Network> network;
    std::string error;  // set when !network
};

NetworkParse parse_network(std::string_view text);

inline constexpr std::size_t kMaxNetworks = 10000;

// A list of networks; contains() is a linear scan (lists are short).
class NetworkList {
public:
    // Parses every entry; on the first bad one returns nullopt and sets error.
    static std::optional<NetworkList> parse(const std::vector<std::string>& entries, std::string& error);
    bool contains(const Address& a) const;
    bool empty() const { return networks_.empty(); }
    std::size_t size() const { return networks_.size(); }

private:
    std::vector<Network> networks_;
};

}  // namespace net
