// sts_source: see sts_source.h.
#include "sts_source.h"

#include <atomic>
#include <stdexcept>

#include "dns.h"
#include "helper_fetcher.h"
#include "sts/cache.h"
#include "sts/fetch.h"
#include "sts/get.h"

namespace policyd {
namespace {

class StsSource : public PolicySource {
public:
    StsSource(std::unique_ptr<sts::PolicyCache> cache, std::unique_ptr<dns::Resolver> resolver,
              std::unique_ptr<HelperFetcher> fetcher)
        : cache_(std::move(cache)), resolver_(std::move(resolver)), fetcher_(std::move(fetcher)) {}

    sts::Lookup lookup_cached(std::string_view domain) override {
        return sts::lookup_cached(domain, *cache_, clock_);
    }
    // Both take the configuration in force: fetch parameters changed by a
    // reload reach the helpers started from then on.
    sts::GetResult get(std::string_view domain, const config::Config& config) override {
        fetcher_->configure(HelperOptions::from_config(config));
        return sts::get(domain, *resolver_, *fetcher_, *cache_, clock_, config, &cancelled_);
    }
    sts::RefreshStats refresh(const config::Config& config, const std::atomic<bool>& stop) override {
        fetcher_->configure(HelperOptions::from_config(config));
        return sts::refresh(*resolver_, *fetcher_, *cache_, clock_, config, sts::kRefreshBatch, &stop);
    }
    void cancel() override {
        cancelled_ = true;
        fetcher_->cancel();
    }

private:
    std::unique_ptr<sts::PolicyCache> cache_;
    std::unique_ptr<dns::Resolver> resolver_;
    std::unique_ptr<HelperFetcher> fetcher_;
    sts::SystemClock clock_;  // stateless: shared by every thread
    std::atomic<bool> cancelled_{false};
};

}  // namespace

OpenedSource open_sts_source(const config::Config& config) {
    OpenedSource out;
    std::unique_ptr<dns::Resolver> resolver = dns::resolver_from_config(config, out.error);
    if (!resolver) return out;
    bdb::Status status;
    auto cache = sts::PolicyCache::open(config, status);
    if (!cache) {
        out.error = config.str("cache_dir") + ": " + status.error;
        return out;
    }
    auto fetcher = std::make_unique<HelperFetcher>(HelperOptions::from_config(config));
    out.source = std::make_unique<StsSource>(std::move(cache), std::move(resolver), std::move(fetcher));
    return out;
}

}  // namespace policyd
