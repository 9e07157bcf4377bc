// dns_ldns: the ldns implementation of dns::Resolver; see dns.h.
#include "dns.h"
#include "domain.h"

#include <arpa/inet.h>
#include <sys/random.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <map>
#include <stdexcept>

// Last: ldns headers redefine bool for C, which upsets <optional>.
#include <ldns/ldns.h>

namespace dns {
namespace {

constexpr int kMaxCnameChain = 8;
constexpr std::uint16_t kEdnsPayload = 4096;  // what ldns asks for with DNSSEC on

struct ResolverFree {
    void operator()(ldns_resolver* r) const { ldns_resolver_deep_free(r); }
};
struct PktFree {
    void operator()(ldns_pkt* p) const { ldns_pkt_free(p); }
};
struct RdfFree {
    void operator()(ldns_rdf* r) const { ldns_rdf_deep_free(r); }
};
using ResolverPtr = std::unique_ptr<ldns_resolver, ResolverFree>;
using PktPtr = std::unique_ptr<ldns_pkt, PktFree>;
using RdfPtr = std::unique_ptr<ldns_rdf, RdfFree>;

ldns_rr_type to_ldns(RrType type) {
    switch (type) {
        case RrType::A: return LDNS_RR_TYPE_A;
        case RrType::AAAA: return LDNS_RR_TYPE_AAAA;
        case RrType::MX: return LDNS_RR_TYPE_MX;
        case RrType::TXT: return LDNS_RR_TYPE_TXT;
        case RrType::TLSA: return LDNS_RR_TYPE_TLSA;
        case RrType::CNAME: return LDNS_RR_TYPE_CNAME;
    }
    return LDNS_RR_TYPE_A;
}

// Owner or target name as lowercase text without the trailing dot.
std::string dname_text(const ldns_rdf* rdf) {
    std::string out;
    if (!rdf || ldns_rdf_get_type(rdf) != LDNS_RDF_TYPE_DNAME) return out;
    const std::uint8_t* d = ldns_rdf_data(rdf);
    std::size_t size = ldns_rdf_size(rdf);
    std::size_t i = 0;
    while (i < size && d[i] != 0) {
        std::size_t len = d[i++];
        if (!out.empty()) out += '.';
        for (std::size_t k = 0; k < len && i < size; ++k, ++i) {
            char c = static_cast<char>(d[i]);
            if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
            out += c;
        }
    }
    return out;
}

std::string rdata_text(const ldns_rr* rr) {
    std::string out;
    for (std::size_t i = 0; i < ldns_rr_rd_count(rr); ++i) {
        const ldns_rdf* rdf = ldns_rr_rdf(rr, i);
        if (ldns_rdf_get_type(rdf) != LDNS_RDF_TYPE_STR) continue;
        const std::uint8_t* d = ldns_rdf_data(rdf);
        std::size_t n = ldns_rdf_size(rdf);
        if (n == 0) continue;
        std::size_t len = std::min<std::size_t>(d[0], n - 1);
        out.append(reinterpret_cast<const char*>(d + 1), len);
    }
    return out;
}

std::string address_text(const ldns_rdf* rdf, int family) {
    char buf[INET6_ADDRSTRLEN] = {};
    if (!rdf || !inet_ntop(family, ldns_rdf_data(rdf), buf, sizeof buf)) return {};
    return buf;
}

// RFC 2308 §5: the negative TTL is the smaller of the SOA's TTL and MINIMUM.
std::uint32_t negative_ttl(ldns_pkt* pkt) {
    ldns_rr_list* auth = ldns_pkt_authority(pkt);
    for (std::size_t i = 0; auth && i < ldns_rr_list_rr_count(auth); ++i) {
        ldns_rr* rr = ldns_rr_list_rr(auth, i);
        if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_SOA || ldns_rr_rd_count(rr) < 7) continue;
        return std::min(ldns_rr_ttl(rr), ldns_rdf2native_int32(ldns_rr_rdf(rr, 6)));
    }
    return 0;
}

void add_record(Answer& answer, const ldns_rr* rr, RrType type) {
    switch (type) {
        case RrType::TXT: answer.texts.push_back(rdata_text(rr)); break;
        case RrType::A: answer.texts.push_back(address_text(ldns_rr_rdf(rr, 0), AF_INET)); break;
        case RrType::AAAA: answer.texts.push_back(address_text(ldns_rr_rdf(rr, 0), AF_INET6)); break;
        case RrType::CNAME: answer.texts.push_back(dname_text(ldns_rr_rdf(rr, 0))); break;
        case RrType::MX:
            if (ldns_rr_rd_count(rr) >= 2)
                answer.mx.push_back({ldns_rdf2native_int16(ldns_rr_rdf(rr, 0)),
                                     dname_text(ldns_rr_rdf(rr, 1))});
            break;
        case RrType::TLSA:
            if (ldns_rr_rd_count(rr) >= 4) {
                const ldns_rdf* data = ldns_rr_rdf(rr, 3);
                answer.tlsa.push_back({ldns_rdf2native_int8(ldns_rr_rdf(rr, 0)),
                                       ldns_rdf2native_int8(ldns_rr_rdf(rr, 1)),
                                       ldns_rdf2native_int8(ldns_rr_rdf(rr, 2)),
                                       {ldns_rdf_data(data), ldns_rdf_data(data) + ldns_rdf_size(data)}});
            }
            break;
    }
}

// Reads the answer section: follows the CNAME chain from qname (a recursive
// server includes it), then collects the records of the queried type.
Answer interpret(ldns_pkt* pkt, const std::string& qname, RrType type) {
    Answer answer;
    answer.authentic = ldns_pkt_ad(pkt);
    switch (ldns_pkt_get_rcode(pkt)) {
        case LDNS_RCODE_NOERROR: break;
        case LDNS_RCODE_NXDOMAIN:
            answer.status = Status::NxDomain;
            answer.negative_ttl = negative_ttl(pkt);
            return answer;
        default:
            answer.status = Status::ServFail;
            answer.error = "rcode " + std::to_string(ldns_pkt_get_rcode(pkt));
            return answer;
    }
    ldns_rr_list* rrs = ldns_pkt_answer(pkt);
    std::size_t count = rrs ? ldns_rr_list_rr_count(rrs) : 0;
    std::string owner = qname;
    if (type != RrType::CNAME) {
        std::map<std::string, std::string> cnames;
        for (std::size_t i = 0; i < count; ++i) {
            ldns_rr* rr = ldns_rr_list_rr(rrs, i);
            if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME && ldns_rr_rd_count(rr) >= 1)
                cnames[dname_text(ldns_rr_owner(rr))] = dname_text(ldns_rr_rdf(rr, 0));
        }
        for (int hop = 0; hop < kMaxCnameChain; ++hop) {
            auto it = cnames.find(owner);
            if (it == cnames.end()) break;
            owner = it->second;
        }
    }
    bool first = true;
    for (std::size_t i = 0; i < count; ++i) {
        ldns_rr* rr = ldns_rr_list_rr(rrs, i);
        if (ldns_rr_get_type(rr) != to_ldns(type) || dname_text(ldns_rr_owner(rr)) != owner) continue;
        add_record(answer, rr, type);
        answer.ttl = first ? ldns_rr_ttl(rr) : std::min(answer.ttl, ldns_rr_ttl(rr));
        first = false;
    }
    if (first) {
        answer.status = Status::NoData;
        answer.negative_ttl = negative_ttl(pkt);
    } else {
        answer.status = Status::Ok;
    }
    return answer;
}

