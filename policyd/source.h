// source: where mtaguard-policyd gets policies from. The daemon's source is
// the MTA-STS engine (sts/get.h over the Berkeley DB cache, the ldns resolver
// and the HTTPS fetcher: sts_source.cpp); tests may pass their own.
//
//   lookup_cached()  called on the event thread for every request: must
//                    never touch the network (sts::lookup_cached).
//   get()            called on a worker thread for a miss or a background
//                    revalidation (sts::get): may take up to the fetch timeouts.
//   refresh()        the periodic refresher (sts::refresh); starts no further
//                    row once `stop` is true.
//   cancel()         the daemon is stopping: fetches in flight end now, and
//                    what they end with is not stored (a cancelled fetch is
//                    no failure of the domain); get() fetches nothing after.
// All of them may run at the same time on different threads.
#pragma once

#include <atomic>
#include <string_view>

#include "config.h"
#include "sts/get.h"

namespace policyd {

class PolicySource {
public:
    virtual ~PolicySource() = default;
    virtual sts::Lookup lookup_cached(std::string_view domain) = 0;
    virtual sts::GetResult get(std::string_view domain, const config::Config& config) = 0;
    virtual sts::RefreshStats refresh(const config::Config& config, const std::atomic<bool>& stop) = 0;
    virtual void cancel() = 0;
};

}  // namespace policyd
