// sts_source: the daemon's PolicySource: the MTA-STS engine (sts/get.h) over
// the Berkeley DB policy cache in cache_dir (sts/cache.h), the ldns resolver
// (dns_nameservers, dns_timeout) and the HTTPS fetch helper processes
// (helper_fetcher.h: sts_fetch_helper, sts_ca_file, sts_connect_timeout,
// sts_fetch_timeout). Opened as root before privileges
// are dropped; an error (cache environment cannot be opened, bad nameserver)
// is a value naming what failed.
#pragma once

#include <memory>
#include <string>

#include "config.h"
#include "source.h"

namespace policyd {

struct OpenedSource {
    std::unique_ptr<PolicySource> source;
    std::string error;
};

OpenedSource open_sts_source(const config::Config& config);

}  // namespace policyd