std::vector<Nameserver> resolv_conf_servers() {
    std::vector<Nameserver> out;
    std::ifstream in("/etc/resolv.conf");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("nameserver", 0) != 0) continue;
        auto start = line.find_first_not_of(" \t", 10);
        if (start == std::string::npos || start == 10) continue;
        std::string addr = line.substr(start, line.find_first_of(" \t#;%", start) - start);
        if (auto ns = parse_nameserver(addr)) out.push_back(*ns);
    }
    return out;
}

}  // namespace

std::string_view status_name(Status status) {
    switch (status) {
        case Status::Ok: return "ok";
        case Status::NxDomain: return "nxdomain";
        case Status::NoData: return "nodata";
        case Status::ServFail: return "servfail";
        case Status::Timeout: return "timeout";
    }
    return "?";
}

std::string_view type_name(RrType type) {
    switch (type) {
        case RrType::A: return "A";
        case RrType::AAAA: return "AAAA";
        case RrType::MX: return "MX";
        case RrType::TXT: return "TXT";
        case RrType::TLSA: return "TLSA";
        case RrType::CNAME: return "CNAME";
    }
    return "?";
}

std::optional<Nameserver> parse_nameserver(std::string_view spec) {
    Nameserver ns;
    std::string_view host = spec, port;
    if (!spec.empty() && spec.front() == '[') {
        auto close = spec.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        host = spec.substr(1, close - 1);
        std::string_view rest = spec.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') return std::nullopt;
            port = rest.substr(1);
        }
    } else if (std::count(spec.begin(), spec.end(), ':') == 1) {
        auto colon = spec.find(':');
        host = spec.substr(0, colon);
        port = spec.substr(colon + 1);
    }
    unsigned char buf[16];
    std::string h(host);
    if (inet_pton(AF_INET, h.c_str(), buf) != 1 && inet_pton(AF_INET6, h.c_str(), buf) != 1)
        return std::nullopt;
    ns.address = h;
    if (!port.empty() || (spec.size() > 0 && spec.back() == ':')) {
        unsigned value = 0;
        auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
        if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value == 0 ||
            value > 65535)
            return std::nullopt;
        ns.port = static_cast<std::uint16_t>(value);
    }
    return ns;
}

