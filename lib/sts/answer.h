// answer: what mtaguard-policyd would reply for a socketmap KEY right now,
// computed the way the daemon does (DESIGN.md: sts::answer): classify the
// key (probes, next hops and IP literals need no lookup), then the cache
// (sts::lookup_cached), and on a miss the full path (sts::get: DNS + HTTPS,
// stored in the cache). Unlike the daemon it waits for the whole fetch
// instead of at most policyd_miss_wait. For `mtaguard sts answer`.
#pragma once

#include <string>
#include <string_view>

#include "config.h"
#include "dns.h"
#include "sts/fetch.h"
#include "sts/get.h"
#include "sts/reply.h"

namespace sts {

struct Answer {
    std::string reply;  // exactly the socketmap reply text
    KeyKind key_kind = KeyKind::NotADomain;
    std::string domain;                      // Domain: the A-label looked up
    CacheState cache_state = CacheState::Miss;  // what the cache held
    bool fetched = false;                    // a miss went to the network
    std::string detail;                      // key error, or the fetch's log line
};

Answer answer(std::string_view key, dns::Resolver& resolver, Fetcher& fetcher, PolicyCache& cache, Clock& clock,
              const config::Config& config);

}  // namespace sts
