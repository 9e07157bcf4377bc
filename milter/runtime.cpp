// runtime: see runtime.h.
#include "runtime.h"

#include <stdexcept>

#include "dmarc/cache.h"
#include "dmarc/trust.h"

namespace milter {
namespace {

// "FILE:LINE: " where the parameter was set, "" for a default.
std::string origin_of(const config::Config& config, std::string_view name) {
    const auto& v = config.value(name);
    return v.origin == "default" ? "" : v.origin + ": ";
}

std::string where(const config::Config& config, std::string_view name) {
    return origin_of(config, name) + std::string(name) + ": ";
}

bool valid_socket_spec(const std::string& spec) {
    for (std::string_view prefix : {"unix:/", "local:/", "inet:", "inet6:"})
        if (spec.rfind(prefix, 0) == 0 && spec.size() > prefix.size()) return true;
    return false;
}

}  // namespace

std::string unix_socket_path(const std::string& spec) {
    for (std::string_view prefix : {"unix:", "local:"})
        if (spec.rfind(prefix, 0) == 0) return spec.substr(prefix.size());
    return "";
}

RuntimeBuild build_runtime(std::shared_ptr<const config::Config> config) {
    RuntimeBuild out;
    auto rt = std::make_shared<Runtime>();
    std::string error;
    auto networks = net::NetworkList::parse(config->list("milter_skip_networks"), error);
    if (!networks) {
        out.error = where(*config, "milter_skip_networks") + error;
        return out;
    }
    if (!valid_socket_spec(config->str("milter_socket"))) {
        out.error = where(*config, "milter_socket") + "expected unix:/PATH, inet:PORT@HOST or inet6:PORT@HOST";
        return out;
    }
    rt->upstream = dns::resolver_from_config(*config, error);
    if (!rt->upstream) {
        out.error = origin_of(*config, "dns_nameservers") + error;  // error names the parameter
        return out;
    }
    rt->resolver = std::make_shared<dmarc::CachingResolver>(*rt->upstream, dmarc::CacheLimits::from_config(*config));
    rt->skip_networks = std::move(*networks);
    rt->authserv_id = dmarc::own_authserv_id(*config);
    rt->config = std::move(config);
    out.runtime = std::move(rt);
    return out;
}

}  // namespace milter