LdnsResolver::LdnsResolver(const std::vector<std::string>& nameservers,
                           std::chrono::milliseconds timeout)
    : timeout_(timeout) {
    for (const auto& spec : nameservers) {
        auto ns = parse_nameserver(spec);
        if (!ns) throw std::runtime_error("dns_nameservers: malformed server \"" + spec + "\"");
        servers_.push_back(*ns);
    }
    if (servers_.empty()) servers_ = resolv_conf_servers();
    if (servers_.empty()) throw std::runtime_error("no nameserver in /etc/resolv.conf and dns_nameservers is empty");
}

Answer LdnsResolver::query(std::string_view name, RrType type) {
    Answer answer = query_once(name, type);
    if (answer.temporary()) answer = query_once(name, type);  // retry once
    return answer;
}

namespace {

// The query ldns_resolver_send() would build (RD, EDNS0 with the DO bit and
// a 4096-octet payload), but with an ID from getrandom(2): ldns draws IDs
// with OpenSSL's RAND_bytes, whose DRBG set-up alone costs the milter about
// 2 MiB of resident libcrypto pages. RFC 5452 §9.2: the ID stays unpredictable.
PktPtr query_packet(const ldns_rdf* name, ldns_rr_type type) {
    PktPtr query(ldns_pkt_query_new(ldns_rdf_clone(name), type, LDNS_RR_CLASS_IN, LDNS_RD));
    if (!query) return nullptr;
    std::uint16_t id = 0;
    if (getrandom(&id, sizeof id, 0) != static_cast<ssize_t>(sizeof id)) id = static_cast<std::uint16_t>(random());
    ldns_pkt_set_id(query.get(), id);
    ldns_pkt_set_edns_udp_size(query.get(), kEdnsPayload);
    ldns_pkt_set_edns_do(query.get(), true);  // DO bit, so AD means "validated"
    return query;
}

}  // namespace

Answer LdnsResolver::query_once(std::string_view name, RrType type) {
    Answer answer;
    std::string qname = domain::lower(name);
    while (!qname.empty() && qname.back() == '.') qname.pop_back();
    RdfPtr dname(ldns_dname_new_frm_str((qname + ".").c_str()));
    if (!dname || qname.empty()) {
        // A name that cannot be put on the wire cannot exist.
        answer.status = Status::NxDomain;
        answer.error = "invalid query name";
        return answer;
    }
    for (const Nameserver& ns : servers_) {
        ResolverPtr res(ldns_resolver_new());
        bool v6 = ns.address.find(':') != std::string::npos;
        RdfPtr addr(ldns_rdf_new_frm_str(v6 ? LDNS_RDF_TYPE_AAAA : LDNS_RDF_TYPE_A, ns.address.c_str()));
        if (!res || !addr || ldns_resolver_push_nameserver(res.get(), addr.get()) != LDNS_STATUS_OK) {
            answer.status = Status::ServFail;
            answer.error = "cannot set up resolver";
            continue;
        }
        ldns_resolver_set_port(res.get(), ns.port);
        auto ms = timeout_.count();
        timeval tv{static_cast<time_t>(ms / 1000), static_cast<suseconds_t>((ms % 1000) * 1000)};
        ldns_resolver_set_timeout(res.get(), tv);
        ldns_resolver_set_retry(res.get(), 1);
        ldns_resolver_set_recursive(res.get(), true);
        ldns_resolver_set_dnssec(res.get(), true);  // DO bit, so AD means "validated"
        ldns_resolver_set_defnames(res.get(), false);
        ldns_resolver_set_dnsrch(res.get(), false);
        ldns_resolver_set_random(res.get(), false);  // one server each: no shuffle (and no RAND_bytes)
        PktPtr query = query_packet(dname.get(), to_ldns(type));
        ldns_pkt* raw = nullptr;
        ldns_status st = query ? ldns_resolver_send_pkt(&raw, res.get(), query.get()) : LDNS_STATUS_MEM_ERR;
        PktPtr pkt(raw);
        if (st != LDNS_STATUS_OK || !pkt) {
            answer.status = Status::Timeout;
            answer.error = std::string("no answer from ") + ns.address + ":" +
                           std::to_string(ns.port) + ": " + ldns_get_errorstr_by_id(st);
            continue;
        }
        answer = interpret(pkt.get(), qname, type);
        if (answer.status != Status::ServFail) return answer;
    }
    return answer;
}

std::unique_ptr<LdnsResolver> resolver_from_config(const config::Config& config, std::string& error) {
    try {
        return std::make_unique<LdnsResolver>(config.list("dns_nameservers"), config.duration("dns_timeout"));
    } catch (const std::runtime_error& e) {  // a malformed server, or none at all
        error = e.what();
        return nullptr;
    }
}

}  // namespace dns
