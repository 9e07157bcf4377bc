// cidr: see cidr.h.
#include "net/cidr.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace net {
namespace {

constexpr std::array<std::uint8_t, 12> kMappedPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

int bits(const Address& a) { return a.v6 ? 128 : 32; }

// True when the first `prefix` bits of a and b agree.
bool same_prefix(const Address& a, const Address& b, int prefix) {
    int whole = prefix / 8;
    if (std::memcmp(a.bytes.data(), b.bytes.data(), static_cast<std::size_t>(whole)) != 0) return false;
    int rest = prefix % 8;
    if (rest == 0) return true;
    auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
    return (a.bytes[static_cast<std::size_t>(whole)] & mask) == (b.bytes[static_cast<std::size_t>(whole)] & mask);
}

bool host_bits_zero(const Address& a, int prefix) {
    Address masked = a;
    for (int i = prefix; i < bits(a); ++i)
        masked.bytes[static_cast<std::size_t>(i / 8)] &= static_cast<std::uint8_t>(~(0x80 >> (i % 8)));
    return masked.bytes == a.bytes;
}

}  // namespace

std::string Address::to_string() const {
    char buf[INET6_ADDRSTRLEN] = {};
    inet_ntop(v6 ? AF_INET6 : AF_INET, bytes.data(), buf, sizeof buf);
    return buf;
}

std::optional<Address> parse_address(std::string_view text) {
    if (text.size() >= 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
    if (text.size() > 5 && (text.substr(0, 5) == "IPv6:" || text.substr(0, 5) == "ipv6:")) text = text.substr(5);
    if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
    std::string s(text);
    Address a;
    if (inet_pton(AF_INET, s.c_str(), a.bytes.data()) == 1) return a;
    if (inet_pton(AF_INET6, s.c_str(), a.bytes.data()) != 1) return std::nullopt;
    a.v6 = true;
    // RFC 4291 §2.5.5.2: an IPv4-mapped address is the IPv4 host.
    if (std::equal(kMappedPrefix.begin(), kMappedPrefix.end(), a.bytes.begin())) {
        Address v4;
        std::copy(a.bytes.begin() + 12, a.bytes.end(), v4.bytes.begin());
        return v4;
    }
    return a;
}

bool Network::contains(const Address& a) const {
    return a.v6 == address.v6 && same_prefix(a, address, prefix);
}

std::string Network::to_string() const { return address.to_string() + "/" + std::to_string(prefix); }

NetworkParse parse_network(std::string_view text) {
    NetworkParse out;
    auto slash = text.find('/');
    auto addr = parse_address(text.substr(0, slash));
    if (!addr) {
        out.error = "\"" + std::string(text) + "\" is not an IP address or network";
        return out;
    }
    // An IPv4-mapped network is written with an IPv6 prefix length.
    bool mapped = !addr->v6 && text.substr(0, slash).find(':') != std::string_view::npos;
    int max_prefix = mapped ? 128 : bits(*addr);
    int prefix = bits(*addr);
    if (slash != std::string_view::npos) {
        std::string_view len = text.substr(slash + 1);
        auto [end, ec] = std::from_chars(len.data(), len.data() + len.size(), prefix);
        if (len.empty() || ec != std::errc() || end != len.data() + len.size() || prefix < 0 ||
            prefix > max_prefix) {
            out.error = "\"" + std::string(text) + "\": bad prefix length";
            return out;
        }
        if (mapped) {
            if (prefix < 96) {
                out.error = "\"" + std::string(text) + "\": IPv4-mapped network shorter than /96";
                return out;
            }
            prefix -= 96;
        }
    }
    if (!host_bits_zero(*addr, prefix)) {
        out.error = "\"" + std::string(text) + "\": address has bits set beyond the prefix length";
        return out;
    }
    out.network = Network{*addr, prefix};
    return out;
}

std::optional<NetworkList> NetworkList::parse(const std::vector<std::string>& entries, std::string& error) {
    if (entries.size() > kMaxNetworks) {
        error = "more than " + std::to_string(kMaxNetworks) + " networks";
        return std::nullopt;
    }
    NetworkList list;
    for (const auto& e : entries) {
        auto p = parse_network(e);
        if (!p.network) {
            error = p.error;
            return std::nullopt;
        }
        list.networks_.push_back(*p.network);
    }
    return list;
}

bool NetworkList::contains(const Address& a) const {
    for (const auto& n : networks_)
        if (n.contains(a)) return true;
    return false;
}

}  // namespace net
