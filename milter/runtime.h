// runtime: everything a connection needs that comes from the configuration:
// the Config itself, the caching DNS resolver DMARC lookups go through (a
// reload starts with an empty cache, as dns_nameservers may change), the parsed
// milter_skip_networks and the authserv-id in effect. Built once at start and
// again on each reload; connections hold a std::shared_ptr<const Runtime>
// taken when they connect, so a reload never changes a message in flight.
//
// Fails (a value with an error naming file:line and parameter) when a
// parameter that only the milter interprets is malformed: a CIDR in
// milter_skip_networks, a dns_nameservers entry, or a milter_socket spec.
#pragma once

#include <memory>
#include <string>

#include "config.h"
#include "dns.h"
#include "net/cidr.h"
#include "report/history.h"

namespace milter {

struct Runtime {
    std::shared_ptr<const config::Config> config;
    std::shared_ptr<dns::Resolver> upstream;  // LdnsResolver (dns_nameservers)
    std::shared_ptr<dns::Resolver> resolver;  // dmarc::CachingResolver over `upstream`; thread-safe
    net::NetworkList skip_networks;
    std::string authserv_id;  // authserv_id, or the host name when that is empty
    // Evaluations for aggregate reports; null when the history could not be
    // opened (mail flows regardless). Opened once in the worker and carried
    // over on reload (one Berkeley DB environment handle per process).
    std::shared_ptr<report::HistoryWriter> history;
};

struct RuntimeBuild {
    std::shared_ptr<const Runtime> runtime;  // null on error
    std::string error;
};

RuntimeBuild build_runtime(std::shared_ptr<const config::Config> config);

// "unix:/path" or "local:/path" -> "/path"; "" for inet sockets.
std::string unix_socket_path(const std::string& spec);

}  // namespace milter
